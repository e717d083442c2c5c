"""Candidate e-mails: the send job (``notification_send``) and the periodic sweep (``notifications_sweep``).

The send job retries transient failures (timeouts, no connection, 4xx replies) with exponential backoff
(Dramatiq's: ``min_backoff`` doubling up to ``max_backoff``, with jitter); the service decides everything else
(``resolvers.services.notifications``: claim, skip, send, record).

Scheduling follows ``workers.retention``: the embedded gateway enqueues ``notifications_sweep`` every
``HRGATE_NOTIFICATION_SWEEP_SECONDS`` (``schedule_sweep``, started in the app's lifespan); production runs
``hrgate notifications-sweep`` from cron (every few minutes), which sends the due jobs to the broker.
"""

from __future__ import annotations

import asyncio
import logging

import dramatiq
from dramatiq.middleware import CurrentMessage

import workers.broker  # noqa: F401 - the configured broker, before the actors are declared
from gateway.mail import build_transport
from gateway.settings import get_settings
from resolvers.services.notifications import SEND_ACTOR, Outcome, deliver, sweep
from workers.runtime import run_in_thread_loop

logger = logging.getLogger(__name__)

SEND_QUEUE = "mail"
SEND_MAX_RETRIES = 6
"""With the backoff below: attempts over about 10 minutes before the e-mail is marked failed."""
SEND_MIN_BACKOFF_MS = 10_000
SEND_MAX_BACKOFF_MS = 5 * 60 * 1000
"""Below the sweep's grace period, so the sweep never races a retry that is still coming."""
SEND_TIME_LIMIT_MS = 5 * 60 * 1000
SWEEP_ACTOR_NAME = "notifications_sweep"


@dramatiq.actor(
    actor_name=SEND_ACTOR,
    queue_name=SEND_QUEUE,
    max_retries=SEND_MAX_RETRIES,
    min_backoff=SEND_MIN_BACKOFF_MS,
    max_backoff=SEND_MAX_BACKOFF_MS,
    time_limit=SEND_TIME_LIMIT_MS,
)
def notification_send(notification_id: int) -> None:
    message = CurrentMessage.get_current_message()
    retries = message.options.get("retries", 0) if message else SEND_MAX_RETRIES
    max_retries = message.options.get("max_retries", SEND_MAX_RETRIES) if message else SEND_MAX_RETRIES
    settings = get_settings()
    delivery = run_in_thread_loop(
        deliver(
            notification_id,
            transport=build_transport(settings),
            settings=settings,
            last_attempt=retries >= max_retries,
        )
    )
    logger.info(
        "notification %s: %s%s",
        notification_id,
        delivery.outcome.value,
        f" ({delivery.reason})" * bool(delivery.reason),
    )
    if delivery.outcome is Outcome.RETRY:
        raise dramatiq.Retry(f"transient: {delivery.reason}")  # backoff from the Retries middleware, no traceback


@dramatiq.actor(actor_name=SWEEP_ACTOR_NAME, queue_name="maintenance", max_retries=3, time_limit=5 * 60 * 1000)
def notifications_sweep() -> None:
    result = run_in_thread_loop(sweep())
    if result.enqueued_ids or result.interrupted_ids:
        logger.info(
            "notification sweep: %d sent to the queue, %d interrupted sends ended",
            len(result.enqueued_ids),
            len(result.interrupted_ids),
        )


async def enqueue_periodically(*, interval_seconds: float, first_delay_seconds: float = 30.0) -> None:
    """Send ``notifications_sweep`` after ``first_delay_seconds``, then every ``interval_seconds``, until cancelled."""
    await asyncio.sleep(first_delay_seconds)
    while True:
        try:
            notifications_sweep.send()
        except Exception:  # a broker hiccup must not end the schedule; the next sweep catches up
            logger.exception("could not enqueue the notification sweep")
        await asyncio.sleep(interval_seconds)


def schedule_sweep(interval_seconds: float | None = None) -> asyncio.Task[None]:
    """Start ``enqueue_periodically`` on the running loop; cancel the task on shutdown."""
    interval = interval_seconds or get_settings().notification_sweep_seconds
    return asyncio.get_running_loop().create_task(
        enqueue_periodically(interval_seconds=interval), name="hrgate-notification-sweep"
    )


__all__ = ["notification_send", "notifications_sweep", "schedule_sweep"]
