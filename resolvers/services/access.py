"""Which rows a hiring manager may see: those under a requisition whose ``hiring_manager_subject`` is theirs.

Used where a row is reached without its requisition (``node(id:)``, a candidate's applications,
a live-status subscription); lists filter in SQL instead (``resolvers.filters``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement
from sqlmodel import col, select

from gateway.db import read_session
from gateway.models import (
    Answer,
    Application,
    ApplicationStageChange,
    Candidate,
    ConsentRecord,
    DimensionScore,
    Interview,
    InterviewNotification,
    InterviewQuestion,
    InterviewReport,
    Requisition,
)

_INTERVIEW_PATH: list[tuple[Any, Any]] = [
    (Application, col(Application.id) == col(Interview.application_id)),
    (Requisition, col(Requisition.id) == col(Application.requisition_id)),
]
_JOIN_PATHS: dict[type, list[tuple[Any, Any]]] = {
    Requisition: [],
    Application: [(Requisition, col(Requisition.id) == col(Application.requisition_id))],
    ApplicationStageChange: [
        (Application, col(Application.id) == col(ApplicationStageChange.application_id)),
        (Requisition, col(Requisition.id) == col(Application.requisition_id)),
    ],
    Candidate: [
        (Application, col(Application.candidate_id) == col(Candidate.id)),
        (Requisition, col(Requisition.id) == col(Application.requisition_id)),
    ],
    ConsentRecord: [
        (Application, col(Application.candidate_id) == col(ConsentRecord.candidate_id)),
        (Requisition, col(Requisition.id) == col(Application.requisition_id)),
    ],
    Interview: _INTERVIEW_PATH,
    InterviewQuestion: [(Interview, col(Interview.id) == col(InterviewQuestion.interview_id)), *_INTERVIEW_PATH],
    Answer: [(Interview, col(Interview.id) == col(Answer.interview_id)), *_INTERVIEW_PATH],
    InterviewNotification: [
        (Interview, col(Interview.id) == col(InterviewNotification.interview_id)),
        *_INTERVIEW_PATH,
    ],
    InterviewReport: [(Requisition, col(Requisition.id) == col(InterviewReport.requisition_id))],
    DimensionScore: [
        (InterviewReport, col(InterviewReport.id) == col(DimensionScore.report_id)),
        (Requisition, col(Requisition.id) == col(InterviewReport.requisition_id)),
    ],
}


def managed_by(subject: str) -> ColumnElement[bool]:
    return col(Requisition.hiring_manager_subject) == subject


def is_scoped_to_requisitions(model: type) -> bool:
    """Whether a hiring manager's access to ``model`` rows depends on the row's requisition."""
    return model in _JOIN_PATHS


async def rows_managed_by(model: type, row_ids: Sequence[int], subject: str) -> set[int]:
    """The ids among ``row_ids`` that lie under a requisition managed by ``subject`` (one statement)."""
    if not row_ids or model not in _JOIN_PATHS:
        return set()
    statement = select(col(model.id)).where(col(model.id).in_(list(row_ids)))  # type: ignore[attr-defined]
    for target, on_clause in _JOIN_PATHS[model]:
        statement = statement.join(target, on_clause)
    statement = statement.where(managed_by(subject)).distinct()
    async with read_session() as session:
        return set((await session.exec(statement)).all())
