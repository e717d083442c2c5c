"""Domain events as readers see them (``changes``, ``events``), webhook endpoints and their delivery log."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Self

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from gateway import models
from gateway.models import events
from resolvers.filters import WebhookDeliveryFilter
from resolvers.services.outbox import event_message, global_id, message_id
from schema.context import Info
from schema.pagination import DEFAULT_PAGE_SIZE, Connection, child_connection
from schema.permissions import Resource, resource_reader
from schema.types.base import RowNode

DomainEventType = strawberry.enum(
    events.DomainEventType, name="DomainEventType", description="What a domain event tells of."
)
WebhookDeliveryStatus = strawberry.enum(events.WebhookDeliveryStatus, name="WebhookDeliveryStatus")


@strawberry.type(
    description="A committed change, as the reader may see it: only the fields its roles or scopes may read."
)
class ChangeEvent:
    event_id: str = strawberry.field(description="evt_<n>: the webhook-id of this event's deliveries.")
    type: DomainEventType
    occurred_at: datetime
    subject_type: str = strawberry.field(description="The graph type the event is about, e.g. Application.")
    subject_id: strawberry.ID = strawberry.field(description="Global ID of that object (it may since be erased).")
    data: JSON = strawberry.field(
        description="The webhook payload's data: global IDs, stages, statuses, scores and counts."
    )

    @classmethod
    def from_row(cls, row: models.DomainEvent, readable: Callable[[str], bool]) -> Self:
        message = event_message(row, readable)
        return cls(
            event_id=message_id(row.id or 0),
            type=row.type,
            occurred_at=row.created_at,
            subject_type=row.subject_type,
            subject_id=strawberry.ID(global_id(row.subject_type, row.subject_id)),
            data=message["data"] if message is not None else {},
        )


@strawberry.type(description="One HTTP request of a webhook delivery.")
class WebhookAttempt(RowNode):
    table = models.WebhookAttempt
    resource = Resource.WEBHOOK
    id: relay.NodeID[int]
    attempt: int = strawberry.field(description="1 for the first request of the delivery, then 2, 3, …")
    status_code: int | None = strawberry.field(description="The endpoint's HTTP status; null when none came.")
    duration_ms: int
    error: str | None = strawberry.field(description="Why it failed (timeout, redirect not followed, HTTP 500…).")
    created_at: datetime


@strawberry.type(description="One event sent to one endpoint (or a manual replay of it), retried until delivered.")
class WebhookDelivery(RowNode):
    table = models.WebhookDelivery
    resource = Resource.WEBHOOK
    id: relay.NodeID[int]
    status: WebhookDeliveryStatus
    replay: int = strawberry.field(description="0 for the event's own delivery; 1, 2… for manual replays.")
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
    requested_by: str | None = strawberry.field(description="Who asked for this replay.")
    created_at: datetime
    updated_at: datetime
    endpoint_id: strawberry.Private[int]
    event_row_id: strawberry.Private[int]
    row_attributes = {"event_row_id": "event_id"}

    @strawberry.field(description="The event delivered, as the endpoint's scopes see it.")
    async def event(self, info: Info) -> ChangeEvent:
        row = await info.context.loaders.by_id(models.DomainEvent).load(self.event_row_id)
        endpoint = await info.context.loaders.by_id(models.WebhookEndpoint).load(self.endpoint_id)
        return ChangeEvent.from_row(row, lambda resource: resource in endpoint.readable)

    @strawberry.field
    async def endpoint(self, info: Info) -> WebhookEndpoint:
        return WebhookEndpoint.from_row(await info.context.loaders.by_id(models.WebhookEndpoint).load(self.endpoint_id))

    @strawberry.field(description="Every HTTP request made for this delivery, first first.")
    async def attempt_log(
        self, info: Info, first: int = DEFAULT_PAGE_SIZE, after: str | None = None
    ) -> Connection[WebhookAttempt]:
        return await child_connection(
            info,
            models.WebhookAttempt,
            models.WebhookAttempt.delivery_id,
            self.id,
            WebhookAttempt.from_row,
            first=first,
            after=after,
        )


@strawberry.type(description="A receiver of signed events (Standard Webhooks). The secret is shown only once.")
class WebhookEndpoint(RowNode):
    table = models.WebhookEndpoint
    resource = Resource.WEBHOOK
    id: relay.NodeID[int]
    url: str
    description: str
    scopes: list[str] = strawberry.field(description="Connector scopes: payloads carry only what they may read.")
    enabled: bool
    disabled_reason: str | None
    disabled_at: datetime | None
    failure_streak: int = strawberry.field(description="Failed attempts in a row (0 after a success).")
    last_success_at: datetime | None
    previous_secret_expires_at: datetime | None = strawberry.field(
        description="After a secret rotation, the previous secret also signs until then."
    )
    deleted_at: datetime | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    event_type_values: strawberry.Private[list[str]]
    row_attributes = {"event_type_values": "event_types"}

    @strawberry.field(description="The event types sent; empty means every type the scopes may read.")
    def event_types(self) -> list[DomainEventType]:
        return [events.DomainEventType(value) for value in self.event_type_values]

    @strawberry.field(description="Its deliveries, oldest first.")
    async def deliveries(
        self,
        info: Info,
        first: int = DEFAULT_PAGE_SIZE,
        after: str | None = None,
        status: WebhookDeliveryStatus | None = None,
    ) -> Connection[WebhookDelivery]:
        return await child_connection(
            info,
            models.WebhookDelivery,
            models.WebhookDelivery.endpoint_id,
            self.id,
            WebhookDelivery.from_row,
            first=first,
            after=after,
            row_filter=WebhookDeliveryFilter(status=status),
        )


def reader(info: Info) -> Callable[[str], bool]:
    """What the caller may read, by resource name (the outbox's field-level decisions)."""
    return resource_reader(info.context.actor)
