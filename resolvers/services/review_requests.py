"""Candidates' review requests (PIPL art. 24): the candidate opens one, HR lists and resolves it.

Candidate-side operations take the invitation token. The token keeps working for these requests
after the answering window closed and after the application moved on (the rights outlast the
interview), until the candidate's data is erased; an unknown, forged or erased token is refused
alike (``INVITATION_INVALID``), so a caller learns nothing about whether a candidate existed.
The explanation request (``resolvers.services.explanation``) shares that token check.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from gateway.db import UnitOfWork
from gateway.models import (
    Application,
    Candidate,
    Interview,
    InterviewReport,
    Requisition,
    ReviewRequest,
)
from gateway.models.base import utcnow
from gateway.models.enums import ReviewRequestKind, ReviewRequestStatus
from resolvers.errors import DomainError, ErrorCode
from resolvers.services.audit import Actor, record_audit
from resolvers.services.candidate_interview import TOKEN_FIELD, candidate_actor
from resolvers.services.invitations import hash_token
from resolvers.services.policy import privacy_token_decision

MESSAGE_MAX_CHARS = 5_000


@dataclass(frozen=True)
class ReviewRequestFilter:
    """HR's list of review requests, by status and kind (hashable, like ``resolvers.filters``)."""

    status: ReviewRequestStatus | None = None
    kind: ReviewRequestKind | None = None
    hiring_manager_subject: str | None = None
    """Only requests about interviews under this hiring manager's requisitions."""

    def clauses(self) -> list[ColumnElement[bool]]:
        clauses = []
        if self.hiring_manager_subject is not None:
            clauses.append(
                col(ReviewRequest.interview_id).in_(
                    select(col(Interview.id))
                    .join(Application, col(Application.id) == col(Interview.application_id))
                    .join(Requisition, col(Requisition.id) == col(Application.requisition_id))
                    .where(col(Requisition.hiring_manager_subject) == self.hiring_manager_subject)
                )
            )
        if self.status is not None:
            clauses.append(col(ReviewRequest.status) == self.status)
        if self.kind is not None:
            clauses.append(col(ReviewRequest.kind) == self.kind)
        return clauses


# ---- the candidate's requests (invitation token) ------------------------------------------------


async def open_for_privacy(token: str, *, session: AsyncSession) -> tuple[Interview, Application, Candidate]:
    """The interview, application and candidate behind a token; any token not usable here is refused alike."""
    interview = (await session.exec(select(Interview).where(Interview.token_hash == hash_token(token or "")))).first()
    application = await session.get(Application, interview.application_id) if interview else None
    candidate = await session.get(Candidate, application.candidate_id) if application else None
    decision = privacy_token_decision(interview, application, candidate)
    if not decision.allowed:
        raise DomainError.single(TOKEN_FIELD, decision.reason or "", ErrorCode.INVITATION_INVALID)
    assert interview is not None and application is not None and candidate is not None
    return interview, application, candidate


async def scored_report(interview: Interview, *, session: AsyncSession) -> InterviewReport:
    """The interview's report once scored; before that there is nothing to explain or review."""
    report = (await session.exec(select(InterviewReport).where(InterviewReport.interview_id == interview.id))).first()
    if report is None or report.scored_at is None:
        raise DomainError.single(
            TOKEN_FIELD, "the interview has not been scored yet; try again later", ErrorCode.REPORT_NOT_READY
        )
    return report


def _message(text: str | None, field_name: str, *, required: bool) -> str:
    text = (text or "").strip()
    if required and not text:
        raise DomainError.single(field_name, "write a few words", ErrorCode.REQUIRED)
    if len(text) > MESSAGE_MAX_CHARS:
        raise DomainError.single(field_name, f"at most {MESSAGE_MAX_CHARS} characters", ErrorCode.INVALID)
    return text


async def request_human_review(token: str, message: str | None, *, uow: UnitOfWork) -> ReviewRequest:
    """The candidate asks a person to review the AI result (one open request per interview)."""
    text = _message(message, "message", required=False)
    session = uow.session
    interview, _, _ = await open_for_privacy(token, session=session)
    await scored_report(interview, session=session)
    already_open = (
        await session.exec(
            select(ReviewRequest.id).where(
                ReviewRequest.interview_id == interview.id,
                ReviewRequest.kind == ReviewRequestKind.HUMAN_REVIEW,
                ReviewRequest.status == ReviewRequestStatus.OPEN,
            )
        )
    ).first()
    if already_open is not None:
        raise DomainError.single(
            TOKEN_FIELD, "a human review of this interview is already open", ErrorCode.ALREADY_EXISTS
        )
    request = ReviewRequest(interview_id=interview.id, kind=ReviewRequestKind.HUMAN_REVIEW, candidate_message=text)
    session.add(request)
    await session.flush()
    record_audit(
        session=session,
        actor=candidate_actor(interview),
        action="review_request.create",
        entity_type="ReviewRequest",
        entity_id=request.id,
        details={"interview_id": interview.id, "kind": ReviewRequestKind.HUMAN_REVIEW.value},
    )
    return request


# ---- HR: review requests ------------------------------------------------------------------------


async def resolve_review_request(
    review_request_id: int, resolution: str | None, *, uow: UnitOfWork, actor: Actor
) -> ReviewRequest:
    """HR answers an open request with a note; a resolved request stays resolved."""
    text = _message(resolution, "resolution", required=True)
    session = uow.session
    request = await session.get(ReviewRequest, review_request_id, with_for_update=True)
    if request is None:
        raise DomainError.single("reviewRequestId", "review request not found", ErrorCode.NOT_FOUND)
    if request.status is not ReviewRequestStatus.OPEN:
        raise DomainError.single("reviewRequestId", "this request is already resolved", ErrorCode.ALREADY_RESOLVED)
    request.status = ReviewRequestStatus.RESOLVED
    request.resolution = text
    request.resolved_by = actor.name
    request.resolved_at = utcnow()
    session.add(request)
    record_audit(
        session=session,
        actor=actor,
        action="review_request.resolve",
        entity_type="ReviewRequest",
        entity_id=request.id,
        details={"interview_id": request.interview_id, "kind": request.kind.value},
    )
    return request


def record_review_requests_read(
    request_ids: Sequence[int], row_filter: ReviewRequestFilter, *, session: AsyncSession, actor: Actor
) -> None:
    """A person read candidates' requests (their messages are personal data): audit which."""
    record_audit(
        session=session,
        actor=actor,
        action="review_request.list",
        entity_type="ReviewRequest",
        entity_id=None,
        details={
            "ids": list(request_ids),
            "status": row_filter.status.value if row_filter.status else None,
            "kind": row_filter.kind.value if row_filter.kind else None,
        },
    )
