"""Cap request bodies and headers: uvicorn and Starlette's multipart parser set no total limit of their own."""

from __future__ import annotations

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyTooLarge(Exception):
    pass


class BodySizeLimit:
    """Refuse bodies over the limit with 413, by Content-Length up front and by counting while streaming.

    Multipart requests (file uploads) get their own, larger limit.
    """

    def __init__(
        self, app: ASGIApp, max_bytes: int, multipart_max_bytes: int | None = None, *, allow_multipart: bool = True
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.multipart_max_bytes = multipart_max_bytes or max_bytes
        self.allow_multipart = allow_multipart

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        is_multipart = headers.get(b"content-type", b"").lower().startswith(b"multipart/")
        if is_multipart and not self.allow_multipart:
            await _error(415, "UNSUPPORTED_MEDIA_TYPE", "multipart bodies are not accepted here")(scope, receive, send)
            return
        limit = self.multipart_max_bytes if is_multipart else self.max_bytes
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, limit)
            return
        received = 0
        response_started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            response_started = response_started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not response_started:
                await self._refuse(scope, receive, send, limit)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        await _error(413, "PAYLOAD_TOO_LARGE", f"request body larger than {limit} bytes")(scope, receive, send)


class HeaderSizeLimit:
    """Refuse requests whose headers together exceed ``max_bytes`` with 431, before anything reads them.

    uvicorn's default HTTP parser (httptools) sets no limit on header size, so without this a
    64 MB ``Authorization`` header would reach token verification. Websocket handshakes with
    oversized headers are refused before accept.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            size = sum(len(name) + len(value) for name, value in scope.get("headers") or [])
            if size > self.max_bytes:
                if scope["type"] == "websocket":
                    await send({"type": "websocket.close", "code": 4431, "reason": "request headers too large"})
                    return
                message = f"request headers larger than {self.max_bytes} bytes"
                await _error(431, "HEADERS_TOO_LARGE", message)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"errors": [{"message": message, "extensions": {"code": code}}]}, status_code=status)
