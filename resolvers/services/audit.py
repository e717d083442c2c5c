"""Writing the audit trail, in the same unit of work as the change it records."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from gateway.models import AuditEvent


@dataclass(frozen=True)
class Actor:
    """Who is acting: a person, a service client, a candidate, or the system itself."""

    name: str
    role: str | None = None


SYSTEM = Actor("system", "system")


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
