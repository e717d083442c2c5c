"""Per-principal request rate limit (429 and ``Retry-After``) and a cap on websockets per client address.

The principal is whoever the bearer token verifiably speaks for (a person's subject, a connector's
client id); a request without a token, or with a token that does not verify, counts against its
client address. Keying on the raw header would give every made-up token a fresh allowance.
The token is verified here once and the result left in the ASGI scope for the GraphQL context
(``gateway.auth.scope_principal``), so nothing verifies it twice.

Counts are a sliding one-minute window in ``gateway.counters``: per process in the embedded
gateway, shared in Redis by every replica in production.
"""

from __future__ import annotations

import math

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.auth import AuthenticationError, TokenVerifier, scope_principal
from gateway.counters import LimitCounters, MemoryCounters

WINDOW_SECONDS = 60.0
CONNECTION_SLOT_HOLD_SECONDS = 6 * 3600.0
"""A websocket slot is forgotten this long after the address last opened one (a replica that died)."""
CLOSE_TOO_MANY = 4429


async def refuse_websocket(scope: Scope, receive: Receive, send: Send, reason: str) -> None:
    """Accept the handshake, then close with 4429 and ``reason``: a close before accept reaches the client as a
    bare HTTP 403 (ASGI servers answer a refused handshake that way), which a client cannot tell from a
    forbidden origin. The subprotocol the client asked for is selected, so strict clients accept the socket."""
    message = await receive()  # websocket.connect
    if message["type"] != "websocket.connect":
        return
    offered = scope.get("subprotocols") or []
    accept: dict = {"type": "websocket.accept"}
    if offered:
        accept["subprotocol"] = offered[0]
    await send(accept)
    await send({"type": "websocket.close", "code": CLOSE_TOO_MANY, "reason": reason})


def client_address(scope: Scope) -> str:
    client = scope.get("client") or ("unknown", 0)
    return str(client[0])


async def principal_key(scope: Scope, verifier: TokenVerifier | None) -> str:
    """``person:<sub>`` / ``service:<client id>`` for a verified token, else ``address:<client address>``."""
    if verifier is not None and scope["type"] == "http":
        try:
            actor = (await scope_principal(scope, verifier)).actor
        except AuthenticationError:
            actor = None
        if actor is not None and actor.is_authenticated:
            return f"{actor.kind}:{actor.subject}"
    return f"address:{client_address(scope)}"


class RateLimit:
    def __init__(
        self,
        app: ASGIApp,
        per_minute: int,
        *,
        verifier: TokenVerifier | None = None,
        counters: LimitCounters | None = None,
    ) -> None:
        self.app = app
        self.per_minute = per_minute
        self.verifier = verifier
        self.counters = counters or MemoryCounters()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or self.per_minute <= 0:
            await self.app(scope, receive, send)
            return
        key = "requests:" + await principal_key(scope, self.verifier)
        wait = await self.counters.hit(key, self.per_minute, WINDOW_SECONDS)
        if wait is None:
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await refuse_websocket(scope, receive, send, f"too many requests: retry in {max(1, math.ceil(wait))} s")
            return
        response = JSONResponse(
            {"errors": [{"message": "too many requests", "extensions": {"code": "RATE_LIMITED"}}]},
            status_code=429,
            headers={"Retry-After": str(max(1, math.ceil(wait)))},
        )
        await response(scope, receive, send)


class WebSocketConnectionCap:
    """At most ``per_address`` open websockets per client address; the next one is closed with 4429."""

    def __init__(self, app: ASGIApp, per_address: int, *, counters: LimitCounters | None = None) -> None:
        self.app = app
        self.per_address = per_address
        self.counters = counters or MemoryCounters()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            await self.app(scope, receive, send)
            return
        key = f"websockets:{client_address(scope)}"
        if not await self.counters.acquire(key, self.per_address, CONNECTION_SLOT_HOLD_SECONDS):
            await refuse_websocket(
                scope, receive, send, f"too many open websockets from this address (at most {self.per_address})"
            )
            return
        try:
            await self.app(scope, receive, send)
        finally:
            await self.counters.release(key)
