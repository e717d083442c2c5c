"""Cap request bodies: uvicorn and Starlette's multipart parser set no total limit of their own."""

from __future__ import annotations

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyTooLarge(Exception):
    pass


class BodySizeLimit:
    """Refuse bodies over the limit with 413, by Content-Length up front and by counting while streaming.

    Multipart requests (file uploads) get their own, larger limit.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, multipart_max_bytes: int | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.multipart_max_bytes = multipart_max_bytes or max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        is_multipart = headers.get(b"content-type", b"").startswith(b"multipart/")
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
        response = JSONResponse(
            {
                "errors": [
                    {"message": f"request body larger than {limit} bytes", "extensions": {"code": "PAYLOAD_TOO_LARGE"}}
                ]
            },
            status_code=413,
        )
        await response(scope, receive, send)
