"""Request metrics and the ``/metrics`` endpoint (Prometheus text format).

Two pure ASGI wrappers (no body buffering, so streamed and multipart answers pass unchanged):
``HttpStatusMetrics`` counts every HTTP response by status class; ``GraphQLRequestMetrics`` times each
``POST /graphql`` by operation. The operation label is what the GraphQL document names, never free text:
``anonymous`` for an unnamed operation, the operation's name otherwise (persisted queries too: the name
in the document their hash stands for), ``other`` once ``OPERATION_NAMES_MAX`` distinct names have been
seen or for an over-long name, ``invalid`` for a document that does not parse or lacks the requested
operation, ``persisted_query`` for an unknown or mismatched persisted-query hash, ``batch`` for a
batched request and ``rejected`` for one refused before any operation ran. Operation names are written
by developers, so labels carry no personal data; the cap bounds the series a client could create.
"""

from __future__ import annotations

import asyncio
import hmac
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from graphql import GraphQLError, OperationDefinitionNode, parse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.metrics import GRAPHQL_ERRORS, GRAPHQL_REQUEST_SECONDS, HTTP_RESPONSES

OPERATION_NAMES_MAX = 200
"""Distinct operation names labelled per process (a trusted-documents manifest's names come on top)."""
OPERATION_NAME_MAX_LENGTH = 64
DOCUMENT_TOKENS_MAX = 2000
"""The schema's own token limit (``schema.limits.MAX_TOKENS``): a longer document is refused anyway."""
CACHED_DOCUMENT_MAX_CHARS = 16 * 1024
"""Documents up to this size keep their operation names in the cache (512 entries: at most 8 MiB)."""

ANONYMOUS = "anonymous"
OTHER = "other"
INVALID = "invalid"
PERSISTED_QUERY = "persisted_query"
BATCH = "batch"
REJECTED = "rejected"

_SCOPE_KEY = "hrgate.graphql_operations"


def _operation_names(query: str) -> tuple[str | None, ...] | None:
    """Each operation's name in document order (None: unnamed); None when the document does not parse."""
    try:
        document = parse(query, no_location=True, max_tokens=DOCUMENT_TOKENS_MAX)
    except GraphQLError:
        return None
    return tuple(
        definition.name.value if definition.name else None
        for definition in document.definitions
        if isinstance(definition, OperationDefinitionNode)
    )


_cached_operation_names = lru_cache(maxsize=512)(_operation_names)


class OperationLabels:
    """Operation name → label, with a bounded set of names (first come, first labelled; then ``other``)."""

    def __init__(self, max_names: int = OPERATION_NAMES_MAX) -> None:
        self.max_names = max_names
        self._trusted: frozenset[str] = frozenset()
        self._seen: set[str] = set()

    def trust(self, documents: Iterable[str]) -> None:
        """Names in a trusted-documents manifest are always labelled (and do not use up the cap)."""
        names = set(self._trusted)
        for document in documents:
            names.update(name for name in _operation_names(document) or () if name)
        self._trusted = frozenset(name for name in names if len(name) <= OPERATION_NAME_MAX_LENGTH)

    def label(self, query: str | None, operation_name: str | None) -> str:
        if not query:
            return INVALID
        names = (_cached_operation_names if len(query) <= CACHED_DOCUMENT_MAX_CHARS else _operation_names)(query)
        if not names:
            return INVALID
        if operation_name:
            if operation_name not in names:
                return INVALID
            chosen: str | None = operation_name
        elif len(names) == 1:
            chosen = names[0]
        else:
            return INVALID  # several operations and no operationName: GraphQL refuses it too
        if chosen is None:
            return ANONYMOUS
        return self._bounded(chosen)

    def _bounded(self, name: str) -> str:
        if name in self._trusted or name in self._seen:
            return name
        if len(name) > OPERATION_NAME_MAX_LENGTH or len(self._seen) >= self.max_names:
            return OTHER
        self._seen.add(name)
        return name


operation_labels = OperationLabels()
"""One per process, like the registry whose label values it bounds."""


@dataclass
class RequestOperations:
    """What the GraphQL app ran for one HTTP request (shared through the ASGI scope)."""

    labels: list[str] = field(default_factory=list)
    errors_counted: bool = False

    def request_label(self) -> str:
        if not self.labels:
            return REJECTED
        return self.labels[0] if len(self.labels) == 1 else BATCH


def note_operation(scope: Scope, label: str, *, has_errors: bool) -> None:
    """Called by the GraphQL app once per operation it answers."""
    operations = scope.get(_SCOPE_KEY)
    if operations is None:
        return  # not behind ``GraphQLRequestMetrics`` (metrics off)
    operations.labels.append(label)
    if has_errors:
        GRAPHQL_ERRORS.labels(operation=label).inc()
        operations.errors_counted = True


class GraphQLRequestMetrics:
    """Times ``POST /graphql`` by operation; a request answered 4xx/5xx with no operation errors counted
    (refused body, CSRF, batch refused, a crash) counts as one error of its label."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        operations = RequestOperations()
        scope[_SCOPE_KEY] = operations
        status = 500
        started = time.perf_counter()

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            label = operations.request_label()
            GRAPHQL_REQUEST_SECONDS.labels(operation=label).observe(time.perf_counter() - started)
            if status >= 400 and not operations.errors_counted:
                GRAPHQL_ERRORS.labels(operation=label).inc()


class HttpStatusMetrics:
    """Counts every HTTP response by status class; an exception before the response counts as 5xx."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            HTTP_RESPONSES.labels(status_class=f"{status // 100}xx").inc()


def metrics_endpoint(token: str = "") -> Any:
    """``GET /metrics``: prometheus-client's registry (these instruments, process and GC collectors).

    With ``token`` set, only ``Authorization: Bearer <token>`` is answered (401 otherwise), for deployments
    where the scraper cannot reach the gateway on a network of its own."""
    expected = f"Bearer {token}".encode() if token else b""

    async def metrics(request: Request) -> Response:
        if expected and not hmac.compare_digest(request.headers.get("authorization", "").encode(), expected):
            return Response("metrics need a bearer token\n", status_code=401, headers={"WWW-Authenticate": "Bearer"})
        body = await asyncio.to_thread(generate_latest, REGISTRY)  # the queue depth asks the broker: off the loop
        return Response(body, media_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})

    return metrics
