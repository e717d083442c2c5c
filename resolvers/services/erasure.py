"""Erasure of a candidate's personal data (PIPL art. 47), on request or by the retention policy.

Walks the registry in ``gateway.models.personal_data``; the retention job
(``resolvers.services.retention``) calls ``erase_candidate`` for each candidate past the period.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from gateway.db import UnitOfWork
from gateway.models import (
    Answer,
    Application,
    Candidate,
    Employee,
    Interview,
    InterviewReport,
)
from gateway.models.base import utcnow
from gateway.models.enums import ApplicationStage, InterviewStatus
from gateway.models.events import DomainEventType
from gateway.models.personal_data import BY_MODEL as PERSONAL_DATA_BY_MODEL
from gateway.models.personal_data import CANDIDATE_TABLES, MEDIA_FOLDERS, Kind, Table
from gateway.storage import MediaStore, get_media_store
from resolvers.errors import DomainError, ErrorCode
from resolvers.services.audit import Actor, record_audit
from resolvers.services.candidates import change_stage
from resolvers.services.interview_status import interview_event_payload, move_interview
from resolvers.services.outbox import global_id, record_event
from resolvers.services.review_requests import MESSAGE_MAX_CHARS

logger = logging.getLogger(__name__)

ERASED_NAME = "erased"
OPEN_STAGES = (
    ApplicationStage.SCREENING,
    ApplicationStage.AI_INTERVIEW,
    ApplicationStage.SECOND_INTERVIEW,
    ApplicationStage.OFFER,
)
IN_FLIGHT = (InterviewStatus.QUEUED, InterviewStatus.SCORING)


@dataclass(frozen=True)
class ErasureResult:
    candidate_id: int
    erased_at: datetime
    already_erased: bool
    employee_record_kept: bool
    media_files_deleted: int = 0
    answers_cleared: int = 0
    reports_cleared: int = 0


def _owned_ids(table: Table, candidate_id: int) -> Any:
    """SELECT of the ids of ``table``'s rows that belong to the candidate, through the registry's owner links."""
    if table.owner is None:
        return select(col(table.model.id)).where(col(table.model.id) == candidate_id)
    column, parent = table.owner
    return select(col(table.model.id)).where(
        col(getattr(table.model, column)).in_(_owned_ids(PERSONAL_DATA_BY_MODEL[parent], candidate_id))
    )


async def _owned_rows(table: Table, candidate_id: int, *, session: AsyncSession) -> list[Any]:
    statement = select(table.model).where(col(table.model.id).in_(_owned_ids(table, candidate_id)))
    return list((await session.exec(statement.order_by(col(table.model.id)))).all())


async def erase_candidate(
    candidate_id: int, reason: str | None, *, uow: UnitOfWork, actor: Actor, store: MediaStore | None = None
) -> ErasureResult:
    """Erase a candidate's personal data on request (PIPL art. 47), keeping what statistics and law need.

    What is erased and what is kept is declared once, column by column, in
    ``gateway.models.personal_data``; this walks it. In short — removed: every answer recording
    (each interview's whole media folder is deleted after commit, so a file no row points at goes
    too), transcripts, extracted features and upload fingerprints; the report's narrative
    (strengths, weaknesses, tags, HR's override note) and the dimension scores' evidence; the
    candidate's messages in review requests; the self-reported groups (rows deleted); the
    candidate's name (→ "erased"), email (→ ``erased-<id>@invalid``), phone and résumé. Open
    applications are withdrawn, which also revokes their invitation links, and interviews still
    waiting for scoring are failed so no worker writes transcripts back.

    Kept: the rows themselves, report totals, percentiles, radar and dimension scores (so
    requisition statistics stay valid), consent records (proof of the legal basis), stage history
    and the whole audit trail, to which the erasure itself is added (with the rows erased per table).

    An employee (a hired candidate) is not refused: their HR file falls under employment law, so
    the ``Employee`` row and the onboarding archive (résumé and background check as at hire, the
    link to the report) are kept untouched, while the candidate-side interview data and contact
    record are erased as above (``employee_record_kept`` says so).

    Idempotent: erasing an erased candidate writes nothing and returns ``already_erased``.
    """
    reason_text = (reason or "").strip()
    if not reason_text:
        raise DomainError.single("reason", "give the reason for the erasure", ErrorCode.REQUIRED)
    if len(reason_text) > MESSAGE_MAX_CHARS:
        raise DomainError.single("reason", f"at most {MESSAGE_MAX_CHARS} characters", ErrorCode.INVALID)
    session = uow.session
    candidate = await session.get(Candidate, candidate_id, with_for_update=True)
    if candidate is None:
        raise DomainError.single("candidateId", "candidate not found", ErrorCode.NOT_FOUND)
    employee_kept = (
        await session.exec(select(Employee.id).where(Employee.candidate_id == candidate_id))
    ).first() is not None
    if candidate.erased_at is not None:
        return ErasureResult(candidate.id, candidate.erased_at, already_erased=True, employee_record_kept=employee_kept)

    rows = {table.model: await _owned_rows(table, candidate_id, session=session) for table in CANDIDATE_TABLES}
    applications, interviews = rows[Application], rows[Interview]
    answers, reports = rows[Answer], rows[InterviewReport]
    media_uris = [
        uri
        for table in CANDIDATE_TABLES
        for name, column in table.columns_of(Kind.ERASE).items()
        if column.media
        for uri in (getattr(row, name) for row in rows[table.model])
        if uri
    ]
    now = utcnow()
    erased_rows: dict[str, int] = {}
    for table in CANDIDATE_TABLES:
        erasable = table.columns_of(Kind.ERASE)
        if not erasable or not rows[table.model]:
            continue
        erased_rows[table.name] = len(rows[table.model])
        for row in rows[table.model]:
            if table.delete_rows:
                await session.delete(row)
                continue
            for name, column in erasable.items():
                setattr(row, name, column.erased_value(candidate_id))
            if "updated_at" in table.columns:
                row.updated_at = now
            session.add(row)
    requisition_of = {application.id: application.requisition_id for application in applications}
    for interview in interviews:
        if interview.status in IN_FLIGHT:
            move_interview(interview, InterviewStatus.FAILED, uow=uow, reason="personal data erased on request")
            record_event(
                session,
                DomainEventType.INTERVIEW_FAILED,
                interview.id,
                interview_event_payload(interview),
                actor=actor.name,
                requisition_id=requisition_of.get(interview.application_id),
            )
    for application in applications:
        if application.stage in OPEN_STAGES:
            change_stage(
                application, ApplicationStage.WITHDRAWN, "personal data erased on request", session=session, actor=actor
            )

    candidate.erased_at = now
    session.add(candidate)
    folders = [folder.prefix(row.id) for folder in MEDIA_FOLDERS for row in rows[folder.model]]
    record_audit(
        session=session,
        actor=actor,
        action="candidate.erase",
        entity_type="Candidate",
        entity_id=candidate.id,
        details={
            "reason": reason_text,
            "media_files": len(media_uris),
            "media_folders": folders,
            "answers": len(answers),
            "reports": len(reports),
            "rows_erased": erased_rows,
            "employee_record_kept": employee_kept,
        },
    )
    record_event(
        session,
        DomainEventType.CANDIDATE_ERASED,
        candidate.id,
        {
            "candidateId": global_id("Candidate", candidate.id),
            "applicationIds": [global_id("Application", application.id) for application in applications],
            "employeeRecordKept": employee_kept,
        },
        actor=actor.name,
        requisition_id=applications[0].requisition_id if applications else None,
    )
    media_store = store or get_media_store()

    async def delete_media() -> None:
        """Linked recordings first, then each interview's whole folder (files no row points at included)."""
        for uri in media_uris:
            try:
                await media_store.delete(uri)
            except Exception:  # one stuck file must not stop the others; the log names it for a person
                logger.exception("erasure of candidate %s: could not delete %s", candidate_id, uri)
        for prefix in folders:
            try:
                await media_store.delete_folder(prefix)
            except Exception:
                logger.exception("erasure of candidate %s: could not delete the folder %s", candidate_id, prefix)

    uow.after_commit(delete_media)
    return ErasureResult(
        candidate.id,
        now,
        already_erased=False,
        employee_record_kept=employee_kept,
        media_files_deleted=len(media_uris),
        answers_cleared=len(answers),
        reports_cleared=len(reports),
    )
