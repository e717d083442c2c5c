"""Who is acting (the principal), and writing the audit trail of changes and of sensitive reads."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import insert
from sqlmodel.ext.asyncio.session import AsyncSession

from gateway.db import unit_of_work
from gateway.models import AuditEvent
from gateway.models.base import utcnow

ActorKind = Literal["person", "service", "candidate", "system", "anonymous"]


@dataclass(frozen=True)
class Actor:
    """Who is acting: a person (roles), a service client (scopes), a candidate, the system, or nobody yet.

    ``name`` and ``role`` are what the audit trail records; ``subject`` is the identity provider's
    ``sub`` (a hiring manager sees the requisitions whose ``hiring_manager_subject`` equals it);
    ``interview_id`` is set for a candidate authenticated by an invitation token.
    """

    name: str
    role: str | None = None
    kind: ActorKind = "system"
    subject: str | None = None
    roles: frozenset[str] = frozenset()
    scopes: frozenset[str] = frozenset()
    interview_id: int | None = None

    @property
    def is_authenticated(self) -> bool:
        return self.kind != "anonymous"


SYSTEM = Actor("system", "system")
ANONYMOUS = Actor("anonymous", None, kind="anonymous")


def person(subject: str, roles: Iterable[str], *, name: str | None = None) -> Actor:
    """A person signed in at the identity provider, acting under the roles of their token."""
    role_set = frozenset(roles)
    return Actor(
        name=name or subject,
        role=",".join(sorted(role_set))[:200] or None,
        kind="person",
        subject=subject,
        roles=role_set,
    )


def service(client_id: str, scopes: Iterable[str]) -> Actor:
    """An ERP connector acting under the scopes of its client-credentials token."""
    scope_set = frozenset(scopes)
    return Actor(
        name=f"client:{client_id}"[:200],
        role=" ".join(sorted(scope_set))[:200] or None,
        kind="service",
        subject=client_id,
        scopes=scope_set,
    )


def record_audit(
    *,
    session: AsyncSession,
    actor: Actor,
    action: str,
    entity_type: str,
    entity_id: int | None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    event = AuditEvent(
        actor=actor.name,
        role=actor.role,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        details=details or {},
    )
    session.add(event)
    return event


def read_events(actor: Actor, reads: Iterable[tuple[str, int]]) -> list[dict[str, Any]]:
    """The audit rows for reads of reports or archives: one per (entity type, id), first read first."""
    now = utcnow()
    return [
        {
            "occurred_at": now,
            "actor": actor.name,
            "role": actor.role,
            "action": f"{_action_prefix(entity_type)}.read",
            "entity_type": entity_type,
            "entity_id": entity_id,
            "details": {"kind": actor.kind, "subject": actor.subject},
        }
        for entity_type, entity_id in dict.fromkeys(reads)
    ]


async def record_reads(actor: Actor, reads: Iterable[tuple[str, int]]) -> None:
    """One ``<entity>.read`` event per (entity type, id), written in ONE multi-row insert and committed.

    Reads are audited in their own short unit of work: a query has no transaction to join.
    """
    rows = read_events(actor, reads)
    if not rows:
        return
    async with unit_of_work() as uow:
        connection = await uow.session.connection()
        await connection.execute(insert(AuditEvent).values(rows))


def _action_prefix(entity_type: str) -> str:
    return {"InterviewReport": "report", "OnboardingArchive": "onboarding_archive"}.get(
        entity_type, entity_type.lower()
    )
