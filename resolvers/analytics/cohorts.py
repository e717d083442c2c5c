"""The rows analytics count, as SQL selectables (no I/O): latest reports, furthest stages, KPI outcomes.

One rule decides which interview report counts, everywhere (analytics, charts, exports): **the latest
report of each application** (the highest report id over the application's interviews, so a re-interview
replaces the first one), read under that report's own pipeline version (dimension scores of older runs
of the same report are ignored). Every function here returns a subquery built with SQLAlchemy Core, so a
cohort of any size stays in the database: no id list travels as query parameters and no ORM object is
built per row. ``resolvers.analytics.aggregates`` turns these into small result sets.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import Select
from sqlmodel import col, select

from gateway.models import (
    Application,
    ApplicationStageChange,
    Dimension,
    DimensionScore,
    Employee,
    Interview,
    InterviewReport,
    KpiAssignment,
    KpiDefinition,
    KpiRecord,
    Requisition,
)
from gateway.models.enums import ApplicationStage, KpiDirection
from resolvers.analytics.statistics import PIPELINE_STAGES

ATTAINMENT_CAP = 2.0
"""``statistics.kpi_attainment``'s cap for lower-is-better KPIs (an actual of 0 counts as 2× on target)."""


def latest_reports(*, requisition_id: int | None = None, applications: Select | None = None) -> sa.Subquery:
    """``(application_id, report_id)``: the report that counts for each application (the module's rule).

    ``requisition_id`` narrows through the report's own column (indexed); ``applications`` is a SELECT of
    application ids used as ``IN (subquery)``.
    """
    statement = (
        select(
            col(Interview.application_id).label("application_id"),
            sa.func.max(InterviewReport.id).label("report_id"),
        )
        .select_from(InterviewReport)
        .join(Interview, col(Interview.id) == InterviewReport.interview_id)
        .group_by(col(Interview.application_id))
    )
    if requisition_id is not None:
        statement = statement.where(col(InterviewReport.requisition_id) == requisition_id)
    if applications is not None:
        statement = statement.where(col(Interview.application_id).in_(applications))
    return statement.subquery("latest_report")


def latest_totals(latest: sa.Subquery) -> sa.Subquery:
    """``(report_id, total)`` of the counted reports (total null for insufficient evidence)."""
    return (
        select(col(InterviewReport.id).label("report_id"), col(InterviewReport.total).label("total"))
        .select_from(latest)
        .join(InterviewReport, col(InterviewReport.id) == latest.c.report_id)
        .subquery("latest_total")
    )


def latest_dimension_scores(latest: sa.Subquery) -> sa.Subquery:
    """``(application_id, report_id, dimension_id, dimension_key, score)`` of the counted reports, under each
    report's own pipeline version."""
    return (
        select(
            latest.c.application_id,
            latest.c.report_id,
            col(DimensionScore.dimension_id).label("dimension_id"),
            col(Dimension.key).label("dimension_key"),
            col(DimensionScore.score).label("score"),
        )
        .select_from(latest)
        .join(DimensionScore, col(DimensionScore.report_id) == latest.c.report_id)
        .join(InterviewReport, col(InterviewReport.id) == latest.c.report_id)
        .join(Dimension, col(Dimension.id) == DimensionScore.dimension_id)
        .where(col(DimensionScore.pipeline_version) == col(InterviewReport.pipeline_version))
        .subquery("latest_dimension_score")
    )


def _stage_index(column: sa.ColumnElement) -> sa.ColumnElement:
    """A forward stage's position in ``PIPELINE_STAGES`` (0 = screening); null for rejected / withdrawn."""
    return sa.case(*[(column == ApplicationStage(stage), index) for index, stage in enumerate(PIPELINE_STAGES)])


def furthest_stages(applications: Select) -> sa.Subquery:
    """``(application_id, furthest)``: the index of the furthest forward stage each application reached.

    The pipeline moves forward only (``APPLICATION_TRANSITIONS``), so an open application's furthest stage
    is where it stands; only a rejected or withdrawn one needs its history (the stages it passed through).
    """
    closed_history = (
        select(
            col(ApplicationStageChange.application_id).label("application_id"),
            sa.func.max(_stage_index(col(ApplicationStageChange.to_stage))).label("to_index"),
            sa.func.max(_stage_index(col(ApplicationStageChange.from_stage))).label("from_index"),
        )
        .join(Application, col(Application.id) == ApplicationStageChange.application_id)
        .where(
            col(Application.id).in_(applications),
            col(Application.stage).in_([ApplicationStage.REJECTED, ApplicationStage.WITHDRAWN]),
        )
        .group_by(col(ApplicationStageChange.application_id))
        .subquery("closed_history")
    )
    to_index, from_index = closed_history.c.to_index, closed_history.c.from_index
    from_history = sa.case(
        (sa.func.coalesce(to_index, -1) > sa.func.coalesce(from_index, -1), to_index),
        else_=sa.func.coalesce(from_index, 0),
    )
    return (
        select(
            col(Application.id).label("application_id"),
            sa.func.coalesce(_stage_index(col(Application.stage)), from_history).label("furthest"),
        )
        .outerjoin(closed_history, closed_history.c.application_id == Application.id)
        .where(col(Application.id).in_(applications))
        .subquery("furthest_stage")
    )


def requisition_applications(requisition_id: int) -> Select:
    return select(col(Application.id)).where(col(Application.requisition_id) == requisition_id)


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
