"""Scheduling of the scoring sweep (``resolvers.services.scoring_sweep``): lost scoring jobs sent again.

The embedded gateway runs the sweep itself every ``HRGATE_SCORING_SWEEP_SECONDS`` (``schedule_sweep``, started in
the app's lifespan): its in-process broker forgets every queued job when the process stops, and the sweep after
the restart sends them again. Production runs ``hrgate scoring-sweep`` from cron (every minute); it needs the
database and the broker, no worker. The sweep runs on the caller's loop, never as a job: the broker it repairs
may be the part that failed.
"""

from __future__ import annotations

import asyncio
import logging

from gateway.settings import get_settings
from resolvers.services.scoring_sweep import sweep_lost_scoring_jobs

logger = logging.getLogger(__name__)


async def sweep_periodically(*, interval_seconds: float, first_delay_seconds: float = 30.0) -> None:
    """Run the sweep after ``first_delay_seconds``, then every ``interval_seconds``, until cancelled."""
    await asyncio.sleep(first_delay_seconds)
    while True:
        try:
            await sweep_lost_scoring_jobs()
        except Exception:  # a database outage must not end the schedule; the next sweep catches up
            logger.exception("the scoring sweep failed; it runs again in %s s", interval_seconds)
        await asyncio.sleep(interval_seconds)


def schedule_sweep(interval_seconds: float | None = None, first_delay_seconds: float = 30.0) -> asyncio.Task[None]:
    """Start ``sweep_periodically`` on the running loop; cancel the task on shutdown."""
    interval = interval_seconds or get_settings().scoring_sweep_seconds
    return asyncio.get_running_loop().create_task(
        sweep_periodically(interval_seconds=interval, first_delay_seconds=first_delay_seconds),
        name="hrgate-scoring-sweep",
    )


__all__ = ["schedule_sweep", "sweep_periodically"]
