"""KPI definitions, their links to competency dimensions, and employees' KPI results."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from gateway.models.base import created_at_field, enum_field, json_field, updated_at_field
from gateway.models.enums import KpiDirection, PeriodKind


class KpiDefinition(SQLModel, table=True):
    """A performance indicator (KPI or OKR key result) such as teller error rate."""

    __tablename__ = "kpi_definition"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64, unique=True)
    name_zh: str = Field(max_length=200)
    name_en: str = Field(max_length=200)
    unit: str = Field(max_length=32)
    direction: KpiDirection = enum_field(KpiDirection)
    period_kind: PeriodKind = enum_field(PeriodKind)
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()


class DimensionKpiLink(SQLModel, table=True):
    """States that a dimension should predict a KPI; hiring assigns linked KPIs."""

    __tablename__ = "dimension_kpi_link"
    __table_args__ = (sa.UniqueConstraint("dimension_id", "kpi_id"),)

    id: int | None = Field(default=None, primary_key=True)
    dimension_id: int = Field(foreign_key="dimension.id", index=True)
    kpi_id: int = Field(foreign_key="kpi_definition.id", index=True)
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()


class KpiPriority(SQLModel, table=True):
    """How much a KPI counts when proposals re-weight a competency model version (relative, ≥ 0).

    Set by HR per version; it steers proposals only, so a frozen version may change it. A version with
    no rows gives its linked KPIs equal priority; once any row exists, a linked KPI without one counts 0.
    """

    __tablename__ = "kpi_priority"
    __table_args__ = (sa.UniqueConstraint("model_version_id", "kpi_id"),)

    id: int | None = Field(default=None, primary_key=True)
    model_version_id: int = Field(foreign_key="competency_model_version.id", index=True)
    kpi_id: int = Field(foreign_key="kpi_definition.id", index=True)
    priority: float
    updated_at: datetime = updated_at_field()


class KpiAssignment(SQLModel, table=True):
    """A KPI an employee is measured on, with the dimension it came from (if any)."""

    __tablename__ = "kpi_assignment"
    __table_args__ = (sa.UniqueConstraint("employee_id", "kpi_id"),)

    id: int | None = Field(default=None, primary_key=True)
    employee_id: int = Field(foreign_key="employee.id", index=True)
    kpi_id: int = Field(foreign_key="kpi_definition.id", index=True)
    dimension_id: int | None = Field(default=None, foreign_key="dimension.id")
    target: float | None = None
    assigned_at: datetime = created_at_field()
    # The hire's outcome over every period and where they were hired, kept by ``gateway.models.kpi_outcomes``
    # (read them with SQL: objects already in a session are not refreshed).
    application_id: int | None = Field(default=None, foreign_key="application.id", index=True)
    requisition_id: int | None = Field(default=None, foreign_key="requisition.id", index=True)
    outcome_periods: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    outcome_actual_sum: float | None = None
    outcome_attainment_sum: float | None = None
    outcome_attainment_count: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    hire_scores: dict[str, float] = json_field(default_factory=dict)
    """The hire's counted interview score per dimension id (``{"12": 71.5}``), beside their outcome."""
    updated_at: datetime = updated_at_field()


class KpiRecord(SQLModel, table=True):
    """One period's target and actual for an assignment (e.g. 2026-Q3)."""

    __tablename__ = "kpi_record"
    __table_args__ = (sa.UniqueConstraint("assignment_id", "period"),)

    id: int | None = Field(default=None, primary_key=True)
    assignment_id: int = Field(foreign_key="kpi_assignment.id", index=True)
    period: str = Field(max_length=16)
    target: float | None = None
    actual: float
    recorded_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()
