"""The ASGI application: GraphQL at /graphql (GraphiQL in development), /healthz and /readyz,
the embedded token endpoint (``/oauth/token``) and its public keys (``/.well-known/jwks.json``),
answer uploads (single ``PUT`` and resumable tus sessions) and the built web pages (``/interview/{token}``).

This module is the composition root: it wires the schema, settings and the
embedded worker together, so it may import every layer.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import timedelta
from typing import Any

import orjson
from cross_web import HTTPException
from graphql import GraphQLError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute, request_response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult

import workers.actors  # noqa: F401 - declares the actors on the configured broker, so jobs can be sent
from gateway import log_format
from gateway.auth import AuthenticationError, TokenVerifier, build_verifier, scope_principal
from gateway.body_limit import BodySizeLimit, HeaderSizeLimit
from gateway.chart_routes import chart_routes
from gateway.counters import build_counters
from gateway.csrf import CsrfGuard
from gateway.db import dispose_engine
from gateway.disk_full import DiskFullAs507
from gateway.health import healthz, readyz
from gateway.idempotency import IdempotencyKeys
from gateway.log_format import RequestLogContext
from gateway.log_redaction import install_log_redaction
from gateway.media_sweep import schedule_sweep as schedule_media_sweep
from gateway.metrics_http import (
    PERSISTED_QUERY,
    GraphQLRequestMetrics,
    HttpStatusMetrics,
    metrics_endpoint,
    note_operation,
    operation_labels,
)
from gateway.no_store import NoStore
from gateway.oauth import TOKEN_FORM_MAX_BYTES, TokenServer, load_or_create_signing_key, public_key
from gateway.persisted_queries import PersistedQueries, PersistedQueryError
from gateway.pubsub import close_pubsub
from gateway.queue_depth import register_queue_depth
from gateway.rate_limit import RateLimit, WebSocketConnectionCap
from gateway.resumable_uploads import resumable_upload_routes
from gateway.settings import Settings, get_settings
from gateway.startup import DatabaseStartupCheck
from gateway.storage import remove_in_flight_partials
from gateway.tracing import trace_graphql, traced_asgi, tracing_configured_from
from gateway.upload_routes import put_answer
from gateway.web_pages import graphiql_page, web_routes
from gateway.websocket import HrTransportWSHandler, TextFrameWebSocketAdapter
from resolvers.errors import DomainError
from resolvers.services.audit import ANONYMOUS
from resolvers.services.candidate_interview import candidate_actor, view_interview
from schema.context import Context
from schema.prepared_reads import answer_prepared
from schema.root import schema
from workers.broker import broker, start_embedded_worker
from workers.notifications import schedule_sweep as schedule_notification_sweep
from workers.observability import add_job_log_context, add_trace_propagation
from workers.retention import schedule_daily
from workers.scoring_sweep import schedule_sweep as schedule_scoring_sweep
from workers.webhooks import schedule_sweeps

logger = logging.getLogger(__name__)

GRAPHQL_BODY_MAX_BYTES = 1024 * 1024
MULTIPART_OVERHEAD_BYTES = 1024 * 1024
"""Room for the multipart envelope and the GraphQL operation around an answer recording."""
WEBSOCKET_INIT_TIMEOUT_SECONDS = 5
HEADERS_MAX_BYTES = 16 * 1024
"""All request headers together; more is refused with 431 before a token is read."""


class HrGraphQL(GraphQL):
    """Strawberry's ASGI app with hrgate's per-request context (fresh DataLoaders every request)."""

    graphql_transport_ws_handler_class = HrTransportWSHandler
    websocket_adapter_class = TextFrameWebSocketAdapter

    def __init__(self, settings: Settings, verifier: TokenVerifier) -> None:
        super().__init__(
            schema,
            graphql_ide=None if settings.is_production else "graphiql",
            subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL],
            allow_queries_via_get=False,
            multipart_uploads_enabled=True,
            connection_init_wait_timeout=timedelta(seconds=WEBSOCKET_INIT_TIMEOUT_SECONDS),
        )
        self.settings = settings
        self.verifier = verifier
        self.persisted_queries = PersistedQueries.from_settings(settings)
        if settings.metrics_enabled and self.persisted_queries.trusted:
            operation_labels.trust(self.persisted_queries.trusted.values())

    async def execute_operation(  # noqa: PLR0913, PLR0917 - strawberry's signature
        self,
        request,
        request_adapter,
        request_data,
        context,
        root_value,
        sub_response,  # noqa: ANN001
    ) -> Any:
        """Batches (≤ 5 operations, the schema's limit) only for service clients; people send one at a time."""
        if isinstance(request_data, list) and context.actor.kind != "service":
            raise HTTPException(400, "batched operations are accepted from service clients only")
        return await super().execute_operation(
            request, request_adapter, request_data, context, root_value, sub_response
        )

    async def render_graphql_ide(self, request: Request) -> Response:
        """GraphiQL built from the npm package in ``web/`` (strawberry's own page loads it from a CDN)."""
        return graphiql_page()

    def encode_json(self, data: object) -> bytes:
        """orjson: several times faster than ``json.dumps`` on a portal's page of nested objects."""
        return orjson.dumps(data)

    def decode_json(self, data: str | bytes) -> object:
        """orjson refuses what JSON forbids (NaN, nesting past 1,024 levels) with a 400, never a 500."""
        return orjson.loads(data)

    async def execute_single(  # noqa: PLR0913, PLR0917 - strawberry's signature
        self,
        request,
        request_adapter,
        sub_response,
        context,
        root_value,
        request_data,  # noqa: ANN001
    ) -> Any:
        """Each operation (batched ones too) runs the text its persisted-query hash names, if it sends one; an
        unknown hash, a mismatch or a free-form document under trusted documents answers a coded error, HTTP 200."""
        try:
            query = await self.persisted_queries.document(request_data.query, request_data.extensions)
        except PersistedQueryError as error:
            note_operation(request.scope, PERSISTED_QUERY, has_errors=True)
            return ExecutionResult(data=None, errors=[GraphQLError(error.message, extensions={"code": error.code})])
        if query is not request_data.query:
            request_data = replace(request_data, query=query)
        label = None
        if self.settings.metrics_enabled or self.settings.log_format == "json":
            label = operation_labels.label(query, request_data.operation_name)
            log_format.operation.set(label)  # what the operation logs carries its label
        result = None
        if request_adapter.method == "POST":
            result = await answer_prepared(
                self.schema, context, query, request_data.variables, request_data.operation_name
            )
        if result is None:
            result = await super().execute_single(
                request, request_adapter, sub_response, context, root_value, request_data
            )
        if label is not None:
            note_operation(request.scope, label, has_errors=bool(getattr(result, "errors", None)))
        return result

    async def get_context(self, request: Request | WebSocket, response: Response | None = None) -> Any:
        """The principal from the ``Authorization`` header (websockets: from ``connection_init``, below)."""
        context = Context(actor=ANONYMOUS, settings=self.settings, request=request, response=response)
        if isinstance(request, Request):
            try:  # verified once per request: the rate limit has usually done it already
                context.actor = (await scope_principal(request.scope, self.verifier)).actor
            except AuthenticationError as error:
                context.authentication_error = str(error)
        return context

    async def on_ws_connect(self, context: Context) -> Any:
        """``connection_init`` carries ``{"authorization": "Bearer …"}`` or a candidate's ``{"invitationToken": …}``."""
        params = context.connection_params or {}
        authorization, token = params.get("authorization"), params.get("invitationToken")
        if isinstance(authorization, str) and authorization:
            try:
                verified = await self.verifier.principal(authorization)
            except AuthenticationError as error:
                raise ConnectionRejectionError({"message": str(error)}) from None
            context.actor, context.credentials_expire_at = verified.actor, verified.usable_until
        elif isinstance(token, str) and token:
            try:
                interview = (await view_interview(token)).interview
            except DomainError:
                raise ConnectionRejectionError({"message": "invalid invitation token"}) from None
            context.actor = candidate_actor(interview)
            context.credentials_expire_at = interview.expires_at.timestamp()
        return await super().on_ws_connect(context)


GC_GENERATION0_THRESHOLD = 20_000
"""Allocations between young-generation collections (CPython's default is 700)."""


def calm_garbage_collector() -> int:
    """Keep the collector off the request path's tail latency.

    The modules, schema and caches built at start-up never die: ``gc.freeze()`` moves them out of
    the collector's sight, so a full collection no longer walks them in the middle of a request.
    A request builds a few thousand short-lived dicts; a larger young-generation threshold collects
    them in fewer, equally short passes. Returns how many objects the collector tracked before the freeze.
    """
    gc.collect()
    tracked = len(gc.get_objects())
    gc.freeze()
    gc.set_threshold(GC_GENERATION0_THRESHOLD, *gc.get_threshold()[1:])
    logger.info(
        "garbage collector: %d start-up objects frozen, %d left tracked", gc.get_freeze_count(), len(gc.get_objects())
    )
    return tracked


def create_app(settings: Settings | None = None, *, embedded_worker: bool | None = None) -> Starlette:
    settings = settings or get_settings()
    run_worker = settings.embedded_worker if embedded_worker is None else embedded_worker

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        worker = retention = mail_sweep = scoring_sweep = None
        if run_worker:
            worker = start_embedded_worker()
            retention = schedule_daily()  # production runs `hrgate retention-run` from cron instead
            mail_sweep = schedule_notification_sweep()  # production: `hrgate notifications-sweep` from cron
            scoring_sweep = schedule_scoring_sweep()  # production: `hrgate scoring-sweep` from cron
            logger.info("embedded Dramatiq worker started")
        sweep = schedule_media_sweep(interval_seconds=settings.upload_sweep_interval_seconds)
        sweeps = schedule_sweeps()  # re-sends what a crash between commit and dispatch left behind
        calm_garbage_collector()
        try:
            yield
        finally:
            sweep.cancel()
            remove_in_flight_partials()  # uploads cut off by the stop: no partial file stays behind
            sweeps.cancel()
            if retention is not None:
                retention.cancel()
            if mail_sweep is not None:
                mail_sweep.cancel()
            if scoring_sweep is not None:
                scoring_sweep.cancel()
            if worker is not None:
                worker.stop()
            await close_pubsub()
            await dispose_engine()

    install_log_redaction()
    counters = build_counters(settings.resolved_rate_limit_url, settings.rate_limit_key_prefix)
    token_server = TokenServer(
        settings, load_or_create_signing_key(settings.resolved_oauth_signing_key_path), counters=counters
    )
    graphql_app = HrGraphQL(settings, build_verifier(settings, [public_key(token_server.signing_key)]))
    limited_graphql = CsrfGuard(
        BodySizeLimit(
            IdempotencyKeys(graphql_app, graphql_app.verifier),
            GRAPHQL_BODY_MAX_BYTES,
            multipart_max_bytes=settings.max_upload_bytes + MULTIPART_OVERHEAD_BYTES,
        )
    )
    graphql_http = NoStore(DiskFullAs507(limited_graphql))
    if settings.metrics_enabled:
        graphql_http = GraphQLRequestMetrics(graphql_http)
    routes = [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/graphql", graphql_http, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql_app),
        Route("/interview/{token}/answers/{question_id}", put_answer, methods=["PUT"]),
        *resumable_upload_routes(),
        *web_routes(),
        Route(
            "/oauth/token",
            BodySizeLimit(request_response(token_server.token_endpoint), TOKEN_FORM_MAX_BYTES, allow_multipart=False),
            methods=["POST"],
        ),
        Route("/.well-known/jwks.json", token_server.jwks_endpoint, methods=["GET"]),
        *chart_routes(graphql_app.verifier),
    ]
    if settings.metrics_enabled:
        register_queue_depth(broker, settings.broker_url, settings.queue_depth_timeout_seconds)
        routes.append(Route("/metrics", metrics_endpoint(settings.metrics_token), methods=["GET"]))
    tracing = tracing_configured_from(settings)
    if tracing:
        trace_graphql(schema)
        add_trace_propagation(broker)  # jobs sent by this gateway carry its trace context
    if settings.log_format == "json":
        add_job_log_context(broker)  # the embedded worker's jobs log their message id and actor
    return Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[
            *([Middleware(traced_asgi)] if tracing else []),  # outermost: the span covers everything below
            *([Middleware(RequestLogContext)] if settings.log_format == "json" else []),
            Middleware(DatabaseStartupCheck, settings=settings),  # first: nothing starts against a bad database
            *([Middleware(HttpStatusMetrics)] if settings.metrics_enabled else []),  # counts 429s and 431s too
            Middleware(HeaderSizeLimit, max_bytes=HEADERS_MAX_BYTES),
            Middleware(
                RateLimit, per_minute=settings.rate_limit_per_minute, verifier=graphql_app.verifier, counters=counters
            ),
            Middleware(
                WebSocketConnectionCap, per_address=settings.websocket_connections_per_address, counters=counters
            ),
        ],
    )
