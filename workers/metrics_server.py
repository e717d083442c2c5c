"""The worker's metrics endpoint: one HTTP server per ``hrgate worker``, forked by Dramatiq's main process.

It answers every path (``/metrics`` by convention) with prometheus-client's ``MultiProcessCollector`` over the
folder the worker processes write to (``PROMETHEUS_MULTIPROC_DIR``, set by ``hrgate worker``): counters and
histograms summed over the processes. It replaces the server of Dramatiq's Prometheus middleware, which
ends its process with a traceback when the port is taken (a second ``hrgate worker`` on the same host): here
that is one warning line, and the worker goes on scoring without metrics.
"""

from __future__ import annotations

import logging
from http.server import HTTPServer

from dramatiq.middleware.prometheus import Prometheus

from gateway.settings import get_settings

logger = logging.getLogger(__name__)


def serve_worker_metrics() -> int:
    from prometheus_client import CollectorRegistry, MetricsHandler, multiprocess

    settings = get_settings()
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    handler = type("WorkerMetricsHandler", (MetricsHandler.factory(registry),), {"log_message": _quiet})
    address = (settings.worker_metrics_host, settings.worker_metrics_port)
    try:
        server = HTTPServer(address, handler)
    except OSError as error:
        logger.warning("worker metrics not served: %s:%s: %s", *address, error.strerror or error)
        return 0
    logger.info("worker metrics on http://%s:%s/metrics", *address)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def _quiet(self, format: str, *args: object) -> None:  # noqa: A002 - BaseHTTPRequestHandler's signature
    """Scrapes are not logged (one line every 15 s per Prometheus server)."""


class WorkerPrometheus(Prometheus):
    """Dramatiq's Prometheus middleware (``dramatiq_*`` message metrics) with this module's server."""

    @property
    def forks(self) -> list:
        return [serve_worker_metrics]
