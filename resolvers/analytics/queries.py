"""What the analytics read: dimension scores, KPI results, stage histories and self-reported groups.

Async functions taking ``*, session``; they return plain data for ``resolvers.analytics.statistics``.
Group data (``CandidateSelfReport``) is read only by ``selection_records`` (adverse impact), never by scoring.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Select, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from gateway.models import (
    Application,
    CandidateSelfReport,
    Dimension,
    DimensionScore,
    Employee,
    InterviewReport,
    KpiAssignment,
    KpiDefinition,
    KpiRecord,
    Requisition,
    ReweightingProposal,
)
from gateway.models.enums import BusinessLine, KpiDirection, ProposalStatus
from resolvers.analytics.cohorts import Scope
from resolvers.analytics.statistics import PIPELINE_STAGES, kpi_attainment


async def application_scores(
    application_id: int, *, session: AsyncSession
) -> tuple[int | None, dict[str, float | None]]:
    """The counted report of one application (``gateway.models.counting``) and its dimension scores by key."""
    report_id = (
        await session.exec(
            select(col(InterviewReport.id)).where(
                col(InterviewReport.application_id) == application_id, col(InterviewReport.counted)
            )
        )
    ).first()
    if report_id is None:
        return None, {}
    rows = await session.exec(
        select(col(Dimension.key), col(DimensionScore.score))
        .join(Dimension, col(Dimension.id) == DimensionScore.dimension_id)
        .where(col(DimensionScore.report_id) == report_id, col(DimensionScore.counted))
        .order_by(col(DimensionScore.id))
    )
    return report_id, dict(rows.all())


@dataclass
class EmployeeKpiResult:
    """One employee's result on one KPI over the selected periods (means of the records)."""

    employee_id: int
    application_id: int
    kpi_id: int
    kpi_key: str
    direction: KpiDirection
    periods: int
    actual: float
    target: float | None
    attainment: float | None
    """Actual against target, direction-oriented (1.0 on target, more is better); None without targets."""
    dimension_id: int | None

    @property
    def oriented(self) -> float:
        """Attainment where there is a target, else the actual with lower-is-better KPIs negated."""
        if self.attainment is not None:
            return self.attainment
        return -self.actual if self.direction is KpiDirection.LOWER_IS_BETTER else self.actual


def _kpi_records(
    statement: Select,
    *,
    employee_ids: list[int] | None,
    kpi_ids: list[int] | None,
    model_version_id: int | None,
    department: str | None,
    period: str | None,
) -> Select:
    """``statement`` over the KPI records (with assignment, definition and employee) the filters select."""
    statement = (
        statement.select_from(KpiRecord)
        .join(KpiAssignment, col(KpiAssignment.id) == KpiRecord.assignment_id)
        .join(KpiDefinition, col(KpiDefinition.id) == KpiAssignment.kpi_id)
        .join(Employee, col(Employee.id) == KpiAssignment.employee_id)
    )
    if employee_ids is not None:
        statement = statement.where(col(Employee.id).in_(employee_ids))
    if kpi_ids is not None:
        statement = statement.where(col(KpiDefinition.id).in_(kpi_ids))
    if department is not None:
        statement = statement.where(Employee.department == department)
    if period:
        statement = statement.where(col(KpiRecord.period).startswith(period, autoescape=True))
    if model_version_id is not None:
        statement = (
            statement.join(Application, col(Application.id) == Employee.application_id)
            .join(Requisition, col(Requisition.id) == Application.requisition_id)
            .where(Requisition.competency_model_version_id == model_version_id)
        )
    return statement


async def employee_kpi_results(
    *,
    session: AsyncSession,
    employee_ids: list[int] | None = None,
    kpi_ids: list[int] | None = None,
    model_version_id: int | None = None,
    department: str | None = None,
    period: str | None = None,
) -> list[EmployeeKpiResult]:
    """KPI records per employee and KPI; ``period`` matches a prefix (``2026`` takes every 2026 quarter).

    ``model_version_id`` keeps employees hired through a requisition pinned to that competency model version
    (employee → application → requisition).
    """
    statement = _kpi_records(
        select(KpiRecord, KpiAssignment, KpiDefinition, Employee).order_by(col(KpiRecord.id)),
        employee_ids=employee_ids,
        kpi_ids=kpi_ids,
        model_version_id=model_version_id,
        department=department,
        period=period,
    )
    grouped: dict[tuple[int, int], list[tuple[KpiRecord, KpiAssignment, KpiDefinition, Employee]]] = {}
    for row in (await session.exec(statement)).all():
        grouped.setdefault((row[3].id, row[2].id), []).append(row)
    results = []
    for (employee_id, kpi_id), rows in grouped.items():
        _, assignment, definition, employee = rows[0]
        lower = definition.direction is KpiDirection.LOWER_IS_BETTER
        actuals = [record.actual for record, *_ in rows]
        targets = [record.target if record.target is not None else assignment.target for record, *_ in rows]
        attainments = [
            kpi_attainment(actual, target, lower_is_better=lower)
            for actual, target in zip(actuals, targets, strict=True)
        ]
        known_targets = [target for target in targets if target is not None]
        results.append(
            EmployeeKpiResult(
                employee_id=employee_id,
                application_id=employee.application_id,
                kpi_id=kpi_id,
                kpi_key=definition.key,
                direction=definition.direction,
                periods=len(rows),
                actual=sum(actuals) / len(actuals),
                target=sum(known_targets) / len(known_targets) if known_targets else None,
                attainment=(
                    sum(attainments) / len(attainments) if all(value is not None for value in attainments) else None
                ),
                dimension_id=assignment.dimension_id,
            )
        )
    return results


async def selection_records(
    requisition_id: int, *, selected_stage: str, session: AsyncSession
) -> list[tuple[dict[str, str], bool]]:
    """Self-reported groups of the applicants who gave any, and whether each reached ``selected_stage``
    (their furthest stage, ``gateway.models.counting``)."""
    threshold = PIPELINE_STAGES.index(selected_stage)
    rows = await session.exec(
        select(CandidateSelfReport.groups, Application.furthest_stage)
        .join(CandidateSelfReport, col(CandidateSelfReport.candidate_id) == Application.candidate_id)
        .where(Application.requisition_id == requisition_id)
        .order_by(col(Application.id))
    )
    return [(dict(groups or {}), PIPELINE_STAGES.index(stage.value) >= threshold) for groups, stage in rows.all()]


@dataclass(frozen=True)
class ProposalFilter:
    """``reweightingProposals(status:)``: the clauses for ``schema.pagination.root_connection``."""

    status: ProposalStatus | None = None

    def clauses(self) -> list:
        return [] if self.status is None else [ReweightingProposal.status == self.status]


def cohort_scope(
    *,
    model_version_id: int | None = None,
    department: str | None = None,
    created_from: datetime | None = None,
    created_before: datetime | None = None,
    hiring_manager_subject: str | None = None,
    business_line: BusinessLine | None = None,
) -> Scope:
    """The applications to requisitions matching the filters, made within [created_from, created_before).

    Requisition filters become a SELECT of requisition ids (reports and scores carry the requisition, so they
    are filtered without a join); the period, a SELECT of application ids. No I/O.
    """
    requisitions = None
    if any(value is not None for value in (model_version_id, department, hiring_manager_subject, business_line)):
        requisitions = select(col(Requisition.id))
        if model_version_id is not None:
            requisitions = requisitions.where(Requisition.competency_model_version_id == model_version_id)
        if department is not None:
            requisitions = requisitions.where(Requisition.department == department)
        if hiring_manager_subject is not None:
            requisitions = requisitions.where(Requisition.hiring_manager_subject == hiring_manager_subject)
        if business_line is not None:
            requisitions = requisitions.where(Requisition.business_line == business_line)
    applications = None
    if created_from is not None or created_before is not None:
        applications = select(col(Application.id))
        if created_from is not None:
            applications = applications.where(col(Application.created_at) >= created_from)
        if created_before is not None:
            applications = applications.where(col(Application.created_at) < created_before)
    return Scope(
        requisitions=requisitions, applications=applications, months=whole_months(created_from, created_before)
    )


def whole_months(created_from: datetime | None, created_before: datetime | None) -> tuple[str, ...] | None:
    """``YYYY-MM`` of each month in [created_from, created_before) when both fall on a month's first instant
    (UTC), as periods do; else None (the statistics then read rows instead of monthly summaries)."""
    if created_from is None or created_before is None:
        return None
    bounds = [moment.astimezone(UTC) for moment in (created_from, created_before)]
    if any(
        (moment.day, moment.hour, moment.minute, moment.second, moment.microsecond) != (1, 0, 0, 0, 0)
        for moment in bounds
    ):
        return None
    months = []
    year, month = bounds[0].year, bounds[0].month
    while (year, month) < (bounds[1].year, bounds[1].month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return tuple(months)


async def cohort_size(scope: Scope, *, session: AsyncSession) -> tuple[int, int]:
    """How many applications the scope covers, and in how many requisitions."""
    row = (
        await session.exec(
            select(func.count(), func.count(func.distinct(Application.requisition_id))).where(
                *scope.clauses(col(Application.requisition_id), col(Application.id))
            )
        )
    ).one()
    return int(row[0]), int(row[1])
