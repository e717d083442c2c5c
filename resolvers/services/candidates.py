"""Candidates, their consents, and applications moving through the hiring stages."""

from __future__ import annotations

from pydantic import BaseModel, Field
from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from gateway.models import Application, ApplicationStageChange, Candidate, ConsentRecord, Requisition
from gateway.models.base import utcnow
from gateway.models.enums import ApplicationStage, ConsentKind, RequisitionStatus, can_move_application
from gateway.models.events import DomainEventType
from resolvers.errors import DomainError, ErrorCode, not_found, validate_draft
from resolvers.services.audit import Actor, record_audit
from resolvers.services.outbox import global_id, record_event

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class ConsentDraft(BaseModel):
    kind: ConsentKind
    notice_version: str = Field(min_length=1, max_length=32)
    granted: bool


class CandidateDraft(BaseModel):
    full_name: str = Field(min_length=1, max_length=200)
    email: str = Field(pattern=EMAIL_PATTERN, max_length=320)
    phone: str | None = Field(default=None, pattern=r"^\+?[0-9 ()-]{5,40}$")
    resume_text: str = Field(default="", max_length=200_000)
    consents: list[ConsentDraft] = Field(default_factory=list, max_length=10)


async def create_candidate(data: dict, *, session: AsyncSession, actor: Actor) -> Candidate:
    draft = validate_draft(CandidateDraft, data)
    email = draft.email.strip().lower()
    if (await session.exec(select(Candidate.id).where(func.lower(Candidate.email) == email))).first() is not None:
        raise DomainError.single("email", "a candidate with this email exists", ErrorCode.ALREADY_EXISTS)
    candidate = Candidate(
        full_name=draft.full_name.strip(), email=email, phone=draft.phone, resume_text=draft.resume_text
    )
    session.add(candidate)
    await session.flush()
    for consent in draft.consents:
        session.add(ConsentRecord(candidate_id=candidate.id, **consent.model_dump()))
    record_audit(
        session=session, actor=actor, action="candidate.create", entity_type="Candidate", entity_id=candidate.id
    )
    return candidate


async def apply(candidate_id: int, requisition_id: int, *, session: AsyncSession, actor: Actor) -> Application:
    """A candidate applies to an open requisition, once; the application starts in screening."""
    if await session.get(Candidate, candidate_id) is None:
        raise not_found("candidateId", "candidate")
    requisition = await session.get(Requisition, requisition_id)
    if requisition is None:
        raise not_found("requisitionId", "requisition")
    if requisition.status is not RequisitionStatus.OPEN:
        raise DomainError.single(
            "requisitionId", f"the requisition is {requisition.status.value}, not open", ErrorCode.REQUISITION_CLOSED
        )
    duplicate = await session.exec(
        select(Application.id).where(
            Application.candidate_id == candidate_id, Application.requisition_id == requisition_id
        )
    )
    if duplicate.first() is not None:
        raise DomainError.single(
            "candidateId", "the candidate has already applied to this requisition", ErrorCode.ALREADY_EXISTS
        )
    application = Application(candidate_id=candidate_id, requisition_id=requisition_id)
    session.add(application)
    await session.flush()
    session.add(
        ApplicationStageChange(
            application_id=application.id, from_stage=None, to_stage=application.stage, actor=actor.name
        )
    )
    record_audit(
        session=session,
        actor=actor,
        action="application.create",
        entity_type="Application",
        entity_id=application.id,
        details={"candidate_id": candidate_id, "requisition_id": requisition_id},
    )
    return application


async def load_application(application_id: int, *, session: AsyncSession, field: str = "applicationId") -> Application:
    application = await session.get(Application, application_id, with_for_update=True)
    if application is None:
        raise not_found(field, "application")
    return application


def change_stage(
    application: Application, target: ApplicationStage, reason: str, *, session: AsyncSession, actor: Actor
) -> None:
    """Apply a legal stage move and write it to the stage history (callers check legality first)."""
    session.add(
        ApplicationStageChange(
            application_id=application.id,
            from_stage=application.stage,
            to_stage=target,
            reason=reason,
            actor=actor.name,
        )
    )
    record_audit(
        session=session,
        actor=actor,
        action="application.move_stage",
        entity_type="Application",
        entity_id=application.id,
        details={"from": application.stage.value, "to": target.value, "reason": reason},
    )
    record_event(
        session,
        DomainEventType.APPLICATION_STAGE_CHANGED,
        application.id,
        {
            "applicationId": global_id("Application", application.id),
            "candidateId": global_id("Candidate", application.candidate_id),
            "requisitionId": global_id("Requisition", application.requisition_id),
            "fromStage": application.stage.value,
            "toStage": target.value,
        },
        actor=actor.name,
        requisition_id=application.requisition_id,
    )
    application.stage = target
    application.updated_at = utcnow()
    session.add(application)


def illegal_move(current: ApplicationStage, target: ApplicationStage, field: str = "stage") -> DomainError:
    return DomainError.single(
        field, f"an application cannot move from {current.value} to {target.value}", ErrorCode.ILLEGAL_TRANSITION
    )


async def move_stage(
    application_id: int, target: ApplicationStage, reason: str, *, session: AsyncSession, actor: Actor
) -> Application:
    application = await load_application(application_id, session=session)
    if target is ApplicationStage.HIRED:
        raise DomainError.single("stage", "hiring goes through employeeHire", ErrorCode.ILLEGAL_TRANSITION)
    if not can_move_application(application.stage, target):
        raise illegal_move(application.stage, target)
    change_stage(application, target, reason, session=session, actor=actor)
    return application
