"""Per-principal request rate limit, answered with 429 and ``Retry-After``.

The principal is the bearer token (hashed), else the invitation token of a
candidate route, else the client address. Counts are kept per gateway process
in a sliding one-minute window: with N replicas behind a load balancer the
effective limit is up to N times the setting.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import deque

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

WINDOW_SECONDS = 60.0


class RateLimit:
    def __init__(self, app: ASGIApp, per_minute: int, *, clock=time.monotonic) -> None:  # noqa: ANN001
        self.app = app
        self.per_minute = per_minute
        self.clock = clock
        self._hits: dict[str, deque[float]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or self.per_minute <= 0:
            await self.app(scope, receive, send)
            return
        key = principal_key(scope)
        now = self.clock()
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - WINDOW_SECONDS:
            hits.popleft()
        if len(hits) >= self.per_minute:
            retry_after = max(1, math.ceil(hits[0] + WINDOW_SECONDS - now))
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 4429})
                return
            response = JSONResponse(
                {"errors": [{"message": "too many requests", "extensions": {"code": "RATE_LIMITED"}}]},
                status_code=429,
                headers={"Retry-After": str(retry_after)},
            )
            await response(scope, receive, send)
            return
        hits.append(now)
        if len(self._hits) > 100_000:  # forget idle principals rather than grow without bound
            self._hits = {k: v for k, v in self._hits.items() if v and v[-1] > now - WINDOW_SECONDS}
        await self.app(scope, receive, send)


def principal_key(scope: Scope) -> str:
    headers = dict(scope.get("headers") or [])
    authorization = headers.get(b"authorization")
    if authorization:
        return "token:" + hashlib.sha256(authorization).hexdigest()
    path = scope.get("path", "")
    if path.startswith("/interview/"):
        token = path.split("/")[2] if path.count("/") >= 2 else ""
        return "invitation:" + hashlib.sha256(token.encode()).hexdigest()
    client = scope.get("client") or ("unknown", 0)
    return f"address:{client[0]}"
