"""Prometheus instruments of the gateway and the scoring services (declarations, no I/O).

Every label has a small, fixed set of values: status classes, interview statuses, scoring outcomes and
GraphQL operation labels (bounded by ``gateway.metrics_http``). No label ever carries an id, a name, a
token or anything a candidate typed. The instruments live in prometheus-client's process-wide registry,
which also holds its process and garbage-collector collectors; ``/metrics`` (``gateway.metrics_http``)
exposes it. Services record after commit, so a rolled-back change is never counted.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from prometheus_client import Counter, Histogram

SCORING_BUCKETS_SECONDS = (1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800, 3600)
"""Scoring takes seconds to minutes (speech recognition per answer); turnaround can include a queue wait."""

GRAPHQL_REQUEST_SECONDS = Histogram(
    "hrgate_graphql_request_duration_seconds",
    "HTTP GraphQL requests (POST /graphql), from the route to the last byte of the answer, by operation.",
    ["operation"],
)
GRAPHQL_ERRORS = Counter(
    "hrgate_graphql_errors",
    "HTTP GraphQL operations answered with errors (or requests refused before any operation ran), by operation.",
    ["operation"],
)
HTTP_RESPONSES = Counter(
    "hrgate_http_responses",
    "HTTP responses of every route, by status class (1xx … 5xx).",
    ["status_class"],
)
INTERVIEW_TRANSITIONS = Counter(
    "hrgate_interview_transitions",
    "Committed interview status changes, by the status entered.",
    ["status"],
)
SCORING_OUTCOMES = Counter(
    "hrgate_scoring_outcomes",
    "Scoring jobs finished: scored, scored with insufficient evidence, or failed for good.",
    ["outcome"],
)
SCORING_SECONDS = Histogram(
    "hrgate_scoring_duration_seconds",
    "One scoring attempt, from the worker's claim to the committed report.",
    buckets=SCORING_BUCKETS_SECONDS,
)
SCORING_STAGES = ("media", "speech", "text", "vision", "fusion", "store")
"""``media``: the recording fetched and probed; ``speech``: decoded and transcribed; ``text``: the transcript
compared with the question; ``vision``: face and posture (with consent); ``fusion``: the interview's scores;
``store``: evidence and report committed."""
SCORING_STAGE_SECONDS = Histogram(
    "hrgate_scoring_stage_duration_seconds",
    "One pipeline stage of one answer (fusion and store: of one interview), by stage.",
    ["stage"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600),
)
SCORING_TURNAROUND_SECONDS = Histogram(
    "hrgate_scoring_turnaround_seconds",
    "From the candidate's submission to the scoring outcome (queue wait and retries included).",
    ["outcome"],
    buckets=SCORING_BUCKETS_SECONDS,
)


WEBHOOK_ATTEMPTS = Counter(
    "hrgate_webhook_attempts",
    "Webhook delivery attempts, by what became of the delivery (delivered, retrying, failed for good) and the "
    "receiver's HTTP status class (2xx, 3xx, 4xx, 5xx; none: timeout, refused address or no attempt made).",
    ["result", "status_class"],
)
WEBHOOK_ATTEMPT_SECONDS = Histogram(
    "hrgate_webhook_attempt_duration_seconds",
    "One webhook HTTP attempt, from connect to the receiver's answer or the timeout.",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)


def record_webhook_attempt(result: str, status_code: int | None, seconds: float | None) -> None:
    """One attempt (or a delivery ended without one: ``seconds`` None)."""
    status_class = f"{status_code // 100}xx" if status_code is not None else "none"
    WEBHOOK_ATTEMPTS.labels(result=result, status_class=status_class).inc()
    if seconds is not None:
        WEBHOOK_ATTEMPT_SECONDS.observe(seconds)


def record_interview_transition(status: str) -> None:
    INTERVIEW_TRANSITIONS.labels(status=status).inc()


def record_scoring_outcome(
    outcome: str, *, submitted_at: datetime | None, scoring_seconds: float | None = None
) -> None:
    """``outcome``: ``scored``, ``insufficient_evidence`` or ``failed``. Negative durations are dropped."""
    SCORING_OUTCOMES.labels(outcome=outcome).inc()
    if scoring_seconds is not None and scoring_seconds >= 0:
        SCORING_SECONDS.observe(scoring_seconds)
    if submitted_at is not None:
        turnaround = (datetime.now(UTC) - submitted_at).total_seconds()
        if turnaround >= 0:
            SCORING_TURNAROUND_SECONDS.labels(outcome=outcome).observe(turnaround)


@contextmanager
def scoring_stage(stage: str) -> Iterator[None]:
    """Times a pipeline stage (one of ``SCORING_STAGES``), failed attempts included."""
    if stage not in SCORING_STAGES:
        raise ValueError(f"unknown scoring stage {stage!r}")
    started = time.perf_counter()
    try:
        yield
    finally:
        SCORING_STAGE_SECONDS.labels(stage=stage).observe(time.perf_counter() - started)
