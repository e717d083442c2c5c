"""The personal-data registry: every column of every table, and every media file, classified once.

Erasure (``resolvers.services.erasure.erase_candidate``, also run by the retention job) walks this
list; it holds no erasure code of its own. ``tests/test_data_privacy.py`` fails when a table or column
exists that is not classified here, so a new column holding a candidate's data cannot be forgotten
by erasure: whoever adds it must say what erasure does with it.

Classes of column:

- ``NONE``: no personal data (keys, process state, reference data, aggregate numbers).
- ``STAFF``: identifies a member of staff or a client (actor names, hiring-manager subjects): not the
  candidate's data, kept in the hiring record.
- ``ERASE``: a candidate's personal data; erasure sets it to ``erased`` (a string may name
  ``{candidate_id}``). ``media`` columns hold a media-store URI whose file is deleted after commit.
- ``KEEP``: a candidate's personal data kept after erasure, for the ``reason`` given (PIPL art. 47 allows
  what law or a statistic without identification needs).

Rows are reached from the candidate through ``owner`` links (column → parent table), so each table
says how its rows belong to a candidate. ``delete_rows`` tables lose the candidate's rows entirely.
Declarations only, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from sqlmodel import SQLModel

from gateway.models.analytics import CandidateSelfReport, KpiImport, ReweightingProposal
from gateway.models.analytics_summary import RequisitionMonthSummary, RequisitionSummaryState
from gateway.models.audit import AuditEvent
from gateway.models.candidate import Application, ApplicationStageChange, Candidate, ConsentRecord
from gateway.models.competency import CompetencyModel, CompetencyModelVersion, Dimension, Question
from gateway.models.employee import Employee, OnboardingArchive
from gateway.models.events import DomainEvent, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from gateway.models.idempotency import IdempotencyKey
from gateway.models.interview import (
    Answer,
    DimensionScore,
    Interview,
    InterviewQuestion,
    InterviewReport,
    ReviewRequest,
)
from gateway.models.kpi import DimensionKpiLink, KpiAssignment, KpiDefinition, KpiPriority, KpiRecord
from gateway.models.notification import InterviewNotification
from gateway.models.requisition import Requisition
from gateway.models.training import (
    DevelopmentPlanItem,
    DevelopmentRecommendation,
    TrainingCompletionImport,
    TrainingProgramme,
    TrainingProgrammeDimension,
)


class Kind(Enum):
    NONE = "none"
    STAFF = "staff"
    ERASE = "erase"
    KEEP = "keep"


@dataclass(frozen=True)
class Column:
    kind: Kind
    erased: Any = None
    """The value after erasure (``ERASE`` only); a string is formatted with ``candidate_id``."""
    reason: str = ""
    """Why a ``KEEP`` column outlives erasure."""
    media: bool = False
    """The column holds a media-store URI: its file is deleted after the erasure commits."""

    def erased_value(self, candidate_id: int) -> Any:
        if isinstance(self.erased, str):
            return self.erased.format(candidate_id=candidate_id)
        if isinstance(self.erased, list | dict):
            return type(self.erased)()  # a fresh empty list or dict per row
        return self.erased


NONE = Column(Kind.NONE)
STAFF = Column(Kind.STAFF)


def erase(erased: Any = None, *, media: bool = False) -> Column:
    return Column(Kind.ERASE, erased=erased, media=media)


def keep(reason: str) -> Column:
    return Column(Kind.KEEP, reason=reason)


@dataclass(frozen=True)
class Table:
    model: type[SQLModel]
    columns: dict[str, Column]
    owner: tuple[str, type[SQLModel]] | None = None
    """(column, parent table): how a row belongs to a candidate; None for tables no candidate owns."""
    delete_rows: bool = False
    """Erasure deletes the candidate's rows (data with no purpose once the candidate is gone)."""
    notes: str = ""

    @property
    def name(self) -> str:
        return str(self.model.__tablename__)

    def columns_of(self, kind: Kind) -> dict[str, Column]:
        return {name: column for name, column in self.columns.items() if column.kind is kind}


@dataclass(frozen=True)
class MediaFolder:
    """Files a candidate owns in the media store: everything under ``template`` for each row of ``model``."""

    model: type[SQLModel]
    template: str
    notes: str = ""

    def prefix(self, row_id: int) -> str:
        return self.template.format(id=row_id)


STATISTICS = "kept without identification once the contact record is erased, so requisition statistics stay valid"
LEGAL_BASIS = "proof of the legal basis of the processing (PIPL art. 13)"
EMPLOYMENT = "the employee's HR file falls under employment law, not the candidate's erasure"
HIRING_RECORD = "hiring record: who moved the application when (reasons are staff notes)"
IDEMPOTENT_REPLAY = "replayed to a client retrying the same request; deleted by the retention job after 24 h"
AUDIT = "the audit trail is kept whole, the erasure itself included"

REGISTRY: tuple[Table, ...] = (
    # ---- the candidate and everything reached from them ----
    Table(
        Candidate,
        {
            "id": NONE,
            "updated_at": NONE,
            "full_name": erase("erased"),
            "email": erase("erased-{candidate_id}@invalid"),
            "phone": erase(None),
            "resume_text": erase(""),
            "created_at": NONE,
            "erased_at": NONE,
        },
    ),
    Table(
        CandidateSelfReport,
        {"id": NONE, "updated_at": NONE, "candidate_id": NONE, "groups": erase({}), "recorded_at": NONE},
        owner=("candidate_id", Candidate),
        delete_rows=True,
        notes="self-reported groups serve adverse-impact monitoring only: an erased candidate leaves no groups",
    ),
    Table(
        ConsentRecord,
        {
            "id": NONE,
            "updated_at": NONE,
            "candidate_id": NONE,
            "kind": keep(LEGAL_BASIS),
            "notice_version": keep(LEGAL_BASIS),
            "granted": keep(LEGAL_BASIS),
            "recorded_at": keep(LEGAL_BASIS),
        },
        owner=("candidate_id", Candidate),
    ),
    Table(
        Application,
        {
            "id": NONE,
            "candidate_id": NONE,
            "requisition_id": NONE,
            "stage": keep(STATISTICS),
            "furthest_stage": keep(STATISTICS),
            "created_at": NONE,
            "updated_at": NONE,
        },
        owner=("candidate_id", Candidate),
    ),
    Table(
        ApplicationStageChange,
        {
            "id": NONE,
            "updated_at": NONE,
            "application_id": NONE,
            "from_stage": keep(HIRING_RECORD),
            "to_stage": keep(HIRING_RECORD),
            "reason": keep(HIRING_RECORD),
            "actor": STAFF,
            "changed_at": NONE,
        },
        owner=("application_id", Application),
    ),
    Table(
        Interview,
        {
            "id": NONE,
            "updated_at": NONE,
            "application_id": NONE,
            "token_hash": NONE,
            "expires_at": NONE,
            "status": NONE,
            "status_reason": NONE,
            "created_at": NONE,
            "submitted_at": NONE,
            "scoring_attempts": NONE,
            "status_changed_at": NONE,
            "scoring_requeues": NONE,
        },
        owner=("application_id", Application),
        notes="the token hash is refused once the candidate is erased",
    ),
    Table(
        InterviewQuestion,
        {"id": NONE, "updated_at": NONE, "interview_id": NONE, "question_id": NONE, "position": NONE},
        owner=("interview_id", Interview),
    ),
    Table(
        Answer,
        {
            "id": NONE,
            "updated_at": NONE,
            "interview_id": NONE,
            "question_id": NONE,
            "media_uri": erase(None, media=True),
            "media_content_type": erase(None),
            "media_bytes": erase(None),
            "media_sha256": erase(None),
            "uploaded_at": NONE,
            "duration_seconds": erase(None),
            "transcript": erase(None),
            "language": erase(None),
            "features": erase({}),
            "error": erase(None),
            "created_at": NONE,
        },
        owner=("interview_id", Interview),
    ),
    Table(
        InterviewReport,
        {
            "id": NONE,
            "interview_id": NONE,
            "requisition_id": NONE,
            "application_id": NONE,
            "counted": NONE,
            "total": keep(STATISTICS),
            "percentile": keep(STATISTICS),
            "insufficient_evidence": keep(STATISTICS),
            "strengths": erase([]),
            "weaknesses": erase([]),
            "tags": erase([]),
            "radar": keep(STATISTICS),
            "models": NONE,
            "pipeline_version": NONE,
            "human_decision": keep(HIRING_RECORD),
            "override_reason": erase(None),
            "scored_at": NONE,
            "decided_by": STAFF,
            "decided_at": NONE,
            "created_at": NONE,
            "updated_at": NONE,
        },
        owner=("interview_id", Interview),
    ),
    Table(
        DimensionScore,
        {
            "id": NONE,
            "updated_at": NONE,
            "report_id": NONE,
            "dimension_id": NONE,
            "pipeline_version": NONE,
            "application_id": NONE,
            "requisition_id": NONE,
            "counted": NONE,
            "score": keep(STATISTICS),
            "confidence": keep(STATISTICS),
            "insufficient_evidence_reason": erase(None),
            "evidence": erase([]),
        },
        owner=("report_id", InterviewReport),
    ),
    Table(
        InterviewNotification,
        {
            "id": NONE,
            "interview_id": NONE,
            "kind": NONE,
            "status": NONE,
            "recipient": erase("erased-{candidate_id}@invalid"),
            "due_at": NONE,
            "attempts": NONE,
            "status_reason": erase(None),
            "message_id": NONE,
            "sealed_link": erase(None),
            "claimed_at": NONE,
            "sent_at": NONE,
            "created_at": NONE,
            "updated_at": NONE,
        },
        owner=("interview_id", Interview),
        notes="an SMTP reply may quote the address; the sealed link opens the interview",
    ),
    Table(
        ReviewRequest,
        {
            "id": NONE,
            "updated_at": NONE,
            "interview_id": NONE,
            "kind": NONE,
            "status": NONE,
            "candidate_message": erase(""),
            "resolution": keep("HR's answer: proof the candidate's request was handled (PIPL art. 24)"),
            "resolved_by": STAFF,
            "requested_at": NONE,
            "resolved_at": NONE,
        },
        owner=("interview_id", Interview),
    ),
    Table(
        Employee,
        {
            "id": NONE,
            "updated_at": NONE,
            "candidate_id": NONE,
            "application_id": NONE,
            "employee_number": keep(EMPLOYMENT),
            "full_name": keep(EMPLOYMENT),
            "department": keep(EMPLOYMENT),
            "position_title": keep(EMPLOYMENT),
            "start_date": keep(EMPLOYMENT),
            "hired_at": keep(EMPLOYMENT),
            "departed_on": keep(EMPLOYMENT),
        },
        owner=("candidate_id", Candidate),
    ),
    Table(
        OnboardingArchive,
        {
            "id": NONE,
            "updated_at": NONE,
            "employee_id": NONE,
            "resume_text": keep(EMPLOYMENT),
            "interview_report_id": NONE,
            "background_check_status": keep(EMPLOYMENT),
            "background_check_provider": keep(EMPLOYMENT),
            "background_check_notes": keep(EMPLOYMENT),
            "background_check_completed_at": keep(EMPLOYMENT),
            "documents": keep(EMPLOYMENT),
            "created_at": NONE,
        },
        owner=("employee_id", Employee),
    ),
    Table(
        KpiAssignment,
        {
            "id": NONE,
            "updated_at": NONE,
            "employee_id": NONE,
            "kpi_id": NONE,
            "dimension_id": NONE,
            "target": keep(EMPLOYMENT),
            "assigned_at": NONE,
            "application_id": NONE,
            "requisition_id": NONE,
            "outcome_periods": NONE,
            "outcome_actual_sum": keep(EMPLOYMENT),
            "outcome_attainment_sum": keep(EMPLOYMENT),
            "outcome_attainment_count": NONE,
            "hire_scores": keep(EMPLOYMENT),
        },
        owner=("employee_id", Employee),
    ),
    Table(
        KpiRecord,
        {
            "id": NONE,
            "updated_at": NONE,
            "assignment_id": NONE,
            "period": NONE,
            "target": keep(EMPLOYMENT),
            "actual": keep(EMPLOYMENT),
            "recorded_at": NONE,
        },
        owner=("assignment_id", KpiAssignment),
    ),
    Table(
        DevelopmentRecommendation,
        {
            "id": NONE,
            "employee_id": NONE,
            "key": NONE,
            "kind": NONE,
            "status": NONE,
            "dimension_id": NONE,
            "programme_id": NONE,
            "kpi_id": NONE,
            "reason_en": keep(EMPLOYMENT),
            "reason_zh": keep(EMPLOYMENT),
            "evidence": keep(EMPLOYMENT),
            "decided_by": STAFF,
            "decided_at": NONE,
            "decision_note": keep(EMPLOYMENT),
            "plan_item_id": NONE,
            "created_at": NONE,
            "updated_at": NONE,
        },
        owner=("employee_id", Employee),
    ),
    Table(
        DevelopmentPlanItem,
        {
            "id": NONE,
            "employee_id": NONE,
            "kind": NONE,
            "programme_id": NONE,
            "dimension_id": NONE,
            "due_date": keep(EMPLOYMENT),
            "status": keep(EMPLOYMENT),
            "notes": keep(EMPLOYMENT),
            "completed_on": keep(EMPLOYMENT),
            "completion_source": NONE,
            "created_by": STAFF,
            "created_at": NONE,
            "updated_at": NONE,
        },
        owner=("employee_id", Employee),
    ),
    # ---- tables no candidate owns ----
    Table(
        AuditEvent,
        {
            "id": NONE,
            "updated_at": NONE,
            "occurred_at": NONE,
            "actor": STAFF,
            "role": STAFF,
            "action": NONE,
            "entity_type": NONE,
            "entity_id": NONE,
            "details": keep(AUDIT),
        },
    ),
    Table(
        KpiImport,
        {
            "id": NONE,
            "updated_at": NONE,
            "idempotency_key": NONE,
            "request_sha256": NONE,
            "actor": STAFF,
            "source": NONE,
            "result": keep(EMPLOYMENT),
            "created_at": NONE,
        },
    ),
    Table(
        TrainingCompletionImport,
        {
            "id": NONE,
            "idempotency_key": NONE,
            "request_sha256": NONE,
            "actor": STAFF,
            "source": NONE,
            "result": keep(EMPLOYMENT),
            "created_at": NONE,
            "updated_at": NONE,
        },
    ),
    Table(
        TrainingProgramme,
        {
            "id": NONE,
            "key": NONE,
            "name_zh": NONE,
            "name_en": NONE,
            "description": NONE,
            "provider": NONE,
            "duration_hours": NONE,
            "delivery_mode": NONE,
            "model_version_id": NONE,
            "created_at": NONE,
            "updated_at": NONE,
        },
    ),
    Table(
        TrainingProgrammeDimension,
        {"id": NONE, "programme_id": NONE, "dimension_id": NONE, "created_at": NONE, "updated_at": NONE},
    ),
    Table(
        DomainEvent,
        {
            "id": NONE,
            "type": NONE,
            "subject_type": NONE,
            "subject_id": NONE,
            "requisition_id": NONE,
            "payload": keep(STATISTICS),
            "actor": STAFF,
            "dispatched_at": NONE,
            "created_at": NONE,
            "updated_at": NONE,
        },
        notes="payloads hold ids, stages, statuses, scores and counts (columns kept after erasure), never a name",
    ),
    Table(
        WebhookEndpoint,
        {
            "id": NONE,
            "url": NONE,
            "description": NONE,
            "event_types": NONE,
            "scopes": NONE,
            "readable": NONE,
            "secret": NONE,
            "previous_secret": NONE,
            "previous_secret_expires_at": NONE,
            "enabled": NONE,
            "disabled_reason": NONE,
            "disabled_at": NONE,
            "failure_streak": NONE,
            "last_success_at": NONE,
            "created_by": STAFF,
            "deleted_at": NONE,
            "created_at": NONE,
            "updated_at": NONE,
        },
    ),
    Table(
        WebhookDelivery,
        {
            "id": NONE,
            "endpoint_id": NONE,
            "event_id": NONE,
            "replay": NONE,
            "status": NONE,
            "attempts": NONE,
            "next_attempt_at": NONE,
            "locked_until": NONE,
            "last_status_code": NONE,
            "last_error": NONE,
            "delivered_at": NONE,
            "requested_by": STAFF,
            "created_at": NONE,
            "updated_at": NONE,
        },
        notes="the payload is built at each attempt from the event, never stored per delivery",
    ),
    Table(
        WebhookAttempt,
        {
            "id": NONE,
            "delivery_id": NONE,
            "attempt": NONE,
            "status_code": NONE,
            "duration_ms": NONE,
            "error": NONE,
            "created_at": NONE,
            "updated_at": NONE,
        },
    ),
    Table(
        RequisitionSummaryState,
        {"requisition_id": NONE, "version": NONE, "computed_version": NONE, "updated_at": NONE},
    ),
    Table(
        RequisitionMonthSummary,
        {
            "requisition_id": NONE,
            "month": NONE,
            "applications": NONE,
            "stages": NONE,
            "reports": NONE,
            "highest_report_id": NONE,
            "scored": NONE,
            "total_mean": NONE,
            "total_squares": NONE,
            "total_min": NONE,
            "total_max": NONE,
            "total_slots": NONE,
            "dimensions": NONE,
            "updated_at": NONE,
        },
        notes="sums over a requisition's applications of one month; small groups are withheld when read",
    ),
    Table(
        ReweightingProposal,
        {
            "id": NONE,
            "updated_at": NONE,
            "model_version_id": NONE,
            "kpi_id": NONE,
            "status": NONE,
            "current_weights": NONE,
            "proposed_weights": NONE,
            "evidence": NONE,
            "question_suggestions": NONE,
            "cohort": NONE,
            "applied_version_id": NONE,
            "decided_by": STAFF,
            "decided_at": NONE,
            "notes": NONE,
            "created_at": NONE,
        },
        notes="evidence holds aggregate statistics (r, n, intervals), never one person's values",
    ),
    Table(
        Requisition,
        {
            "id": NONE,
            "title": NONE,
            "department": NONE,
            "business_line": NONE,
            "headcount": NONE,
            "status": NONE,
            "competency_model_version_id": NONE,
            "created_at": NONE,
            "updated_at": NONE,
            "closed_at": NONE,
            "close_reason": NONE,
            "hiring_manager_subject": STAFF,
            "candidate_report_visible": NONE,
        },
    ),
    Table(
        CompetencyModel,
        {
            "id": NONE,
            "updated_at": NONE,
            "key": NONE,
            "name_zh": NONE,
            "name_en": NONE,
            "description": NONE,
            "created_at": NONE,
        },
    ),
    Table(
        CompetencyModelVersion,
        {
            "id": NONE,
            "updated_at": NONE,
            "model_id": NONE,
            "version": NONE,
            "notes": NONE,
            "frozen_at": NONE,
            "created_at": NONE,
        },
    ),
    Table(
        Dimension,
        {
            "id": NONE,
            "updated_at": NONE,
            "model_version_id": NONE,
            "key": NONE,
            "name_zh": NONE,
            "name_en": NONE,
            "description_zh": NONE,
            "description_en": NONE,
            "weight": NONE,
            "position": NONE,
            "development_threshold": NONE,
        },
    ),
    Table(
        Question,
        {
            "id": NONE,
            "updated_at": NONE,
            "dimension_id": NONE,
            "prompt_zh": NONE,
            "prompt_en": NONE,
            "time_limit_seconds": NONE,
            "rubric_keywords": NONE,
            "excellent_answers": NONE,
            "position": NONE,
        },
    ),
    Table(DimensionKpiLink, {"id": NONE, "updated_at": NONE, "dimension_id": NONE, "kpi_id": NONE, "created_at": NONE}),
    Table(
        KpiPriority,
        {"id": NONE, "model_version_id": NONE, "kpi_id": NONE, "priority": NONE, "updated_at": NONE},
    ),
    Table(
        IdempotencyKey,
        {
            "id": NONE,
            "principal": STAFF,
            "key": NONE,
            "request_hash": NONE,
            "completed": NONE,
            "response_status": NONE,
            "response_content_type": NONE,
            "response_body": keep(IDEMPOTENT_REPLAY),
            "expires_at": NONE,
            "created_at": NONE,
            "updated_at": NONE,
        },
        notes="a mutation's stored answer (it may name a candidate) is deleted 24 h after the request",
    ),
    Table(
        KpiDefinition,
        {
            "id": NONE,
            "updated_at": NONE,
            "key": NONE,
            "name_zh": NONE,
            "name_en": NONE,
            "unit": NONE,
            "direction": NONE,
            "period_kind": NONE,
            "created_at": NONE,
        },
    ),
)

MEDIA_FOLDERS: tuple[MediaFolder, ...] = (
    MediaFolder(
        Interview,
        "interviews/{id}",
        notes="every answer recording of the interview, linked or not (a crashed or lost upload race included)",
    ),
)
"""Erasure deletes these folders whole after commit, so a file no row points at is erased too."""

BY_MODEL: dict[type[SQLModel], Table] = {table.model: table for table in REGISTRY}


def owner_chain(table: Table) -> list[Table]:
    """``table`` and its owners up to ``Candidate`` (empty when no candidate owns the table)."""
    chain = [table]
    while chain[-1].owner is not None:
        chain.append(BY_MODEL[chain[-1].owner[1]])
    return chain if chain[-1].model is Candidate else []


CANDIDATE_TABLES: tuple[Table, ...] = tuple(table for table in REGISTRY if owner_chain(table))
"""Tables whose rows belong to a candidate, owners before the tables they own."""
