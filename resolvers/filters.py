"""The list filters HR portals need, as hashable values turned into SQL conditions.

Filters are frozen so DataLoaders can batch identical requests across parents.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, exists, func, or_
from sqlmodel import col, select

from gateway.models import (
    Application,
    AuditEvent,
    Candidate,
    DimensionScore,
    Employee,
    Interview,
    InterviewReport,
    Requisition,
    WebhookDelivery,
    WebhookEndpoint,
)
from gateway.models.enums import ApplicationStage, BusinessLine, RequisitionStatus
from gateway.models.events import WebhookDeliveryStatus

LIKE_ESCAPE = "\\"


def escape_like(text: str) -> str:
    """``text`` matched literally inside a LIKE pattern: ``%`` and ``_`` are not wildcards for a searcher."""
    return text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2).replace("%", LIKE_ESCAPE + "%").replace("_", LIKE_ESCAPE + "_")


@dataclass(frozen=True)
class NoFilter:
    def clauses(self) -> list[ColumnElement[bool]]:
        return []


@dataclass(frozen=True)
class RequisitionFilter:
    status: RequisitionStatus | None = None
    department: str | None = None
    business_line: BusinessLine | None = None
    hiring_manager_subject: str | None = None
    """Only the requisitions of this hiring manager (set for principals who are only hiring managers)."""

    def clauses(self) -> list[ColumnElement[bool]]:
        clauses = []
        if self.hiring_manager_subject is not None:
            clauses.append(col(Requisition.hiring_manager_subject) == self.hiring_manager_subject)
        if self.status is not None:
            clauses.append(col(Requisition.status) == self.status)
        if self.department is not None:
            clauses.append(col(Requisition.department) == self.department)
        if self.business_line is not None:
            clauses.append(col(Requisition.business_line) == self.business_line)
        return clauses


@dataclass(frozen=True)
class ApplicationFilter:
    """Stage, requisition, and the range of the application's interview report total (0–100)."""

    stage: ApplicationStage | None = None
    requisition_id: int | None = None
    min_score: float | None = None
    max_score: float | None = None
    hiring_manager_subject: str | None = None
    """Only applications to this hiring manager's requisitions."""

    def clauses(self) -> list[ColumnElement[bool]]:
        clauses = []
        if self.hiring_manager_subject is not None:
            clauses.append(
                col(Application.requisition_id).in_(
                    select(col(Requisition.id)).where(
                        col(Requisition.hiring_manager_subject) == self.hiring_manager_subject
                    )
                )
            )
        if self.stage is not None:
            clauses.append(col(Application.stage) == self.stage)
        if self.requisition_id is not None:
            clauses.append(col(Application.requisition_id) == self.requisition_id)
        if self.min_score is not None or self.max_score is not None:
            score_conditions = [
                col(Interview.application_id) == col(Application.id),
                col(InterviewReport.total).is_not(None),
            ]
            if self.min_score is not None:
                score_conditions.append(col(InterviewReport.total) >= self.min_score)
            if self.max_score is not None:
                score_conditions.append(col(InterviewReport.total) <= self.max_score)
            clauses.append(
                exists(
                    select(col(InterviewReport.id))
                    .join(Interview, col(Interview.id) == col(InterviewReport.interview_id))
                    .where(and_(*score_conditions))
                )
            )
        return clauses


@dataclass(frozen=True)
class CandidateFilter:
    """Case-insensitive match on name or email; for a hiring manager, only candidates of their requisitions."""

    search: str | None = None
    hiring_manager_subject: str | None = None

    def clauses(self) -> list[ColumnElement[bool]]:
        clauses: list[ColumnElement[bool]] = []
        if self.hiring_manager_subject is not None:
            clauses.append(
                exists(
                    select(col(Application.id))
                    .join(Requisition, col(Requisition.id) == col(Application.requisition_id))
                    .where(
                        col(Application.candidate_id) == col(Candidate.id),
                        col(Requisition.hiring_manager_subject) == self.hiring_manager_subject,
                    )
                )
            )
        if self.search:
            pattern = f"%{escape_like(self.search.lower())}%"
            clauses.append(
                or_(
                    func.lower(Candidate.full_name).like(pattern, escape=LIKE_ESCAPE),
                    func.lower(Candidate.email).like(pattern, escape=LIKE_ESCAPE),
                )
            )
        return clauses


@dataclass(frozen=True)
class EmployeeFilter:
    department: str | None = None

    def clauses(self) -> list[ColumnElement[bool]]:
        return [] if self.department is None else [col(Employee.department) == self.department]


@dataclass(frozen=True)
class AuditEventFilter:
    action: str | None = None
    entity_type: str | None = None

    def clauses(self) -> list[ColumnElement[bool]]:
        clauses = []
        if self.action is not None:
            clauses.append(col(AuditEvent.action) == self.action)
        if self.entity_type is not None:
            clauses.append(col(AuditEvent.entity_type) == self.entity_type)
        return clauses


@dataclass(frozen=True)
class DimensionScoreFilter:
    """A report shows the scores of its own pipeline version (earlier versions stay as history)."""

    pipeline_version: str

    def clauses(self) -> list[ColumnElement[bool]]:
        return [col(DimensionScore.pipeline_version) == self.pipeline_version]


@dataclass(frozen=True)
class WebhookEndpointFilter:
    include_deleted: bool = False

    def clauses(self) -> list[ColumnElement[bool]]:
        return [] if self.include_deleted else [col(WebhookEndpoint.deleted_at).is_(None)]


@dataclass(frozen=True)
class WebhookDeliveryFilter:
    status: WebhookDeliveryStatus | None = None

    def clauses(self) -> list[ColumnElement[bool]]:
        return [] if self.status is None else [col(WebhookDelivery.status) == self.status]
