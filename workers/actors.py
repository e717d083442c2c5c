"""Dramatiq actors. ``hrgate worker`` (``dramatiq workers.actors``) runs them in production.

Scoring is declared here; the daily retention job in ``workers.retention`` (imported, so workers run it too).

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
from workers.retention import retention_run
from workers.runtime import run_in_thread_loop
from workers.scoring import PermanentScoringError, score_interview_job

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


__all__ = ["broker", "retention_run", "score_interview"]
