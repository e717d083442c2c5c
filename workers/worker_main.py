"""What ``hrgate worker`` runs (``python -m workers.dramatiq_cli workers.worker_main``): the actors, plus what
only worker processes need. The gateway imports ``workers.actors``, never this module.

- Metrics: when ``hrgate worker`` has set up prometheus-client's multiprocess folder
  (``PROMETHEUS_MULTIPROC_DIR``, before any process imported prometheus-client), Dramatiq's own Prometheus
  middleware is added. Each worker process then writes its samples (``dramatiq_*`` message counters and
  durations, and hrgate's ``hrgate_scoring_*`` instruments) to that folder, and ``workers.metrics_server``,
  forked once by Dramatiq's main process, serves all of them summed over the processes
  (``HRGATE_WORKER_METRICS_HOST``:``HRGATE_WORKER_METRICS_PORT``, any path; ``/metrics`` by convention).
- Logs: with ``HRGATE_LOG_FORMAT=json`` (lines made JSON by ``workers.dramatiq_cli``), what a job logs carries
  its message id and actor.
- Traces: with an OTLP endpoint set, each job runs in a span whose parent is the gateway's span that sent it.
"""

from __future__ import annotations

import os

from gateway.settings import get_settings
from gateway.tracing import tracing_configured_from
from workers.actors import broker
from workers.observability import add_job_log_context, add_trace_propagation

__all__ = ["broker"]

_settings = get_settings()

if os.environ.get("PROMETHEUS_MULTIPROC_DIR") and _settings.worker_metrics_port:
    from workers.metrics_server import WorkerPrometheus

    broker.add_middleware(WorkerPrometheus())

if _settings.log_format == "json":
    add_job_log_context(broker)

if tracing_configured_from(_settings, service_suffix="-worker"):
    add_trace_propagation(broker)
