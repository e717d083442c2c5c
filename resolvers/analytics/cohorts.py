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
from gateway.models.enums import KpiDirection

ATTAINMENT_CAP = 2.0
"""``statistics.kpi_attainment``'s cap for lower-is-better KPIs (an actual of 0 counts as 2× on target)."""


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


def _attainment(actual: sa.ColumnElement, target: sa.ColumnElement, lower: sa.ColumnElement) -> sa.ColumnElement:
    """``statistics.kpi_attainment`` in SQL: null without a positive target; capped for lower-is-better."""
    lower_ratio = sa.case(
        (actual <= 0, ATTAINMENT_CAP),
        (target / actual > ATTAINMENT_CAP, ATTAINMENT_CAP),
        else_=target / actual,
    )
    return sa.case(
        (sa.or_(target.is_(None), target <= 0), sa.null()),
        (lower, lower_ratio),
        else_=actual / target,
    )


def kpi_outcomes(
    *,
    kpi_ids: list[int] | None = None,
    model_version_id: int | None = None,
    department: str | None = None,
    period: str | None = None,
) -> sa.Subquery:
    """``(application_id, employee_id, kpi_id, periods, actual, outcome)`` per hire and KPI over the periods.

    ``actual`` is the mean of the records in the KPI's unit; ``outcome`` is oriented so that more is better:
    the mean attainment (``statistics.kpi_attainment``) when every hire measured on the KPI has targets on
    every record, else the mean actual, negated for lower-is-better KPIs. ``period`` matches a prefix
    (``2026`` takes every 2026 quarter). ``kpi_ids`` are a handful of KPI definitions, never a growing list.
    """
    target = sa.func.coalesce(col(KpiRecord.target), col(KpiAssignment.target))
    lower = col(KpiDefinition.direction) == KpiDirection.LOWER_IS_BETTER
    attainment = _attainment(col(KpiRecord.actual), target, lower)
    per_hire = (
        select(
            col(Employee.application_id).label("application_id"),
            col(Employee.id).label("employee_id"),
            col(KpiDefinition.id).label("kpi_id"),
            sa.func.count().label("periods"),
            sa.func.avg(KpiRecord.actual).label("actual"),
            sa.func.avg(attainment).label("attainment"),
            (sa.func.count(attainment) == sa.func.count()).label("all_targets"),
            sa.func.max(sa.case((lower, 1), else_=0)).label("lower_is_better"),
        )
        .select_from(KpiRecord)
        .join(KpiAssignment, col(KpiAssignment.id) == KpiRecord.assignment_id)
        .join(KpiDefinition, col(KpiDefinition.id) == KpiAssignment.kpi_id)
        .join(Employee, col(Employee.id) == KpiAssignment.employee_id)
        .group_by(col(Employee.application_id), col(Employee.id), col(KpiDefinition.id))
    )
    if kpi_ids is not None:
        per_hire = per_hire.where(col(KpiDefinition.id).in_(kpi_ids))
    if department is not None:
        per_hire = per_hire.where(col(Employee.department) == department)
    if period:
        per_hire = per_hire.where(col(KpiRecord.period).startswith(period, autoescape=True))
    if model_version_id is not None:
        per_hire = (
            per_hire.join(Application, col(Application.id) == Employee.application_id)
            .join(Requisition, col(Requisition.id) == Application.requisition_id)
            .where(col(Requisition.competency_model_version_id) == model_version_id)
        )
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
