"""CSRF protection for the GraphQL endpoint, after Apollo Server's rule.

A browser can send a cross-site POST without asking the server first only as a
"simple request": content types ``application/x-www-form-urlencoded``,
``multipart/form-data`` or ``text/plain``. GraphQL requests with those types must
therefore carry a header no simple request can (``Apollo-Require-Preflight`` or
``X-Apollo-Operation-Name``, any value), which forces a CORS preflight. JSON
requests are safe as they are. Form-encoded and plain-text bodies are not GraphQL
here at all: they are refused.
"""

from __future__ import annotations

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

PREFLIGHT_HEADERS = (b"apollo-require-preflight", b"x-apollo-operation-name")


class CsrfGuard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("method") == "POST":
            headers = dict(scope.get("headers") or [])
            content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
            if content_type in (b"application/x-www-form-urlencoded", b"text/plain"):
                await _refuse(scope, receive, send, "form-encoded and plain-text GraphQL requests are not accepted")
                return
            if content_type == b"multipart/form-data" and not any(name in headers for name in PREFLIGHT_HEADERS):
                await _refuse(
                    scope,
                    receive,
                    send,
                    "multipart requests need an Apollo-Require-Preflight header (CSRF protection)",
                )
                return
        await self.app(scope, receive, send)


async def _refuse(scope: Scope, receive: Receive, send: Send, message: str) -> None:
    response = JSONResponse({"errors": [{"message": message, "extensions": {"code": "CSRF_REFUSED"}}]}, status_code=400)
    await response(scope, receive, send)
