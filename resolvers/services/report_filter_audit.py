"""The audit trail of filtering lists on interview report totals (who narrowed in on whose score).

Kept apart from the general audit writer because it reads the matching reports first, in a session
of its own, and is called by the GraphQL list resolvers that accept a score filter.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import col, select

from gateway.db import read_session, unit_of_work
from gateway.models import (
    Interview,
    InterviewReport,
)
from resolvers.filters import ApplicationFilter
from resolvers.services.audit import Actor, record_audit


async def record_report_filter_use(
    actor: Actor, row_filter: ApplicationFilter, application_ids: Sequence[int], *, requisition_id: int | None = None
) -> None:
    """A list was filtered on interview report totals: one ``report.filter`` audit event per use.

    A score filter compares every report in scope with the bounds, so each use tells the caller something
    about all of them, not only about the rows returned. One event per use records who asked, the bounds,
    the scope (requisition, stage, hiring manager) and the reports that matched on the returned page: an
    auditor sees who narrowed in on whose total (a binary search shows as a run of events with narrowing
    bounds around the same report) without one row per compared report. Written in its own unit of work,
    like every audited read.
    """
    report_ids: list[int] = []
    if application_ids:
        async with read_session() as session:
            bounds = [col(Interview.application_id).in_(list(application_ids)), col(InterviewReport.total).is_not(None)]
            if row_filter.min_score is not None:
                bounds.append(col(InterviewReport.total) >= row_filter.min_score)
            if row_filter.max_score is not None:
                bounds.append(col(InterviewReport.total) <= row_filter.max_score)
            rows = await session.exec(
                select(InterviewReport.id)
                .join(Interview, col(Interview.id) == col(InterviewReport.interview_id))
                .where(*bounds)
                .order_by(col(InterviewReport.id))
            )
            report_ids = list(rows.all())
    async with unit_of_work() as uow:
        record_audit(
            session=uow.session,
            actor=actor,
            action="report.filter",
            entity_type="InterviewReport",
            entity_id=None,
            details={
                "kind": actor.kind,
                "subject": actor.subject,
                "min_score": row_filter.min_score,
                "max_score": row_filter.max_score,
                "requisition_id": requisition_id if requisition_id is not None else row_filter.requisition_id,
                "stage": row_filter.stage.value if row_filter.stage else None,
                "hiring_manager_subject": row_filter.hiring_manager_subject,
                "application_ids": list(application_ids),
                "report_ids": report_ids,
            },
        )
