"""A webhook receiver of the tests' own: a real HTTP server that verifies Standard Webhooks signatures with the
reference ``standardwebhooks`` library, records every request, and dedupes by ``webhook-id`` as a receiver must.

``behaviour(webhook_id, nth)`` picks the answer to the ``nth`` (1-based) request for an id: ``"ok"``,
``"fail"`` (HTTP 500), ``"redirect"`` (HTTP 302 to ``/elsewhere``), or ``("hold", seconds)`` (answer late).
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook, WebhookVerificationError

Behaviour = Callable[[str, int], Any]


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    verified_by: list[int]
    """Indexes of the receiver's secrets that verify the signature (empty: forged or wrong secret)."""

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class Receiver:
    secrets: list[str] = field(default_factory=list)
    behaviour: Behaviour = lambda webhook_id, nth: "ok"  # noqa: E731
    received: list[Received] = field(default_factory=list)
    url: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _counts: Counter = field(default_factory=Counter)

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        body = handler.rfile.read(int(handler.headers.get("content-length", 0)))
        headers = {key.lower(): value for key, value in handler.headers.items()}
        verified = []
        for position, secret in enumerate(self.secrets):
            try:
                Webhook(secret).verify(body, headers)
                verified.append(position)
            except WebhookVerificationError:
                pass
        webhook_id = headers.get("webhook-id", "")
        with self._lock:
            self._counts[webhook_id] += 1
            nth = self._counts[webhook_id]
            self.received.append(Received(handler.path, headers, body, verified))
        action = self.behaviour(webhook_id, nth)
        if isinstance(action, tuple) and action[0] == "hold":
            time.sleep(action[1])
            action = "ok"
        if action == "redirect":
            handler.send_response(302)
            handler.send_header("Location", "/elsewhere")
        elif action == "fail":
            handler.send_response(500)
        else:
            handler.send_response(204 if verified else 401)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    def unique(self) -> dict[str, Received]:
        """What the receiver acts on: the first verified request per webhook-id."""
        first: dict[str, Received] = {}
        for request in list(self.received):
            if request.verified_by:
                first.setdefault(request.webhook_id, request)
        return first

    def wait_for(self, predicate: Callable[[Receiver], bool], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not predicate(self):
            assert time.monotonic() < deadline, f"receiver got {[r.webhook_id for r in self.received]}"
            time.sleep(0.1)


@contextmanager
def receiver(secrets: list[str] | None = None, behaviour: Behaviour | None = None) -> Iterator[Receiver]:
    state = Receiver(secrets=list(secrets or []))
    if behaviour is not None:
        state.behaviour = behaviour

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            state.handle(self)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
