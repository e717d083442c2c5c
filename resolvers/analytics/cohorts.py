"""The rows analytics count, as SQL selectables (no I/O): counted reports and scores, funnel positions, KPI outcomes.

One rule decides which interview report counts, everywhere (analytics, charts, exports): **the latest
report of each application** (the highest report id over the application's interviews, so a re-interview
replaces the first one), read under that report's own pipeline version. The rows carry the answer
(``gateway.models.counting`` keeps ``counted`` on reports and dimension scores, and each application's
``furthest_stage``), so a cohort's statistics read one narrow index instead of grouping every report.
Every function returns a subquery or clauses built with SQLAlchemy Core: a cohort of any size stays in the
database, no id list travels as query parameters and no ORM object is built per row.
``resolvers.analytics.aggregates`` turns these into small result sets.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import Select
from sqlmodel import col, select

from gateway.models import (
    Application,
    Dimension,
    DimensionScore,
    Employee,
    InterviewReport,
    KpiAssignment,
    KpiDefinition,
    KpiRecord,
    Requisition,
)
from gateway.models.enums import BusinessLine, KpiDirection
from gateway.models.kpi_outcomes import attainment as kpi_attainment


@dataclass(frozen=True)
class Scope:
    """Which applications a statistic covers: one requisition, requisitions (a SELECT of their ids) and/or
    applications (a SELECT of their ids, for filters on the application itself such as its date)."""

    requisition_id: int | None = None
    requisitions: Select | None = None
    applications: Select | None = None
    months: tuple[str, ...] | None = None
    """The calendar months (UTC, ``YYYY-MM``) ``applications`` covers, for the summary cells; set with it."""

    def clauses(self, requisition_column: sa.ColumnElement, application_column: sa.ColumnElement) -> list:
        """WHERE clauses on a table that carries both ids (reports, scores and applications do)."""
        clauses = []
        if self.requisition_id is not None:
            clauses.append(requisition_column == self.requisition_id)
        if self.requisitions is not None:
            clauses.append(requisition_column.in_(self.requisitions))
        if self.applications is not None:
            clauses.append(application_column.in_(self.applications))
        return clauses

    def application_ids(self) -> Select:
        return select(col(Application.id)).where(*self.clauses(col(Application.requisition_id), col(Application.id)))


def counted_reports(scope: Scope) -> sa.Subquery:
    """``(application_id, report_id, total)``: the report that counts for each application of the scope."""
    return (
        select(
            col(InterviewReport.application_id).label("application_id"),
            col(InterviewReport.id).label("report_id"),
            col(InterviewReport.total).label("total"),
        )
        .where(
            col(InterviewReport.counted),
            *scope.clauses(col(InterviewReport.requisition_id), col(InterviewReport.application_id)),
        )
        .subquery("counted_report")
    )


def counted_scores(scope: Scope | None = None) -> sa.Subquery:
    """``(application_id, dimension_id, dimension_key, score)`` of the counted reports (their own pipeline version)."""
    clauses = (
        [] if scope is None else scope.clauses(col(DimensionScore.requisition_id), col(DimensionScore.application_id))
    )
    return (
        select(
            col(DimensionScore.application_id).label("application_id"),
            col(DimensionScore.dimension_id).label("dimension_id"),
            col(Dimension.key).label("dimension_key"),
            col(DimensionScore.score).label("score"),
        )
        .join(Dimension, col(Dimension.id) == DimensionScore.dimension_id)
        .where(col(DimensionScore.counted), *clauses)
        .subquery("counted_score")
    )


def kpi_outcomes(
    *,
    kpi_ids: list[int] | None = None,
    model_version_id: int | None = None,
    department: str | None = None,
    period: str | None = None,
    business_line: BusinessLine | None = None,
) -> sa.Subquery:
    """``(application_id, employee_id, kpi_id, periods, actual, outcome)`` per hire and KPI over the periods.

    ``actual`` is the mean of the records in the KPI's unit; ``outcome`` is oriented so that more is better:
    the mean attainment (``statistics.kpi_attainment``) when every hire measured on the KPI has targets on
    every record, else the mean actual, negated for lower-is-better KPIs. ``period`` matches a prefix
    (``2026`` takes every 2026 quarter) and reads the records; over every period the sums kept on each
    assignment (``gateway.models.kpi_outcomes``) are read instead. ``kpi_ids`` are a handful of KPI
    definitions, never a growing list. ``department`` is the employee's; ``business_line`` that of the
    requisition they were hired through.
    """
    per_hire = _per_hire_from_records(period) if period else _per_hire_kept()
    if kpi_ids is not None:
        per_hire = per_hire.where(col(KpiAssignment.kpi_id).in_(kpi_ids))
    if department is not None:
        per_hire = per_hire.join(Employee, col(Employee.id) == KpiAssignment.employee_id).where(
            col(Employee.department) == department
        )
    if model_version_id is not None or business_line is not None:
        requisitions = select(col(Requisition.id))
        if model_version_id is not None:
            requisitions = requisitions.where(col(Requisition.competency_model_version_id) == model_version_id)
        if business_line is not None:
            requisitions = requisitions.where(col(Requisition.business_line) == business_line)
        per_hire = per_hire.where(col(KpiAssignment.requisition_id).in_(requisitions))
    hires = per_hire.subquery("kpi_per_hire")
    every_target = sa.func.min(sa.case((hires.c.all_targets, 1), else_=0)).over(partition_by=hires.c.kpi_id)
    oriented_actual = sa.case((hires.c.lower_is_better == 1, -hires.c.actual), else_=hires.c.actual)
    return select(
        hires.c.application_id,
        hires.c.employee_id,
        hires.c.kpi_id,
        hires.c.periods,
        hires.c.actual,
        sa.case((every_target == 1, hires.c.attainment), else_=oriented_actual).label("outcome"),
    ).subquery("kpi_outcome")


def _lower_is_better() -> sa.ColumnElement:
    return col(KpiDefinition.direction) == KpiDirection.LOWER_IS_BETTER


def _per_hire_kept() -> Select:
    """Per assignment with records: the sums ``gateway.models.kpi_outcomes`` keeps, as means."""
    periods = col(KpiAssignment.outcome_periods)
    attained = col(KpiAssignment.outcome_attainment_count)
    return (
        select(
            col(KpiAssignment.application_id).label("application_id"),
            col(KpiAssignment.employee_id).label("employee_id"),
            col(KpiAssignment.kpi_id).label("kpi_id"),
            periods.label("periods"),
            (col(KpiAssignment.outcome_actual_sum) / periods).label("actual"),
            sa.case((attained > 0, col(KpiAssignment.outcome_attainment_sum) / attained)).label("attainment"),
            (attained == periods).label("all_targets"),
            sa.case((_lower_is_better(), 1), else_=0).label("lower_is_better"),
        )
        .join(KpiDefinition, col(KpiDefinition.id) == KpiAssignment.kpi_id)
        .where(periods > 0)
    )


def _per_hire_from_records(period: str) -> Select:
    """Per assignment, the means over the records of the periods starting with ``period``."""
    target = sa.func.coalesce(col(KpiRecord.target), col(KpiAssignment.target))
    lower = _lower_is_better()
    attainment = kpi_attainment(col(KpiRecord.actual), target, lower)
    return (
        select(
            col(KpiAssignment.application_id).label("application_id"),
            col(KpiAssignment.employee_id).label("employee_id"),
            col(KpiAssignment.kpi_id).label("kpi_id"),
            sa.func.count().label("periods"),
            sa.func.avg(KpiRecord.actual).label("actual"),
            sa.func.avg(attainment).label("attainment"),
            (sa.func.count(attainment) == sa.func.count()).label("all_targets"),
            sa.func.max(sa.case((lower, 1), else_=0)).label("lower_is_better"),
        )
        .select_from(KpiRecord)
        .join(KpiAssignment, col(KpiAssignment.id) == KpiRecord.assignment_id)
        .join(KpiDefinition, col(KpiDefinition.id) == KpiAssignment.kpi_id)
        .where(col(KpiRecord.period).startswith(period, autoescape=True))
        .group_by(col(KpiAssignment.application_id), col(KpiAssignment.employee_id), col(KpiAssignment.kpi_id))
    )
