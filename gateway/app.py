"""The ASGI application: GraphQL at /graphql (GraphiQL in development), /healthz and /readyz.

This module is the composition root: it wires the schema, settings and the
embedded worker together, so it may import every layer.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

import workers.actors  # noqa: F401 - declares the actors on the configured broker, so jobs can be sent
from gateway.body_limit import BodySizeLimit
from gateway.db import dispose_engine
from gateway.health import healthz, readyz
from gateway.settings import Settings, get_settings
from gateway.upload_routes import put_answer
from resolvers.services.audit import Actor
from schema.context import Context
from schema.root import schema
from workers.broker import start_embedded_worker

logger = logging.getLogger(__name__)

ANONYMOUS = Actor("anonymous", None)
GRAPHQL_BODY_MAX_BYTES = 1024 * 1024
MULTIPART_OVERHEAD_BYTES = 1024 * 1024
"""Room for the multipart envelope and the GraphQL operation around an answer recording."""


class HrGraphQL(GraphQL):
    """Strawberry's ASGI app with hrgate's per-request context (fresh DataLoaders every request)."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(
            schema,
            graphql_ide=None if settings.is_production else "graphiql",
            subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL],
            allow_queries_via_get=False,
            multipart_uploads_enabled=True,
        )
        self.settings = settings

    async def get_context(self, request: Request | WebSocket, response: Response | None = None) -> Any:
        return Context(actor=ANONYMOUS, settings=self.settings, request=request, response=response)


def create_app(settings: Settings | None = None, *, embedded_worker: bool | None = None) -> Starlette:
    settings = settings or get_settings()
    run_worker = settings.embedded_worker if embedded_worker is None else embedded_worker

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        worker = None
        if run_worker:
            worker = start_embedded_worker()
            logger.info("embedded Dramatiq worker started")
        try:
            yield
        finally:
            if worker is not None:
                worker.stop()
            await dispose_engine()

    graphql_app = HrGraphQL(settings)
    limited_graphql = BodySizeLimit(
        graphql_app, GRAPHQL_BODY_MAX_BYTES, multipart_max_bytes=settings.max_upload_bytes + MULTIPART_OVERHEAD_BYTES
    )
    routes = [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/graphql", limited_graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql_app),
        Route("/interview/{token}/answers/{question_id}", put_answer, methods=["PUT"]),
    ]
    return Starlette(routes=routes, lifespan=lifespan)
