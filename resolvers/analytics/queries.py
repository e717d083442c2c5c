"""What the analytics read: dimension scores, KPI results, stage histories and self-reported groups.

Async functions taking ``*, session``; they return plain data for ``resolvers.analytics.statistics``.
Group data (``CandidateSelfReport``) is read only by ``selection_records`` (adverse impact), never by scoring.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from gateway.models import (
    Application,
    ApplicationStageChange,
    CandidateSelfReport,
    Dimension,
    DimensionScore,
    Employee,
    Interview,
    InterviewReport,
    KpiAssignment,
    KpiDefinition,
    KpiRecord,
    Requisition,
    ReweightingProposal,
)
from gateway.models.enums import KpiDirection, ProposalStatus
from resolvers.analytics.statistics import PIPELINE_STAGES, kpi_attainment


@dataclass
class ApplicationScores:
    """The latest interview report of one application, with its dimension scores (by dimension key)."""

    application_id: int
    candidate_id: int
    requisition_id: int
    report_id: int
    total: float | None
    scores: dict[str, float | None] = field(default_factory=dict)


async def dimension_scores(
    *,
    session: AsyncSession,
    requisition_id: int | None = None,
    model_version_id: int | None = None,
    department: str | None = None,
    application_ids: list[int] | None = None,
) -> list[ApplicationScores]:
    """Per application, the latest report's scores under that report's pipeline version (older runs are ignored)."""
    statement = (
        select(InterviewReport, Application)
        .join(Interview, col(Interview.id) == InterviewReport.interview_id)
        .join(Application, col(Application.id) == Interview.application_id)
        .join(Requisition, col(Requisition.id) == Application.requisition_id)
        .order_by(col(InterviewReport.id))
    )
    if requisition_id is not None:
        statement = statement.where(Application.requisition_id == requisition_id)
    if model_version_id is not None:
        statement = statement.where(Requisition.competency_model_version_id == model_version_id)
    if department is not None:
        statement = statement.where(Requisition.department == department)
    if application_ids is not None:
        statement = statement.where(col(Application.id).in_(application_ids))
    latest: dict[int, ApplicationScores] = {}
    pipeline_versions: dict[int, str] = {}
    for report, application in (await session.exec(statement)).all():
        latest[application.id] = ApplicationScores(
            application.id, application.candidate_id, application.requisition_id, report.id, report.total
        )
        pipeline_versions[report.id] = report.pipeline_version
    by_report = {item.report_id: item for item in latest.values()}
    if by_report:
        rows = await session.exec(
            select(DimensionScore, Dimension.key)
            .join(Dimension, col(Dimension.id) == DimensionScore.dimension_id)
            .where(col(DimensionScore.report_id).in_(list(by_report)))
        )
        for score, key in rows.all():
            if score.pipeline_version == pipeline_versions[score.report_id]:
                by_report[score.report_id].scores[key] = score.score
    return list(latest.values())


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
    statement = (
        select(KpiRecord, KpiAssignment, KpiDefinition, Employee)
        .join(KpiAssignment, col(KpiAssignment.id) == KpiRecord.assignment_id)
        .join(KpiDefinition, col(KpiDefinition.id) == KpiAssignment.kpi_id)
        .join(Employee, col(Employee.id) == KpiAssignment.employee_id)
        .order_by(col(KpiRecord.id))
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


async def stages_reached(requisition_id: int, *, session: AsyncSession) -> dict[int, set[str]]:
    """Per application of the requisition: every stage its history shows, plus where it stands now."""
    applications = (await session.exec(select(Application).where(Application.requisition_id == requisition_id))).all()
    return await stages_reached_by(list(applications), session=session)


async def selection_records(
    requisition_id: int, *, selected_stage: str, session: AsyncSession
) -> list[tuple[dict[str, str], bool]]:
    """Self-reported groups of the applicants who gave any, and whether each reached ``selected_stage``."""
    reached = await stages_reached(requisition_id, session=session)
    if not reached:
        return []
    rows = await session.exec(
        select(Application.id, CandidateSelfReport.groups)
        .join(CandidateSelfReport, col(CandidateSelfReport.candidate_id) == Application.candidate_id)
        .where(col(Application.id).in_(list(reached)))
    )
    threshold = PIPELINE_STAGES.index(selected_stage)
    records = []
    for application_id, groups in rows.all():
        furthest = max(PIPELINE_STAGES.index(stage) for stage in reached[application_id] if stage in PIPELINE_STAGES)
        records.append((dict(groups or {}), furthest >= threshold))
    return records


@dataclass(frozen=True)
class ProposalFilter:
    """``reweightingProposals(status:)``: the clauses for ``schema.pagination.root_connection``."""

    status: ProposalStatus | None = None

    def clauses(self) -> list:
        return [] if self.status is None else [ReweightingProposal.status == self.status]


async def cohort_applications(
    *,
    session: AsyncSession,
    model_version_id: int | None = None,
    department: str | None = None,
    created_from: datetime | None = None,
    created_before: datetime | None = None,
    hiring_manager_subject: str | None = None,
) -> list[Application]:
    """Applications of the requisitions matching the filters, made within [created_from, created_before)."""
    statement = select(Application).join(Requisition, col(Requisition.id) == Application.requisition_id)
    if model_version_id is not None:
        statement = statement.where(Requisition.competency_model_version_id == model_version_id)
    if department is not None:
        statement = statement.where(Requisition.department == department)
    if hiring_manager_subject is not None:
        statement = statement.where(Requisition.hiring_manager_subject == hiring_manager_subject)
    if created_from is not None:
        statement = statement.where(col(Application.created_at) >= created_from)
    if created_before is not None:
        statement = statement.where(col(Application.created_at) < created_before)
    return list((await session.exec(statement.order_by(col(Application.id)))).all())


async def stages_reached_by(applications: list[Application], *, session: AsyncSession) -> dict[int, set[str]]:
    """Per application: every stage its history shows, plus where it stands now."""
    reached = {application.id: {PIPELINE_STAGES[0], application.stage.value} for application in applications}
    if reached:
        changes = await session.exec(
            select(ApplicationStageChange).where(col(ApplicationStageChange.application_id).in_(list(reached)))
        )
        for change in changes.all():
            reached[change.application_id].add(change.to_stage.value)
            if change.from_stage is not None:
                reached[change.application_id].add(change.from_stage.value)
    return reached
