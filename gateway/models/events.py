"""Domain events (the transactional outbox) and webhooks: endpoints, deliveries and their attempts.

An event row is written in the transaction that makes the change it tells of
(``resolvers.services.outbox.record_event``), so a change and its event commit or vanish together. The
dispatcher sends committed events on (pub/sub, webhook deliveries); a sweeper finds what a crash left
undispatched. Declarations only, no I/O.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from gateway.models.base import UTCDateTime, created_at_field, enum_field, json_field, timestamp_field, utcnow


class DomainEventType(str, Enum):
    """What happened. The value is the event's ``type`` on the wire (Standard Webhooks style ``noun.verb``)."""

    APPLICATION_STAGE_CHANGED = "application.stage_changed"
    INTERVIEW_SUBMITTED = "interview.submitted"
    INTERVIEW_SCORED = "interview.scored"
    INTERVIEW_FAILED = "interview.failed"
    REPORT_DECIDED = "report.decided"
    EMPLOYEE_HIRED = "employee.hired"
    KPI_RECORDS_IMPORTED = "kpi_records.imported"
    COMPETENCY_MODEL_VERSION_CREATED = "competency_model.version_created"
    CANDIDATE_ERASED = "candidate.erased"
    WEBHOOK_ENDPOINT_DISABLED = "webhook_endpoint.disabled"


class WebhookDeliveryStatus(str, Enum):
    PENDING = "pending"
    """Waiting for its next attempt (``next_attempt_at``)."""
    SENDING = "sending"
    """Claimed by a worker until ``locked_until``; a worker that died leaves it for the sweeper after that."""
    DELIVERED = "delivered"
    FAILED = "failed"
    """Gave up: retries exhausted (3 days), the endpoint disabled or deleted, or the payload no longer readable."""


def updated_at_field() -> Any:
    """Set on insert and on every ORM update; indexed for incremental sync."""
    return Field(
        default_factory=utcnow,
        sa_type=UTCDateTime,
        nullable=False,
        index=True,
        sa_column_kwargs={"onupdate": utcnow},
    )


class DomainEvent(SQLModel, table=True):
    """One change worth telling, in the order of commit (ids grow in commit order: ``outbox.record_event``)."""

    __tablename__ = "domain_event"

    id: int | None = Field(default=None, primary_key=True)
    type: DomainEventType = enum_field(DomainEventType, index=True)
    subject_type: str = Field(max_length=64)
    """The graph type the event is about (``Application``, ``Interview``…), for global IDs."""
    subject_id: int = Field(index=True)
    requisition_id: int | None = Field(default=None, index=True)
    """The requisition the subject lies under, so a hiring manager's row scope applies to events in SQL."""
    payload: dict[str, Any] = json_field(default_factory=dict)
    """Ids, stages, statuses, scores and counts only: never a name, a contact or a transcript."""
    actor: str = Field(max_length=200)
    dispatched_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    """Set once pub/sub and the webhook deliveries have it; null rows are the sweeper's work."""
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()


class WebhookEndpoint(SQLModel, table=True):
    """A receiver of signed event deliveries, with the scopes that bound what its payloads may carry."""

    __tablename__ = "webhook_endpoint"

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(max_length=2000)
    description: str = Field(default="", max_length=500)
    event_types: list[str] = json_field()
    """``DomainEventType`` values; empty means every type its scopes may read."""
    scopes: list[str] = json_field()
    """Connector scopes (like an OAuth client's): the payload carries only what they may read."""
    readable: list[str] = json_field()
    """What those scopes may read (resource names), resolved by the access policy when the endpoint is saved."""
    secret: str = Field(max_length=100)
    """``whsec_`` + base64 key; shown once, when created or rotated."""
    previous_secret: str | None = Field(default=None, max_length=100)
    previous_secret_expires_at: datetime | None = timestamp_field()
    """Until then deliveries are signed with both secrets (rotation without a gap)."""
    enabled: bool = True
    disabled_reason: str | None = Field(default=None, max_length=500)
    disabled_at: datetime | None = timestamp_field()
    failure_streak: int = 0
    """Failed attempts in a row; at ``webhook_disable_after_failures`` the endpoint is disabled."""
    last_success_at: datetime | None = timestamp_field()
    created_by: str = Field(max_length=200)
    deleted_at: datetime | None = timestamp_field()
    """Deleted endpoints keep their delivery log; they receive nothing and cannot be replayed to."""
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()


class WebhookDelivery(SQLModel, table=True):
    """One event to one endpoint (``replay`` 0), or a manual replay of it (1, 2, …): the unit retried."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (sa.UniqueConstraint("endpoint_id", "event_id", "replay"),)

    id: int | None = Field(default=None, primary_key=True)
    endpoint_id: int = Field(foreign_key="webhook_endpoint.id", index=True)
    event_id: int = Field(foreign_key="domain_event.id", index=True)
    replay: int = 0
    status: WebhookDeliveryStatus = enum_field(WebhookDeliveryStatus, default=WebhookDeliveryStatus.PENDING, index=True)
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    locked_until: datetime | None = timestamp_field()
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, max_length=500)
    delivered_at: datetime | None = timestamp_field()
    requested_by: str | None = Field(default=None, max_length=200)
    """Who asked for a replay (null for the first delivery)."""
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()


class WebhookAttempt(SQLModel, table=True):
    """One HTTP request of a delivery: the delivery log read through the graph."""

    __tablename__ = "webhook_attempt"

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="webhook_delivery.id", index=True)
    attempt: int
    status_code: int | None = None
    duration_ms: int
    error: str | None = Field(default=None, max_length=500)
    """``timeout``, ``redirect not followed``, ``HTTP 500``, a connection error, a refused address…"""
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()
