"""hrgate's graphql-transport-ws handler: a socket lives no longer than its credentials, and no faster.

Strawberry keeps one context per connection and lets any ``connection_init`` through; on top
of it this handler:

- closes a socket whose ``connection_init`` carries neither ``authorization`` nor
  ``invitationToken`` (4401), so nobody holds sockets open anonymously;
- checks before every operation that the token (or invitation) is still valid, and closes the
  socket when it expires, also while only a subscription runs (4401 "token expired");
- allows ``HRGATE_WEBSOCKET_OPERATIONS_PER_MINUTE`` operations per socket per minute (the rest
  are answered with an ``error`` message, code RATE_LIMITED);
- runs the document a persisted-query hash names, and only trusted documents when so configured
  (``gateway.persisted_queries``);
- gives every operation its own copy of the context (``Context.for_operation``): fresh
  DataLoaders and a fresh audit batch, so a long-lived socket neither serves rows erased since it
  opened nor records a repeated read of a report only once.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from contextlib import suppress
from contextvars import ContextVar
from typing import Any

import orjson
from starlette.websockets import WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler, Operation
from strawberry.subscriptions.protocols.graphql_transport_ws.types import ConnectionInitMessage, SubscribeMessage

from gateway.persisted_queries import PersistedQueryError
from schema.context import Context
from schema.live_fanout import shared_data_text

CLOSE_UNAUTHENTICATED = 4401
WINDOW_SECONDS = 60.0

_operation_context: ContextVar[Context | None] = ContextVar("hrgate_operation_context", default=None)
"""The running operation's context: each operation runs in its own asyncio task, which sees its own value."""


class TextFrameWebSocketAdapter(ASGIWebSocketAdapter):
    """Every graphql-transport-ws message goes out as a text frame, as the protocol says and browsers' clients
    (``graphql-ws``: ``JSON.parse`` of the frame) need. Strawberry sends bytes whenever the view's ``encode_json``
    returns bytes, as hrgate's (orjson) does for HTTP bodies."""

    async def send_json(self, message: Any) -> None:
        encoded = self.view.encode_json(message)
        await self.send_text(encoded.decode("utf-8") if isinstance(encoded, bytes) else encoded)

    async def send_text(self, text: str) -> None:
        try:
            await self.ws.send_text(text)
        except WebSocketDisconnect as disconnected:
            raise WebSocketDisconnected from disconnected


class HrTransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._operation_starts: deque[float] = deque()
        self._expiry_task: asyncio.Task | None = None

    @property
    def context(self) -> Context:  # type: ignore[override]
        """Inside an operation's task its own context; elsewhere the connection's."""
        return _operation_context.get() or self._connection_context

    @context.setter
    def context(self, value: Context) -> None:
        self._connection_context = value

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        payload = message.get("payload") or {}
        if isinstance(payload, dict) and not self.connection_init_received and not _has_credentials(payload):
            if self.connection_init_timeout_task:
                self.connection_init_timeout_task.cancel()
            self.connection_init_received = True
            await self.websocket.close(
                code=CLOSE_UNAUTHENTICATED,
                reason="connection_init must carry authorization (a bearer token) or invitationToken",
            )
            return
        await super().handle_connection_init(message)
        expires_at = self._connection_context.credentials_expire_at
        if self.connection_acknowledged and expires_at is not None and self._expiry_task is None:
            self._expiry_task = asyncio.create_task(self._close_at(expires_at))

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        if self.connection_acknowledged:
            if self._credentials_expired():
                await self.websocket.close(code=CLOSE_UNAUTHENTICATED, reason="token expired: reconnect with a new one")
                return
            limit = self._connection_context.settings.websocket_operations_per_minute
            if not self._take_operation_slot(limit):
                await self.send_message(
                    {
                        "id": message["id"],
                        "type": "error",
                        "payload": [
                            {
                                "message": f"too many operations on this connection (at most {limit} a minute)",
                                "extensions": {"code": "RATE_LIMITED"},
                            }
                        ],
                    }
                )
                return
            if not await self._resolve_persisted_document(message):
                return
        await super().handle_subscribe(message)

    async def _resolve_persisted_document(self, message: SubscribeMessage) -> bool:
        """Puts the text a persisted-query hash names into the message (``gateway.persisted_queries``, as over
        HTTP); on an unknown hash, a mismatch or a free-form document under trusted documents, answers an
        ``error`` message with the code and runs nothing."""
        payload = message.get("payload")
        persisted = getattr(self.view, "persisted_queries", None)
        if persisted is None or not isinstance(payload, dict):
            return True
        try:
            document = await persisted.document(payload.get("query"), payload.get("extensions"))
        except PersistedQueryError as error:
            await self.send_message(
                {
                    "id": message["id"],
                    "type": "error",
                    "payload": [{"message": error.message, "extensions": {"code": error.code}}],
                }
            )
            return False
        if document is not None:
            payload["query"] = document
        return True

    async def send_message(self, message: Any) -> None:
        """A ``next`` carrying a shared subscription result (``schema.live_fanout``) goes out as its JSON text,
        encoded once for every subscriber of the event; only the operation id is spliced in per socket."""
        if message.get("type") == "next":
            payload = message["payload"]
            if len(payload) == 1 and "data" in payload:
                data_text = shared_data_text(payload["data"])
                if data_text is not None:
                    operation_id = orjson.dumps(message["id"]).decode()
                    frame = f'{{"id":{operation_id},"type":"next","payload":{{"data":{data_text}}}}}'
                    await self.websocket.send_text(frame)
                    return
        await super().send_message(message)

    async def run_operation(self, operation: Operation[Context, None]) -> None:
        _operation_context.set(self._connection_context.for_operation())
        await super().run_operation(operation)

    async def shutdown(self) -> None:
        if self._expiry_task is not None:
            self._expiry_task.cancel()
            with suppress(asyncio.CancelledError):
                await self._expiry_task
        await super().shutdown()

    def _credentials_expired(self) -> bool:
        expires_at = self._connection_context.credentials_expire_at
        return expires_at is not None and time.time() >= expires_at

    def _take_operation_slot(self, limit: int) -> bool:
        now = time.monotonic()
        while self._operation_starts and self._operation_starts[0] <= now - WINDOW_SECONDS:
            self._operation_starts.popleft()
        if len(self._operation_starts) >= limit:
            return False
        self._operation_starts.append(now)
        return True

    async def _close_at(self, expires_at: float) -> None:
        """Close the socket when its credentials expire, even if the client sends nothing more."""
        await asyncio.sleep(max(0.0, expires_at - time.time()))
        with suppress(Exception):  # the client may have gone already
            await self.websocket.close(code=CLOSE_UNAUTHENTICATED, reason="token expired: reconnect with a new one")


def _has_credentials(payload: dict[str, Any]) -> bool:
    return any(isinstance(payload.get(name), str) and payload[name] for name in ("authorization", "invitationToken"))
