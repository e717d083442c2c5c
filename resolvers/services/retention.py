"""The deployment's retention policy (``HRGATE_RETENTION_DAYS``): who is due for erasure, and the run.

Each candidate past the period is erased through ``resolvers.services.erasure`` in a short unit of
work of its own; the scheduled job is ``workers.retention``. The same run deletes ``Idempotency-Key``
answers past their 24 h (``resolvers.services.idempotency``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy import exists, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from gateway.db import unit_of_work
from gateway.models import (
    Answer,
    Application,
    Candidate,
    Employee,
    Interview,
    ReviewRequest,
)
from gateway.models.base import utcnow
from gateway.models.enums import ApplicationStage, ReviewRequestStatus
from gateway.settings import get_settings
from gateway.storage import MediaStore
from resolvers.services.audit import Actor
from resolvers.services.erasure import erase_candidate
from resolvers.services.idempotency import purge_expired_keys

logger = logging.getLogger(__name__)

RETENTION_ACTOR = Actor("system:retention", "system")


@dataclass(frozen=True)
class RetentionResult:
    cutoff: datetime
    erased_candidate_ids: list[int] = field(default_factory=list)
    idempotency_keys_expired: int = 0
    """Stored mutation answers past their 24 h, deleted by the same run."""


def retention_cutoff(now: datetime | None = None, retention_days: int | None = None) -> datetime:
    days = retention_days if retention_days is not None else get_settings().retention_days
    return (now or utcnow()) - timedelta(days=days)


async def candidates_due_for_erasure(
    cutoff: datetime,
    *,
    session: AsyncSession,
    candidate_id: int | None = None,
    after_id: int = 0,
    limit: int | None = None,
) -> list[int]:
    """Candidates not erased, never hired, whose last application activity is older than ``cutoff``.

    Activity is the candidate's creation, an application's creation or stage move, an interview's
    invitation or submission, an upload, or a review request.
    """
    own_application = col(Application.candidate_id) == col(Candidate.id)
    own_interview = select(Interview.id).join(Application, col(Application.id) == col(Interview.application_id))
    recent_application = exists(
        select(Application.id).where(
            own_application,
            or_(
                col(Application.updated_at) >= cutoff,
                col(Application.created_at) >= cutoff,
                col(Application.stage) == ApplicationStage.HIRED,
            ),
        )
    )
    recent_interview = exists(
        own_interview.where(
            own_application, or_(col(Interview.created_at) >= cutoff, col(Interview.submitted_at) >= cutoff)
        )
    )
    recent_upload = exists(
        own_interview.join(Answer, col(Answer.interview_id) == col(Interview.id)).where(
            own_application, col(Answer.uploaded_at) >= cutoff
        )
    )
    recent_request = exists(
        own_interview.join(ReviewRequest, col(ReviewRequest.interview_id) == col(Interview.id)).where(
            own_application,
            or_(col(ReviewRequest.requested_at) >= cutoff, col(ReviewRequest.status) == ReviewRequestStatus.OPEN),
        )
    )
    employee = exists(select(Employee.id).where(col(Employee.candidate_id) == col(Candidate.id)))
    statement = (
        select(Candidate.id)
        .where(
            col(Candidate.id) > after_id,
            col(Candidate.erased_at).is_(None),
            col(Candidate.created_at) < cutoff,
            ~recent_application,
            ~recent_interview,
            ~recent_upload,
            ~recent_request,
            ~employee,
        )
        .order_by(col(Candidate.id))
    )
    if candidate_id is not None:
        statement = statement.where(col(Candidate.id) == candidate_id)
    if limit is not None:
        statement = statement.limit(limit)
    return list((await session.exec(statement)).all())


async def run_retention(
    *,
    now: datetime | None = None,
    retention_days: int | None = None,
    store: MediaStore | None = None,
    batch_size: int = 100,
) -> RetentionResult:
    """Erase every candidate past the retention period, one short unit of work each (safe to re-run).

    Each candidate is checked again inside its own transaction, so one who applied again meanwhile
    is kept. An open human review request also keeps the candidate until HR resolves it.
    """
    days = retention_days if retention_days is not None else get_settings().retention_days
    cutoff = retention_cutoff(now, days)
    result = RetentionResult(cutoff=cutoff)
    after_id = 0
    while True:
        async with unit_of_work() as uow:
            due = await candidates_due_for_erasure(cutoff, session=uow.session, after_id=after_id, limit=batch_size)
        if not due:
            break
        for candidate_id in due:
            after_id = candidate_id
            async with unit_of_work() as uow:
                if not await candidates_due_for_erasure(cutoff, session=uow.session, candidate_id=candidate_id):
                    continue
                await erase_candidate(
                    candidate_id,
                    f"retention period of {days} days passed without application activity",
                    uow=uow,
                    actor=RETENTION_ACTOR,
                    store=store,
                )
            result.erased_candidate_ids.append(candidate_id)
    logger.info("retention: erased %d candidate(s) inactive since %s", len(result.erased_candidate_ids), cutoff)
    result = replace(result, idempotency_keys_expired=await purge_expired_keys(now=now))
    logger.info("retention: deleted %d expired idempotency key(s)", result.idempotency_keys_expired)
    return result
