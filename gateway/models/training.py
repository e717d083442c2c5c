"""Training and development: the programme catalogue, recommendations from evidence, plans, LMS completions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from gateway.models.base import created_at_field, enum_field, json_field, timestamp_field, updated_at_field
from gateway.models.enums import DeliveryMode, PlanItemStatus, RecommendationKind, RecommendationStatus


class TrainingProgramme(SQLModel, table=True):
    """A programme of the bank's catalogue (HR's or pushed by its LMS), aimed at one competency model version."""

    __tablename__ = "training_programme"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64, unique=True)
    """The LMS's course code: a connector's push of the same key updates the programme."""
    name_zh: str = Field(max_length=200)
    name_en: str = Field(max_length=200)
    description: str = Field(default="", sa_type=sa.Text)
    provider: str = Field(max_length=200)
    duration_hours: float
    delivery_mode: DeliveryMode = enum_field(DeliveryMode)
    model_version_id: int = Field(foreign_key="competency_model_version.id", index=True)
    """The competency model version whose dimensions the programme develops."""
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()


class TrainingProgrammeDimension(SQLModel, table=True):
    """A dimension a programme develops (a dimension of the programme's model version)."""

    __tablename__ = "training_programme_dimension"
    __table_args__ = (sa.UniqueConstraint("programme_id", "dimension_id"),)

    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = Field(foreign_key="training_programme.id", index=True)
    dimension_id: int = Field(foreign_key="dimension.id", index=True)
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()


class DevelopmentRecommendation(SQLModel, table=True):
    """A recommendation for one employee, from their interview scores and KPI results, with the reason in words.

    ``key`` names what it recommends (``training:<dimension>:<programme>`` or ``process_review:<dimension>:<kpi>``):
    generating again refreshes an open recommendation and leaves a decided one as HR decided it.
    """

    __tablename__ = "development_recommendation"
    __table_args__ = (sa.UniqueConstraint("employee_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    employee_id: int = Field(foreign_key="employee.id", index=True)
    key: str = Field(max_length=120)
    kind: RecommendationKind = enum_field(RecommendationKind)
    status: RecommendationStatus = enum_field(RecommendationStatus, default=RecommendationStatus.OPEN, index=True)
    dimension_id: int = Field(foreign_key="dimension.id")
    programme_id: int | None = Field(default=None, foreign_key="training_programme.id", index=True)
    kpi_id: int | None = Field(default=None, foreign_key="kpi_definition.id")
    reason_en: str = Field(sa_type=sa.Text)
    reason_zh: str = Field(sa_type=sa.Text)
    evidence: dict[str, Any] = json_field(default_factory=dict)
    """The numbers behind the reason: score, threshold, KPI period, actual, target, attainment."""
    decided_by: str | None = Field(default=None, max_length=200)
    decided_at: datetime | None = timestamp_field()
    decision_note: str = Field(default="", sa_type=sa.Text)
    plan_item_id: int | None = Field(default=None, foreign_key="development_plan_item.id")
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()


class DevelopmentPlanItem(SQLModel, table=True):
    """One item of an employee's development plan: a programme (or a process review) with a due date and status."""

    __tablename__ = "development_plan_item"

    id: int | None = Field(default=None, primary_key=True)
    employee_id: int = Field(foreign_key="employee.id", index=True)
    kind: RecommendationKind = enum_field(RecommendationKind)
    programme_id: int | None = Field(default=None, foreign_key="training_programme.id", index=True)
    """Set for training items; a programme appears at most once among an employee's open or completed items."""
    dimension_id: int | None = Field(default=None, foreign_key="dimension.id")
    due_date: date
    status: PlanItemStatus = enum_field(PlanItemStatus, default=PlanItemStatus.PLANNED, index=True)
    notes: str = Field(default="", sa_type=sa.Text)
    completed_on: date | None = None
    completion_source: str | None = Field(default=None, max_length=16)
    """``hr`` (recorded one by one) or ``lms`` (a completions import)."""
    created_by: str = Field(max_length=200)
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()


class TrainingCompletionImport(SQLModel, table=True):
    """One LMS completions push, remembered by its idempotency key so a replay changes nothing."""

    __tablename__ = "training_completion_import"

    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(max_length=200, unique=True)
    request_sha256: str = Field(max_length=64)
    actor: str = Field(max_length=200)
    source: str = Field(max_length=16)
    result: dict[str, Any] = json_field(default_factory=dict)
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()
