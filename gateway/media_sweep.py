"""The periodic sweep of unfinished uploads, run by every gateway (``hrgate media-sweep`` by hand).

A gateway killed mid-upload leaves a ``.upload-*`` spool file on its own disk (and, with S3, perhaps
an unfinished multipart upload in the bucket). A clean stop removes its own partials at once
(``gateway.storage.remove_in_flight_partials``, from the app's lifespan); whatever a crash left is
removed here, once it has not been written to for ``HRGATE_UPLOAD_PARTIAL_MAX_AGE_SECONDS``. The sweep
runs in each gateway, not as a broker job, because each gateway's spool folder is on its own disk.
Scheduling follows ``workers.retention``: a task on the running loop, cancelled on shutdown.
"""

from __future__ import annotations

import asyncio
import logging

from gateway.settings import get_settings
from gateway.storage import StorageError, sweep_partial_uploads

logger = logging.getLogger(__name__)


async def sweep_periodically(*, interval_seconds: float, first_delay_seconds: float = 0.0) -> None:
    """Sweep after ``first_delay_seconds`` (start-up: what a crash left), then every ``interval_seconds``."""
    await asyncio.sleep(first_delay_seconds)
    while True:
        try:
            await sweep_partial_uploads()
        except StorageError as error:  # an outage must not end the schedule; the next sweep catches up
            logger.warning("the sweep of unfinished uploads could not reach the media store: %s", error)
        except Exception:
            logger.exception("the sweep of unfinished uploads failed")
        await asyncio.sleep(interval_seconds)


def schedule_sweep(*, interval_seconds: float | None = None, first_delay_seconds: float = 0.0) -> asyncio.Task[None]:
    """Start ``sweep_periodically`` on the running loop; cancel the task on shutdown."""
    interval = interval_seconds if interval_seconds is not None else get_settings().upload_sweep_interval_seconds
    return asyncio.get_running_loop().create_task(
        sweep_periodically(interval_seconds=interval, first_delay_seconds=first_delay_seconds),
        name="hrgate-upload-sweep",
    )


__all__ = ["schedule_sweep", "sweep_periodically"]
