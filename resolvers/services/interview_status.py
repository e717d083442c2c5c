"""Interview status changes: checked against the state machine, committed, then published.

Subscribers of ``interview_channel(id)`` receive ``status_event`` dicts (database ids;
the GraphQL layer turns them into global IDs).
"""

from __future__ import annotations

from typing import Any

from gateway.db import UnitOfWork
from gateway.metrics import record_interview_transition
from gateway.models import Interview
from gateway.models.base import utcnow
from gateway.models.enums import InterviewStatus, can_move_interview
from gateway.pubsub import get_pubsub
from resolvers.services.outbox import global_id


class IllegalInterviewTransition(Exception):
    """A worker or service tried a move the state machine forbids (a bug, not user input)."""


def interview_channel(interview_id: int) -> str:
    return f"interview:{interview_id}"


def status_event(
    interview: Interview, *, answers_scored: int | None = None, answers_total: int | None = None
) -> dict[str, Any]:
    return {
        "interview_id": interview.id,
        "status": interview.status.value,
        "reason": interview.status_reason,
        "answers_scored": answers_scored,
        "answers_total": answers_total,
    }


def interview_event_payload(interview: Interview, **extra: Any) -> dict[str, Any]:
    """What an ``interview.*`` domain event says: ids and the status (never the reason, which may quote media)."""
    return {
        "interviewId": global_id("Interview", interview.id),
        "applicationId": global_id("Application", interview.application_id),
        "status": interview.status.value,
        **extra,
    }


def publish_after_commit(uow: UnitOfWork, event: dict[str, Any]) -> None:
    """Publish once the change is durable: a subscriber never sees a status that was rolled back."""

    async def publish() -> None:
        await get_pubsub().publish(interview_channel(event["interview_id"]), event)

    uow.after_commit(publish)


def move_interview(
    interview: Interview,
    target: InterviewStatus,
    *,
    uow: UnitOfWork,
    reason: str | None = None,
    answers_scored: int | None = None,
    answers_total: int | None = None,
) -> None:
    if interview.status is not target and not can_move_interview(interview.status, target):
        raise IllegalInterviewTransition(f"interview {interview.id}: {interview.status.value} → {target.value}")
    if interview.status is not target:
        uow.after_commit(lambda: record_interview_transition(target.value))
        interview.status_changed_at = utcnow()
    interview.status = target
    interview.status_reason = reason
    uow.session.add(interview)
    publish_after_commit(uow, status_event(interview, answers_scored=answers_scored, answers_total=answers_total))
