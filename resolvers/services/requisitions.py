"""Requisitions: open one on a pinned competency model version, edit it, close it."""

from __future__ import annotations

from pydantic import BaseModel, Field
from sqlmodel.ext.asyncio.session import AsyncSession

from gateway.models import CompetencyModelVersion, Requisition
from gateway.models.base import utcnow
from gateway.models.enums import BusinessLine, RequisitionStatus
from resolvers.errors import DomainError, ErrorCode, not_found, validate_draft
from resolvers.services.audit import Actor, record_audit
from resolvers.services.competency import freeze_version


class RequisitionDraft(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    department: str = Field(min_length=1, max_length=200)
    business_line: BusinessLine
    headcount: int = Field(ge=1, le=10_000)
    hiring_manager_subject: str | None = Field(default=None, min_length=1, max_length=200)


class RequisitionChanges(BaseModel):
    title: str | None = Field(default=None, min_length=1, max_length=200)
    department: str | None = Field(default=None, min_length=1, max_length=200)
    business_line: BusinessLine | None = None
    headcount: int | None = Field(default=None, ge=1, le=10_000)
    status: RequisitionStatus | None = None
    hiring_manager_subject: str | None = Field(default=None, min_length=1, max_length=200)


async def create_requisition(
    data: dict, competency_model_version_id: int, *, session: AsyncSession, actor: Actor
) -> Requisition:
    """Open a requisition; the competency model version it pins becomes immutable."""
    draft = validate_draft(RequisitionDraft, data)
    version = await session.get(CompetencyModelVersion, competency_model_version_id, with_for_update=True)
    if version is None:
        raise not_found("competencyModelVersionId", "competency model version")
    requisition = Requisition(**draft.model_dump(), competency_model_version_id=version.id)
    session.add(requisition)
    await freeze_version(version, session=session)
    await session.flush()
    record_audit(
        session=session,
        actor=actor,
        action="requisition.create",
        entity_type="Requisition",
        entity_id=requisition.id,
        details={"competency_model_version_id": version.id},
    )
    return requisition


async def _open_requisition(requisition_id: int, *, session: AsyncSession) -> Requisition:
    requisition = await session.get(Requisition, requisition_id, with_for_update=True)
    if requisition is None:
        raise not_found("id", "requisition")
    if requisition.status is RequisitionStatus.CLOSED:
        raise DomainError.single("id", "the requisition is closed", ErrorCode.REQUISITION_CLOSED)
    return requisition


async def update_requisition(data: dict, requisition_id: int, *, session: AsyncSession, actor: Actor) -> Requisition:
    """Change title, department, line, headcount, or put it on hold / reopen it (closing has its own mutation)."""
    changes = validate_draft(RequisitionChanges, data)
    if changes.status is RequisitionStatus.CLOSED:
        raise DomainError.single("status", "use requisitionClose to close a requisition", ErrorCode.INVALID)
    requisition = await _open_requisition(requisition_id, session=session)
    changed = changes.model_dump(exclude_none=True)
    for name, value in changed.items():
        setattr(requisition, name, value)
    requisition.updated_at = utcnow()
    session.add(requisition)
    record_audit(
        session=session,
        actor=actor,
        action="requisition.update",
        entity_type="Requisition",
        entity_id=requisition.id,
        details={"changed": sorted(changed)},
    )
    return requisition


async def close_requisition(requisition_id: int, reason: str, *, session: AsyncSession, actor: Actor) -> Requisition:
    requisition = await _open_requisition(requisition_id, session=session)
    requisition.status = RequisitionStatus.CLOSED
    requisition.closed_at = requisition.updated_at = utcnow()
    requisition.close_reason = reason or None
    session.add(requisition)
    record_audit(
        session=session,
        actor=actor,
        action="requisition.close",
        entity_type="Requisition",
        entity_id=requisition.id,
        details={"reason": reason},
    )
    return requisition
