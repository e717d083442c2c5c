"""Inviting an application to an AI interview with a one-time, expiring, hashed token."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from gateway.models import Dimension, Interview, InterviewQuestion, Question, Requisition
from gateway.models.base import utcnow
from gateway.models.enums import ApplicationStage, InterviewStatus
from resolvers.errors import DomainError, ErrorCode
from resolvers.services.audit import Actor, record_audit
from resolvers.services.candidates import change_stage, illegal_move, load_application

ACTIVE_STATUSES = (
    InterviewStatus.INVITED,
    InterviewStatus.IN_PROGRESS,
    InterviewStatus.SUBMITTED,
    InterviewStatus.QUEUED,
    InterviewStatus.SCORING,
)


def invitation_url(public_base_url: str, token: str) -> str:
    """The candidate's link (the candidate app reads the token from the path)."""
    return f"{public_base_url.rstrip('/')}/interview/{token}"


def hash_token(token: str) -> str:
    """Only this digest is stored: a leaked database cannot be used to open interviews."""
    return hashlib.sha256(token.encode()).hexdigest()


async def invite_to_interview(
    application_id: int,
    *,
    session: AsyncSession,
    actor: Actor,
    ttl_hours: int,
    question_ids: list[int] | None = None,
) -> tuple[Interview, str]:
    """Create an interview and return it with its raw token (shown once, never stored)."""
    application = await load_application(application_id, session=session)
    if application.stage not in (ApplicationStage.SCREENING, ApplicationStage.AI_INTERVIEW):
        raise illegal_move(application.stage, ApplicationStage.AI_INTERVIEW, field="applicationId")
    active = await session.exec(
        select(Interview.id).where(
            Interview.application_id == application_id,
            col(Interview.status).in_(ACTIVE_STATUSES),
            Interview.expires_at > utcnow(),
        )
    )
    if active.first() is not None:
        raise DomainError.single(
            "applicationId", "the application already has an interview in progress", ErrorCode.INTERVIEW_ALREADY_ACTIVE
        )
    if not 1 <= ttl_hours <= 24 * 30:
        raise DomainError.single("expiresInHours", "must be between 1 and 720 hours", ErrorCode.INVALID)
    requisition = await session.get(Requisition, application.requisition_id)
    assert requisition is not None
    available = (
        await session.exec(
            select(Question.id)
            .join(Dimension, col(Dimension.id) == Question.dimension_id)
            .where(Dimension.model_version_id == requisition.competency_model_version_id)
            .order_by(Dimension.position, Question.position, Question.id)
        )
    ).all()
    if question_ids:
        unknown = [question_id for question_id in question_ids if question_id not in available]
        if unknown or len(set(question_ids)) != len(question_ids):
            raise DomainError.single(
                "questionIds",
                "questions must be distinct and belong to the requisition's competency model",
                ErrorCode.INVALID,
            )
        chosen = question_ids
    else:
        chosen = list(available)
    token = secrets.token_urlsafe(32)
    interview = Interview(
        application_id=application.id,
        token_hash=hash_token(token),
        expires_at=utcnow() + timedelta(hours=ttl_hours),
    )
    session.add(interview)
    await session.flush()
    for position, question_id in enumerate(chosen):
        session.add(InterviewQuestion(interview_id=interview.id, question_id=question_id, position=position))
    if application.stage is ApplicationStage.SCREENING:
        change_stage(
            application, ApplicationStage.AI_INTERVIEW, "invited to AI interview", session=session, actor=actor
        )
    record_audit(
        session=session,
        actor=actor,
        action="interview.invite",
        entity_type="Interview",
        entity_id=interview.id,
        details={"application_id": application.id, "questions": len(chosen)},
    )
    await session.flush()
    return interview, token
