"""Fanning committed events out to their consumers, and the sweeper that repairs what a crash left behind.

``dispatch_event`` (the ``outbox_dispatch`` job, sent after the commit that wrote the event) makes the
event's webhook deliveries, marks it dispatched and, once that commits, publishes it on the pub/sub bus
for ``events(types:)`` subscribers. It is idempotent: run twice, it makes no second delivery.

``sweep`` (the periodic ``outbox_sweep`` job) re-sends what never reached a worker: events still
undispatched, deliveries overdue, and deliveries whose worker died mid-request (claim expired).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlmodel import col, select

from gateway import jobs
from gateway.db import read_session, unit_of_work
from gateway.models import DomainEvent, WebhookDelivery
from gateway.models.base import utcnow
from gateway.models.events import WebhookDeliveryStatus
from gateway.pubsub import get_pubsub
from gateway.settings import Settings, get_settings
from resolvers.services.outbox import DISPATCH_ACTOR, EVENTS_CHANNEL, load_event, send_after_commit
from resolvers.services.webhooks import DELIVER_ACTOR, create_deliveries

SWEEP_BATCH = 1_000
"""Rows re-sent per sweep; a larger backlog is finished by the next sweeps."""


async def dispatch_event(event_id: int) -> None:
    async with unit_of_work() as uow:
        row = await load_event(event_id, session=uow.session)
        if row is None:
            return
        delivery_ids = await create_deliveries(row, session=uow.session)
        for delivery_id in delivery_ids:
            send_after_commit(uow.session, DELIVER_ACTOR, delivery_id)
        if row.dispatched_at is None:
            row.dispatched_at = utcnow()
            uow.session.add(row)
            message = {"id": event_id, "type": row.type.value}

            async def publish() -> None:
                await get_pubsub().publish(EVENTS_CHANNEL, message)

            uow.after_commit(publish)


@dataclass
class SweepResult:
    event_ids: list[int] = field(default_factory=list)
    delivery_ids: list[int] = field(default_factory=list)


async def sweep(settings: Settings | None = None) -> SweepResult:
    """Send again the dispatches and deliveries that should have run by now (duplicates are harmless)."""
    settings = settings or get_settings()
    now = utcnow()
    overdue = now - timedelta(seconds=settings.outbox_sweep_grace_seconds)
    async with read_session() as session:
        event_ids = (
            await session.exec(
                select(col(DomainEvent.id))
                .where(col(DomainEvent.dispatched_at).is_(None), col(DomainEvent.created_at) < overdue)
                .order_by(col(DomainEvent.id))
                .limit(SWEEP_BATCH)
            )
        ).all()
        pending = (col(WebhookDelivery.status) == WebhookDeliveryStatus.PENDING) & (
            col(WebhookDelivery.next_attempt_at) < overdue
        )
        abandoned = (col(WebhookDelivery.status) == WebhookDeliveryStatus.SENDING) & (
            col(WebhookDelivery.locked_until) < now
        )
        delivery_ids = (
            await session.exec(
                select(col(WebhookDelivery.id))
                .where(pending | abandoned)
                .order_by(col(WebhookDelivery.id))
                .limit(SWEEP_BATCH)
            )
        ).all()
    for event_id in event_ids:
        jobs.send(DISPATCH_ACTOR, event_id)
    for delivery_id in delivery_ids:
        jobs.send(DELIVER_ACTOR, delivery_id)
    return SweepResult(list(event_ids), list(delivery_ids))
