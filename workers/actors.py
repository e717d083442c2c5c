"""Dramatiq actors. ``hrgate worker`` (``dramatiq workers.actors``) runs them in production.

Scoring is declared here; the daily retention job in ``workers.retention`` and the candidate e-mails in
``workers.notifications`` (imported, so workers run them too).

The scoring code (``workers.scoring`` and the model pipeline behind it) is imported by the actor
when its first job runs, never when this module is imported: the gateway imports this module to send
jobs, and its idle process must not hold PyAV, faster-whisper, MediaPipe or torch.

Messages carry ids only. Transient failures retry with backoff; a permanent one
(an unreadable recording) marks the interview failed with a reason a person can
act on, and so does the last failed retry.
"""

from __future__ import annotations

import logging

import dramatiq
from dramatiq.middleware import CurrentMessage

from resolvers.services.scoring_records import mark_failed
from workers.broker import broker
from workers.notifications import notification_send, notifications_sweep
from workers.retention import retention_run
from workers.runtime import run_in_thread_loop

logger = logging.getLogger(__name__)

SCORING_MAX_RETRIES = 3
SCORING_TIME_LIMIT_MS = 20 * 60 * 1000
"""Below RabbitMQ's 30-minute consumer timeout, which would otherwise requeue a long job."""


@dramatiq.actor(
    actor_name="score_interview",
    queue_name="scoring",
    max_retries=SCORING_MAX_RETRIES,
    min_backoff=5_000,
    max_backoff=120_000,
    time_limit=SCORING_TIME_LIMIT_MS,
)
def score_interview(interview_id: int) -> None:
    from workers.scoring import PermanentScoringError

    try:
        run_in_thread_loop(score_interview_job(interview_id))
    except PermanentScoringError as error:
        logger.warning("interview %s failed permanently: %s", interview_id, error)
        run_in_thread_loop(mark_failed(interview_id, str(error)))
    except Exception as error:
        message = CurrentMessage.get_current_message()
        retries = message.options.get("retries", 0) if message else SCORING_MAX_RETRIES
        if retries >= SCORING_MAX_RETRIES:
            run_in_thread_loop(mark_failed(interview_id, f"scoring failed after {retries + 1} attempts: {error}"))
        raise


async def score_interview_job(interview_id: int) -> None:
    """Score one interview: loads the scoring code (and its models' libraries) on the first job only."""
    from workers.scoring import score_interview_job as run_scoring

    await run_scoring(interview_id)


__all__ = ["broker", "notification_send", "notifications_sweep", "retention_run", "score_interview"]
