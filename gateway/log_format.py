"""Log lines as JSON objects (``HRGATE_LOG_FORMAT=json``) and the request context they carry.

One object per line: ``time`` (UTC, ISO 8601 with milliseconds), ``level``, ``logger``, ``message``, then
``request_id`` and ``operation`` where known (an HTTP request: its ``X-Request-ID`` or a generated id, and
the GraphQL operation label of ``gateway.metrics_http``; a worker job: its Dramatiq message id and actor),
``exception`` (the formatted traceback) and ``exception_type`` when there is one. The standard library's
``json`` and ``logging`` are enough for this; no formatter library is needed.

Redaction still applies: ``gateway.log_redaction``'s filters sit on the loggers and rewrite a record
before any handler formats it, so the ``message`` here is the redacted one. The traceback text goes
through ``redact_path`` too (an invitation token can appear in a URL inside an exception message).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.log_redaction import redact_path

request_id: ContextVar[str | None] = ContextVar("hrgate_request_id", default=None)
operation: ContextVar[str | None] = ContextVar("hrgate_operation", default=None)

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
REQUEST_ID_HEADER = b"x-request-id"
_CLIENT_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
"""A client's ``X-Request-ID`` is kept only when it is short and plain (it is written into every log line)."""


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, variable in (("request_id", request_id), ("operation", operation)):
            value = getattr(record, key, None) or variable.get()
            if value:
                entry[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            entry["exception_type"] = record.exc_info[0].__name__
            entry["exception"] = redact_path(self.formatException(record.exc_info))
        elif record.exc_text:
            entry["exception"] = redact_path(record.exc_text)
        if record.stack_info:
            entry["stack"] = redact_path(self.formatStack(record.stack_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


def install_json_formatter(logger: logging.Logger, formatter: logging.Formatter) -> None:
    """Every handler of ``logger`` formats with ``formatter`` (a handler added later does not)."""
    for handler in logger.handlers:
        handler.setFormatter(formatter)


def configure_logging(level: str | int, log_format: str) -> None:
    """The root logger's one handler, on stderr: text (the default) or JSON lines."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    logging.captureWarnings(log_format == "json")  # a library's warning is a line like any other (``py.warnings``)


class RequestLogContext:
    """Sets ``request_id`` for everything logged while an HTTP request or websocket is served, and answers
    it in ``X-Request-ID`` so a client can quote it. Pure ASGI: bodies pass untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or ()).get(REQUEST_ID_HEADER, b"").decode("latin-1")
        identifier = given if _CLIENT_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        request_token, operation_token = request_id.set(identifier), operation.set(None)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(name, value) for name, value in message.get("headers", ()) if name != REQUEST_ID_HEADER]
                message = {**message, "headers": [*headers, (REQUEST_ID_HEADER, identifier.encode())]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id.reset(request_token)
            operation.reset(operation_token)
