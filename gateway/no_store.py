"""``Cache-Control: no-store`` on responses that may carry personal data (``/graphql``, uploads, charts).

GraphQL answers hold candidates' names, scores and transcripts: no browser or shared cache may keep
them. A pure ASGI wrapper (no body buffering), so streamed and multipart responses pass unchanged; a
header the wrapped app already set wins.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

NO_STORE_HEADERS = ((b"cache-control", b"no-store"), (b"pragma", b"no-cache"))


class NoStore:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_no_store(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in NO_STORE_HEADERS if name not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_no_store)
