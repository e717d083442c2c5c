"""Actors of the outbox: dispatch one event, attempt one webhook delivery, sweep up after crashes.

The work is in ``resolvers.services.event_dispatch`` and ``resolvers.services.webhooks``; these actors only
run it. Retries of a delivery are scheduled by the service (a delayed message after its commit), not by
Dramatiq's own retries, which only cover a crash of the job itself (a database hiccup). Messages carry ids.

``schedule_sweeps`` enqueues ``outbox_sweep`` every ``HRGATE_OUTBOX_SWEEP_INTERVAL_SECONDS`` from the
gateway's lifespan (embedded and production alike: a sweep is idempotent, so replicas may all send it).
"""

from __future__ import annotations

import asyncio
import logging

import dramatiq

import workers.broker  # noqa: F401 - the configured broker, before the actors are declared
from gateway.settings import get_settings
from resolvers.services.event_dispatch import dispatch_event, sweep
from resolvers.services.outbox import DISPATCH_ACTOR
from resolvers.services.webhooks import DELIVER_ACTOR, attempt_delivery
from workers.runtime import run_in_thread_loop

logger = logging.getLogger(__name__)

EVENTS_QUEUE = "events"
SWEEP_ACTOR = "outbox_sweep"


@dramatiq.actor(
    actor_name=DISPATCH_ACTOR,
    queue_name=EVENTS_QUEUE,
    max_retries=10,
    min_backoff=1_000,
    max_backoff=60_000,
    time_limit=60_000,
)
def outbox_dispatch(event_id: int) -> None:
    run_in_thread_loop(dispatch_event(event_id))


@dramatiq.actor(
    actor_name=DELIVER_ACTOR,
    queue_name=EVENTS_QUEUE,
    max_retries=5,
    min_backoff=1_000,
    max_backoff=60_000,
    time_limit=120_000,  # above the 60 s cap of one attempt's HTTP timeout
)
def webhook_deliver(delivery_id: int) -> None:
    run_in_thread_loop(attempt_delivery(delivery_id))


@dramatiq.actor(actor_name=SWEEP_ACTOR, queue_name=EVENTS_QUEUE, max_retries=0, time_limit=120_000)
def outbox_sweep() -> None:
    result = run_in_thread_loop(sweep())
    if result.event_ids or result.delivery_ids:
        logger.info(
            "outbox sweep re-sent %d event(s) and %d delivery(ies)", len(result.event_ids), len(result.delivery_ids)
        )


async def enqueue_sweeps(interval_seconds: float) -> None:
    while True:
        await asyncio.sleep(interval_seconds)
        try:
            outbox_sweep.send()
        except Exception:  # a broker hiccup must not end the schedule
            logger.exception("could not enqueue the outbox sweep")


def schedule_sweeps() -> asyncio.Task[None]:
    """Start ``enqueue_sweeps`` on the running loop; cancel the task on shutdown."""
    interval = get_settings().outbox_sweep_interval_seconds
    return asyncio.get_running_loop().create_task(enqueue_sweeps(interval), name="hrgate-outbox-sweeps")


__all__ = ["outbox_dispatch", "outbox_sweep", "schedule_sweeps", "webhook_deliver"]
