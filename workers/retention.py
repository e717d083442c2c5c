"""The retention job: erase candidates past ``HRGATE_RETENTION_DAYS`` who were not hired, and delete
``Idempotency-Key`` answers older than 24 h.

Scheduling: production runs ``hrgate retention-run`` once a day from cron or a Kubernetes
CronJob (no broker needed). The embedded default enqueues ``retention_run`` once a day from the
gateway (``schedule_daily``, started in the app's lifespan next to the embedded worker). The work
itself is ``resolvers.services.retention.run_retention``; re-running it is harmless.
"""

from __future__ import annotations

import asyncio
import logging

import dramatiq

import workers.broker  # noqa: F401 - the configured broker, before the actor is declared
from resolvers.services.retention import run_retention
from workers.runtime import run_in_thread_loop

logger = logging.getLogger(__name__)

RETENTION_ACTOR_NAME = "retention_run"
RETENTION_QUEUE = "maintenance"
DAY_SECONDS = 24 * 60 * 60
RETENTION_TIME_LIMIT_MS = 20 * 60 * 1000
"""Below RabbitMQ's 30-minute consumer timeout; a longer backlog is finished by the next day's run."""


@dramatiq.actor(
    actor_name=RETENTION_ACTOR_NAME,
    queue_name=RETENTION_QUEUE,
    max_retries=3,
    min_backoff=60_000,
    max_backoff=600_000,
    time_limit=RETENTION_TIME_LIMIT_MS,
)
def retention_run() -> None:
    result = run_in_thread_loop(run_retention())
    logger.info("retention run erased %d candidate(s)", len(result.erased_candidate_ids))


async def enqueue_daily(*, interval_seconds: float = DAY_SECONDS, first_delay_seconds: float = 60.0) -> None:
    """Send ``retention_run`` after ``first_delay_seconds``, then every ``interval_seconds``, until cancelled."""
    await asyncio.sleep(first_delay_seconds)
    while True:
        try:
            retention_run.send()
        except Exception:  # a broker hiccup must not end the schedule; tomorrow's run catches up
            logger.exception("could not enqueue the retention run")
        await asyncio.sleep(interval_seconds)


def schedule_daily(**kwargs: float) -> asyncio.Task[None]:
    """Start ``enqueue_daily`` on the running loop; cancel the task on shutdown."""
    return asyncio.get_running_loop().create_task(enqueue_daily(**kwargs), name="hrgate-retention-schedule")


__all__ = ["enqueue_daily", "retention_run", "schedule_daily"]
