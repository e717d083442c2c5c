"""``Idempotency-Key`` on ``POST /graphql``: a retried mutation replays its first answer instead of running twice.

One ASGI wrapper for every mutation (none of them knows about it); the storage and the rules are
``resolvers.services.idempotency``. With the header, a request whose operations include a mutation is
keyed by (principal, key):

- the first request runs; its answer (status, content type, body) is stored for 24 h unless it was a
  server error (5xx: the unit of work rolled back, so a retry may run again);
- the same key with the same request (same path and JSON body, compared after sorting object keys)
  replays the stored answer, with ``Idempotent-Replayed: true``, and runs nothing;
- the same key with another request: 422, ``IDEMPOTENCY_KEY_REUSED``;
- the same key while the first request still runs: 409, ``IDEMPOTENCY_KEY_IN_FLIGHT`` (retry later).

The principal is the verified caller (a person's ``sub``, a connector's client id; candidates, who send
no token, share ``anonymous`` and are told apart by the invitation token inside the body), so a refreshed
token keeps its keys and two callers never see each other's answers. Queries with the header are just
executed; requests without it are untouched. Multipart requests (recording uploads, which replace the
answer's recording anyway) pass through unkeyed. KPI imports keep their own ``key`` input as well.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import orjson
from graphql import GraphQLError, OperationDefinitionNode, OperationType, parse
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.auth import AuthenticationError, TokenVerifier, scope_principal
from resolvers.services.idempotency import claim_key, complete_key, release_key

HEADER = b"idempotency-key"
REPLAYED_HEADER = (b"idempotent-replayed", b"true")
KEY_PATTERN = re.compile(r"[\x21-\x7e]{1,255}")
"""Printable ASCII without spaces, at most 255 characters (a UUID is the usual choice)."""


def _error(status: int, code: str, message: str, **headers: str) -> JSONResponse:
    return JSONResponse(
        {"errors": [{"message": message, "extensions": {"code": code}}]}, status_code=status, headers=headers
    )


def _has_mutation(document_text: Any) -> bool:
    """Whether a document may mutate: unknown text (a persisted-query hash only) counts as yes."""
    if not isinstance(document_text, str):
        return True
    try:
        document = parse(document_text)
    except GraphQLError:
        return False  # the GraphQL app refuses it; nothing to key
    return any(
        isinstance(definition, OperationDefinitionNode) and definition.operation == OperationType.MUTATION
        for definition in document.definitions
    )


def _mutates(body: Any) -> bool:
    operations = body if isinstance(body, list) else [body]
    return any(isinstance(operation, dict) and _has_mutation(operation.get("query")) for operation in operations)


def principal_name(actor: Any) -> str:
    if actor.kind == "anonymous":
        return "anonymous"
    return f"{actor.kind}:{actor.subject or actor.name}"[:255]


def request_hash(path: str, body: Any) -> str:
    canonical = orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(path.encode() + b"\n" + canonical).hexdigest()


class IdempotencyKeys:
    def __init__(self, app: ASGIApp, verifier: TokenVerifier) -> None:
        self.app = app
        self.verifier = verifier

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers") or []) if scope["type"] == "http" else {}
        key_header = headers.get(HEADER)
        content_type = headers.get(b"content-type", b"").lower()
        if key_header is None or scope.get("method") != "POST" or content_type.startswith(b"multipart/"):
            await self.app(scope, receive, send)
            return
        key = key_header.decode("latin-1")
        if not KEY_PATTERN.fullmatch(key):
            await _error(400, "BAD_USER_INPUT", "Idempotency-Key must be 1 to 255 printable ASCII characters")(
                scope, receive, send
            )
            return
        raw = await _read_body(receive)
        replay_receive = _replaying(raw, receive)
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError:
            body = None
        if body is None or not _mutates(body):
            await self.app(scope, replay_receive, send)
            return
        try:
            actor = (await scope_principal(scope, self.verifier)).actor
        except AuthenticationError:  # the GraphQL layer refuses it with the reason; nothing to key
            await self.app(scope, replay_receive, send)
            return
        claim = await claim_key(principal_name(actor), key, request_hash(scope["path"], body))
        if claim.outcome == "reused":
            await _error(422, "IDEMPOTENCY_KEY_REUSED", "this Idempotency-Key was already used for another request")(
                scope, receive, send
            )
        elif claim.outcome == "in_flight":
            await _error(
                409,
                "IDEMPOTENCY_KEY_IN_FLIGHT",
                "a request with this Idempotency-Key is still running; retry later",
                **{"Retry-After": "1"},
            )(scope, receive, send)
        elif claim.outcome == "replay":
            await _replay(send, claim.status or 200, claim.content_type, claim.body or b"")
        else:
            assert claim.key_id is not None
            await self._run(scope, replay_receive, send, claim.key_id)

    async def _run(self, scope: Scope, receive: Receive, send: Send, key_id: int) -> None:
        status, content_type, chunks = 500, None, []

        async def recording_send(message: Message) -> None:
            nonlocal status, content_type
            if message["type"] == "http.response.start":
                status = message["status"]
                content_type = next(
                    (value.decode("latin-1") for name, value in message.get("headers", []) if name == b"content-type"),
                    None,
                )
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        except BaseException:
            await release_key(key_id)
            raise
        if status >= 500:
            await release_key(key_id)
        else:
            await complete_key(key_id, status=status, content_type=content_type, body=b"".join(chunks))


async def _read_body(receive: Receive) -> bytes:
    """The whole request body (the body-size limit around this wrapper caps it)."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replaying(raw: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the app the body already read, then waits on the client (disconnects)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": raw, "more_body": False}
        return await receive()

    return replay


async def _replay(send: Send, status: int, content_type: str | None, body: bytes) -> None:
    headers = [(b"content-length", str(len(body)).encode()), REPLAYED_HEADER]
    if content_type:
        headers.append((b"content-type", content_type.encode("latin-1")))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
