"""A full disk while a request body is being buffered answers 507 with a coded error, never a bare 500.

Multipart GraphQL uploads are parsed by Starlette before any resolver runs; the file part is spooled
to the temporary folder, so a full disk surfaces there as ``OSError(ENOSPC)``. Once a resolver runs,
the media store reports a full disk itself (``STORAGE_FULL`` in the payload); this wrapper covers the
parsing before it. A pure ASGI wrapper: answers only when nothing was sent yet.
"""

from __future__ import annotations

import logging

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.storage import is_disk_full

logger = logging.getLogger(__name__)

STORAGE_FULL_CODE = "STORAGE_FULL"
RETRY_AFTER_SECONDS = b"300"
MESSAGE = (
    "the request could not be received: the server has no space left. Nothing was saved; please send it again later"
)


class DiskFullAs507:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except OSError as error:
            if started or not is_disk_full(error):
                raise
            logger.error("request refused: no space left to buffer its body (%s)", error)
            body = orjson.dumps(
                {"data": None, "errors": [{"message": MESSAGE, "extensions": {"code": STORAGE_FULL_CODE}}]}
            )
            await send(
                {
                    "type": "http.response.start",
                    "status": 507,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                        (b"retry-after", RETRY_AFTER_SECONDS),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
