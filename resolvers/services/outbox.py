"""The transactional outbox: ``record_event`` is the one seam through which domain services tell of a change.

``record_event`` queues the event on the session; the session's ``before_commit`` hook writes the rows in
the same transaction as the change (so both commit or neither does), and its ``after_commit`` hook sends
one ``outbox_dispatch`` job per event. A process that dies between the commit and the send loses nothing:
the sweeper (``resolvers.services.event_dispatch.sweep``) finds the undispatched rows.

Ids grow in commit order, which makes ``changes(since:)`` safe to page by id: on PostgreSQL the rows are
written under a transaction-scoped advisory lock taken at commit time (held for the insert and the commit
only, after every other lock the transaction took, so it cannot deadlock), and SQLite serialises writers.
Without it, a transaction that took id 10 could commit after one that took id 11 was read, and a
reader paging by id would skip 10 for ever.

Payloads hold global IDs, stages, statuses, scores and counts; what a reader may see of them is decided
per event type and field (``SHAPES``), by the resource names of ``schema.permissions.Resource``.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import event, or_, text
from sqlalchemy.orm import Session
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from gateway import jobs
from gateway.models import DomainEvent, Requisition
from gateway.models.events import DomainEventType
from resolvers.pagination import Page, PageRequest, fetch_page

logger = logging.getLogger(__name__)

DISPATCH_ACTOR = "outbox_dispatch"
EVENTS_CHANNEL = "domain-events"
"""Pub/sub channel of dispatched events (``{"id": …, "type": …}``); subscribers re-read the row."""
OUTBOX_LOCK_KEY = 0x6872_6761_7465  # "hrgate": one advisory lock serialising the outbox's commits
_PENDING = "outbox_pending"
_WRITTEN = "outbox_written"
_JOBS = "outbox_jobs"


@dataclass(frozen=True)
class EventShape:
    """Who may see an event and which of its fields: resources named as in ``schema.permissions.Resource``."""

    subject_type: str
    resource: str
    """Reading this resource is needed to receive the event at all."""
    restricted: dict[str, str] = field(default_factory=dict)
    """Payload field → the further resource needed to see it (a score needs report rights)."""

    def visible_fields(self, payload: dict[str, Any], may_read: Callable[[str], bool]) -> dict[str, Any]:
        return {key: value for key, value in payload.items() if may_read(self.restricted.get(key, self.resource))}


SHAPES: dict[DomainEventType, EventShape] = {
    DomainEventType.APPLICATION_STAGE_CHANGED: EventShape("Application", "application"),
    DomainEventType.INTERVIEW_SUBMITTED: EventShape("Interview", "interview"),
    DomainEventType.INTERVIEW_SCORED: EventShape("Interview", "interview", {"reportId": "report", "total": "report"}),
    DomainEventType.INTERVIEW_FAILED: EventShape("Interview", "interview"),
    DomainEventType.REPORT_DECIDED: EventShape("InterviewReport", "report"),
    DomainEventType.EMPLOYEE_HIRED: EventShape("Employee", "employee", {"candidateId": "candidate"}),
    DomainEventType.KPI_RECORDS_IMPORTED: EventShape("KpiImport", "employee"),
    DomainEventType.COMPETENCY_MODEL_VERSION_CREATED: EventShape("CompetencyModelVersion", "reference"),
    DomainEventType.CANDIDATE_ERASED: EventShape("Candidate", "candidate"),
    DomainEventType.WEBHOOK_ENDPOINT_DISABLED: EventShape("WebhookEndpoint", "webhook"),
}
UNSCOPED_RESOURCES = frozenset({"reference", "webhook"})
"""Events of these resources lie under no requisition: a hiring manager's row scope does not narrow them."""


def global_id(type_name: str, row_id: int) -> str:
    """The graph's Relay global ID (``base64("Type:id")``, as strawberry's ``relay.GlobalID`` writes it)."""
    return base64.b64encode(f"{type_name}:{row_id}".encode()).decode()


def message_id(event_id: int) -> str:
    """The ``webhook-id`` of an event: the same on every retry and replay, so receivers dedupe by it."""
    return f"evt_{event_id}"


def record_event(
    session: AsyncSession,
    event_type: DomainEventType,
    subject_id: int,
    payload: dict[str, Any],
    *,
    actor: str,
    requisition_id: int | None = None,
) -> None:
    """Tell of a change made in ``session``'s transaction: written at its commit, dispatched after it.

    ``payload``: JSON values (global IDs from ``global_id``, enum values, numbers), no personal data.
    """
    session.info.setdefault(_PENDING, []).append(
        {
            "type": event_type,
            "subject_type": SHAPES[event_type].subject_type,
            "subject_id": subject_id,
            "requisition_id": requisition_id,
            "payload": payload,
            "actor": actor[:200],
        }
    )


@event.listens_for(Session, "before_commit")
def _write_events(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": OUTBOX_LOCK_KEY})
    rows = [DomainEvent(**values) for values in pending]
    session.add_all(rows)
    session.flush()
    session.info.setdefault(_WRITTEN, []).extend(row.id for row in rows)


def send_after_commit(
    session: AsyncSession | Session, actor_name: str, row_id: int, *, delay_ms: int | None = None
) -> None:
    """Enqueue a job once ``session`` commits (nothing if it rolls back), for services that hold only a session.

    A job lost to a crash or a broker error here is found again by the sweeper: only use this for work the
    sweeper knows (event dispatch, webhook deliveries)."""
    session.info.setdefault(_JOBS, []).append((actor_name, row_id, delay_ms))


@event.listens_for(Session, "after_commit")
def _send_jobs(session: Session) -> None:
    queued = [(DISPATCH_ACTOR, event_id, None) for event_id in session.info.pop(_WRITTEN, ())]
    queued += session.info.pop(_JOBS, [])
    for actor_name, row_id, delay_ms in queued:
        try:
            jobs.send(actor_name, row_id, delay_ms=delay_ms)
        except Exception:  # the broker is down: the sweeper finds the committed rows later
            logger.warning("could not enqueue %s(%s); the sweeper will", actor_name, row_id, exc_info=True)


@event.listens_for(Session, "after_rollback")
def _forget_events(session: Session) -> None:
    for key in (_PENDING, _WRITTEN, _JOBS):
        session.info.pop(key, None)


def event_message(row: DomainEvent, may_read: Callable[[str], bool]) -> dict[str, Any] | None:
    """The event as a reader sees it (``None`` when it may not see it at all): the webhook body's shape."""
    shape = SHAPES[row.type]
    if not may_read(shape.resource):
        return None
    return {
        "id": message_id(row.id or 0),
        "type": row.type.value,
        "timestamp": iso(row.created_at),
        "data": {
            "subject": {"type": shape.subject_type, "id": global_id(shape.subject_type, row.subject_id)},
            **shape.visible_fields(row.payload, may_read),
        },
    }


def readable_types(types: Sequence[DomainEventType] | None, may_read: Callable[[str], bool]) -> list[DomainEventType]:
    """The event types among ``types`` (all when None) a reader may receive."""
    return [event_type for event_type in (types or list(DomainEventType)) if may_read(SHAPES[event_type].resource)]


def _row_scope(hiring_manager_subject: str) -> Any:
    managed = select(col(Requisition.id)).where(col(Requisition.hiring_manager_subject) == hiring_manager_subject)
    unscoped = [t for t, shape in SHAPES.items() if shape.resource in UNSCOPED_RESOURCES]
    return or_(col(DomainEvent.type).in_(unscoped), col(DomainEvent.requisition_id).in_(managed))


def changes_clauses(types: Sequence[DomainEventType], hiring_manager_subject: str | None) -> list[Any]:
    """Events of ``types``, within a hiring manager's requisitions when ``hiring_manager_subject`` is set."""
    clauses = [col(DomainEvent.type).in_(list(types))]
    if hiring_manager_subject is not None:
        clauses.append(_row_scope(hiring_manager_subject))
    return clauses


async def changes_page(request: PageRequest, clauses: list[Any], *, session: AsyncSession) -> Page[DomainEvent]:
    """Committed events after the cursor, by id (= commit order)."""
    return await fetch_page(DomainEvent, request, clauses, session=session)


async def may_see_event(row: DomainEvent, hiring_manager_subject: str | None, *, session: AsyncSession) -> bool:
    """The row-scope half of ``changes_page`` for one event (subscriptions)."""
    if hiring_manager_subject is None or SHAPES[row.type].resource in UNSCOPED_RESOURCES:
        return True
    if row.requisition_id is None:
        return False
    requisition = await session.get(Requisition, row.requisition_id)
    return requisition is not None and requisition.hiring_manager_subject == hiring_manager_subject


async def load_event(event_id: int, *, session: AsyncSession) -> DomainEvent | None:
    return (await session.exec(select(DomainEvent).where(col(DomainEvent.id) == event_id))).first()


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
