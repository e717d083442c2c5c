"""Dramatiq actors. ``hrgate worker`` (``dramatiq workers.actors``) runs them in production.

Scoring is declared here; the daily retention job in ``workers.retention``, the candidate e-mails in
``workers.notifications`` and the outbox's dispatch, webhook delivery and sweep in ``workers.webhooks``
(imported, so workers run them too).

The scoring code (``workers.scoring`` and the model pipeline behind it) is imported by the actor
when its first job runs, never when this module is imported: the gateway imports this module to send
jobs, and its idle process must not hold PyAV, faster-whisper, MediaPipe or torch.

Messages carry ids only. Transient failures retry with backoff; a permanent one
(an unreadable recording) marks the interview failed with a reason a person can
act on, and so does the last failed retry (``on_retry_exhausted`` sends
``score_interview_exhausted``, which retries on its own through a database outage).
"""

from __future__ import annotations

import logging

import dramatiq

from resolvers.services.scoring_records import mark_failed
from workers.broker import broker
from workers.notifications import notification_send, notifications_sweep
from workers.retention import retention_run
from workers.runtime import run_in_thread_loop
from workers.webhooks import outbox_dispatch, outbox_sweep, webhook_deliver

logger = logging.getLogger(__name__)

SCORING_MAX_RETRIES = 3
SCORING_EXHAUSTED_ACTOR = "score_interview_exhausted"
EXHAUSTED_MAX_RETRIES = 8
SCORING_TIME_LIMIT_MS = 20 * 60 * 1000
"""Below RabbitMQ's 30-minute consumer timeout, which would otherwise requeue a long job."""


@dramatiq.actor(
    actor_name="score_interview",
    queue_name="scoring",
    max_retries=SCORING_MAX_RETRIES,
    min_backoff=5_000,
    max_backoff=120_000,
    time_limit=SCORING_TIME_LIMIT_MS,
    on_retry_exhausted=SCORING_EXHAUSTED_ACTOR,
)
def score_interview(interview_id: int) -> None:
    from workers.scoring import PermanentScoringError

    try:
        run_in_thread_loop(score_interview_job(interview_id))
    except PermanentScoringError as error:
        logger.warning("interview %s failed permanently: %s", interview_id, error)
        run_in_thread_loop(mark_failed(interview_id, str(error)))


@dramatiq.actor(
    actor_name=SCORING_EXHAUSTED_ACTOR,
    queue_name="scoring",
    max_retries=EXHAUSTED_MAX_RETRIES,
    min_backoff=10_000,
    max_backoff=600_000,
    time_limit=60_000,
)
def score_interview_exhausted(message: dict, retry_info: dict) -> None:
    """Dramatiq's Retries middleware sends this when ``score_interview`` failed its last retry: the interview
    becomes FAILED with the last error as its reason, and ``interviewRescore`` may queue it again.

    Its own retries (backoff doubling from 10 s to 10 minutes, about half an hour in all) outlast a database
    outage that killed the job; a longer one is left to the scoring sweep, which finds the interview still
    SCORING past its deadline.
    ``message`` is the failed message as Dramatiq sends it (its arguments are the interview's id)."""
    interview_id = int(message["args"][0])
    attempts = int(retry_info.get("retries", SCORING_MAX_RETRIES)) + 1
    error = _last_error(message.get("options", {}).get("traceback") or "")
    logger.error("interview %s: scoring failed after %d attempts: %s", interview_id, attempts, error)
    run_in_thread_loop(mark_failed(interview_id, exhausted_reason(attempts, error)))


def exhausted_reason(attempts: int, error: str) -> str:
    return f"scoring failed after {attempts} attempts ({error}); a recruiter can re-score it once the cause is fixed"


def _last_error(traceback_text: str) -> str:
    """The exception line of a formatted traceback (``Type: message``), shortened for a status reason."""
    lines = [line for line in traceback_text.strip().splitlines() if line.strip()]
    return (lines[-1].strip() if lines else "unknown error")[:300]


async def score_interview_job(interview_id: int) -> None:
    """Score one interview: loads the scoring code (and its models' libraries) on the first job only."""
    from workers.scoring import score_interview_job as run_scoring

    await run_scoring(interview_id)


__all__ = [
    "broker",
    "notification_send",
    "notifications_sweep",
    "outbox_dispatch",
    "outbox_sweep",
    "retention_run",
    "score_interview",
    "score_interview_exhausted",
    "webhook_deliver",
]
