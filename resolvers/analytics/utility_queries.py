"""Selection utility from the database: sufficient statistics in SQL, the maths in ``resolvers.analytics.utility``.

Nothing here builds ORM objects or sends id lists: every figure is an aggregate (count, sums of x, y, x², y²,
xy, minimum and maximum) over joins and subqueries, in SQLAlchemy Core that SQLite and PostgreSQL both run,
so 200,000 hires and a million applications cost a few aggregate queries and a handful of result rows.

Which report counts: the latest report of each application (highest ``InterviewReport.id``), the one rule
of ``resolvers.analytics.cohorts``; its total must be set. A hire's KPI result is the mean of their records
on the KPI over the period (a prefix such as ``2026``), in the KPI's raw unit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy import Select, Subquery, case, func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from gateway.models import (
    Application,
    CompetencyModelVersion,
    Dimension,
    DimensionKpiLink,
    Employee,
    InterviewReport,
    KpiAssignment,
    KpiDefinition,
    KpiRecord,
    Requisition,
)
from gateway.models.enums import ApplicationStage, BusinessLine, KpiDirection
from resolvers.analytics.reports import CountedReports
from resolvers.analytics.statistics import MIN_SAMPLE_SIZE
from resolvers.analytics.summaries import AUDITED_REPORT_IDS
from resolvers.analytics.utility import KpiFacts, PairedMoments, SelectionUtility, selection_utility
from resolvers.errors import DomainError, ErrorCode, not_found

ILL_CONDITIONED = 1e6
"""Σx² above this multiple of Σ(x − x̄)² loses six or more digits to cancellation: the sums are taken
again around the means (a second, centred pass)."""


@dataclass(frozen=True)
class UtilityScope:
    """What a utility read is over; ``kpi_id`` None means every KPI linked to the version's dimensions."""

    model_version_id: int
    kpi_id: int | None = None
    selection_ratio: float | None = None
    period: str | None = None
    department: str | None = None
    business_line: BusinessLine | None = None
    """The business line of the requisitions (retail and corporate banking are analysed apart)."""


@dataclass(frozen=True)
class UtilityAnswer:
    utilities: list[SelectionUtility]
    reports: CountedReports = field(default_factory=lambda: CountedReports(0, 0, []))
    """The hires' latest reports whose totals entered the validity (the audit event names them)."""


def validate_selection_ratio(selection_ratio: float | None) -> None:
    """A typed error for a ratio outside (0, 1] (GraphQL Floats are finite, but a service caller may not be)."""
    if selection_ratio is not None and not (math.isfinite(selection_ratio) and 0 < selection_ratio <= 1):
        raise DomainError.single(
            "selectionRatio",
            "a selection ratio is a share of applicants hired: greater than 0 and at most 1",
            ErrorCode.INVALID,
        )


def _version_requisitions(
    model_version_id: int, *, department: str | None = None, business_line: BusinessLine | None = None
) -> Select:
    """The ids of the version's requisitions (a subquery): reports are narrowed by their own indexed column."""
    statement = select(col(Requisition.id)).where(Requisition.competency_model_version_id == model_version_id)
    if department is not None:
        statement = statement.where(Requisition.department == department)
    if business_line is not None:
        statement = statement.where(Requisition.business_line == business_line)
    return statement


def _hires_latest_reports(scope: UtilityScope) -> Subquery:
    """(employee_id, report_id): each hire's counted report on the version's requisitions (the module's rule,
    kept on the rows by ``gateway.models.counting``; an employee is made from one application)."""
    statement = (
        select(col(Employee.id).label("employee_id"), col(InterviewReport.id).label("report_id"))
        .select_from(Employee)
        .join(InterviewReport, col(InterviewReport.application_id) == Employee.application_id)
        .where(
            col(InterviewReport.counted),
            col(InterviewReport.requisition_id).in_(
                _version_requisitions(scope.model_version_id, business_line=scope.business_line)
            ),
        )
    )
    if scope.department is not None:
        statement = statement.where(Employee.department == scope.department)
    return statement.subquery("hire_latest_report")


def _linked_kpis(model_version_id: int) -> Select:
    """The ids of the KPIs linked to the version's dimensions, as a SELECT (a subquery, never a list)."""
    return (
        select(col(DimensionKpiLink.kpi_id))
        .join(Dimension, col(Dimension.id) == DimensionKpiLink.dimension_id)
        .where(Dimension.model_version_id == model_version_id)
    )


def _pairs(scope: UtilityScope) -> Select:
    """(kpi_id, report_id, x = interview total, y = mean KPI actual) per hire with both, as a SELECT."""
    kpi_filter = (
        KpiAssignment.kpi_id == scope.kpi_id
        if scope.kpi_id is not None
        else col(KpiAssignment.kpi_id).in_(_linked_kpis(scope.model_version_id))
    )
    results = (
        select(
            col(KpiAssignment.employee_id).label("employee_id"),
            col(KpiAssignment.kpi_id).label("kpi_id"),
            func.avg(KpiRecord.actual).label("actual"),
        )
        .select_from(KpiRecord)
        .join(KpiAssignment, col(KpiAssignment.id) == KpiRecord.assignment_id)
        .where(kpi_filter)
        .group_by(col(KpiAssignment.employee_id), col(KpiAssignment.kpi_id))
    )
    if scope.period:
        results = results.where(col(KpiRecord.period).startswith(scope.period, autoescape=True))
    kpi_results = results.subquery("kpi_result")
    latest = _hires_latest_reports(scope)
    pairs = (
        select(
            kpi_results.c.kpi_id,
            latest.c.report_id,
            col(InterviewReport.total).label("x"),
            kpi_results.c.actual.label("y"),
        )
        .select_from(latest)
        .join(InterviewReport, col(InterviewReport.id) == latest.c.report_id)
        .join(kpi_results, kpi_results.c.employee_id == latest.c.employee_id)
        .where(col(InterviewReport.total).is_not(None))
    )
    return pairs


async def paired_moments(
    scope: UtilityScope, *, session: AsyncSession
) -> tuple[dict[int, PairedMoments], CountedReports]:
    """Per KPI: n, means and centred sums of squares and cross-products of (total, KPI result), from SQL sums;
    and the hires' reports they were computed from (for the audit).

    One statement: the pairs are a common table expression read twice, once grouped by KPI, once for the
    reports over all KPIs (count of distinct ids, highest id); only a cohort of at most
    ``AUDITED_REPORT_IDS`` reports costs one more statement for the ids. A KPI whose raw sums lose too many
    digits (a large mean beside a small spread, e.g. balances of 10⁹ ± 10) is summed again around its means.
    """
    pairs = _pairs(scope).cte("pair")
    x, y, report_id = pairs.c.x, pairs.c.y, pairs.c.report_id
    per_kpi = select(
        pairs.c.kpi_id,
        func.count(),
        func.sum(x),
        func.sum(y),
        func.sum(x * x),
        func.sum(y * y),
        func.sum(x * y),
        func.min(x),
        func.max(x),
        func.min(y),
        func.max(y),
        func.max(report_id),
    ).group_by(pairs.c.kpi_id)
    nothing = sa.cast(sa.null(), sa.Float)
    reports = select(
        sa.cast(sa.null(), sa.Integer),
        func.count(report_id.distinct()),
        *[nothing] * 9,
        func.max(report_id),
    ).select_from(pairs)
    moments: dict[int, PairedMoments] = {}
    imprecise: list[int] = []
    counted = CountedReports(0, 0, [])
    for row in (await session.exec(sa.union_all(per_kpi, reports))).all():  # type: ignore[call-overload]
        kpi_id, n, sum_x, sum_y, sum_xx, sum_yy, sum_xy, min_x, max_x, min_y, max_y, highest = row
        if kpi_id is None:
            counted = CountedReports(int(n), int(highest or 0), None if n else [])
            continue
        n = int(n)
        mean_x, mean_y = float(sum_x) / n, float(sum_y) / n
        sxx = float(sum_xx) - float(sum_x) * mean_x
        syy = float(sum_yy) - float(sum_y) * mean_y
        sxy = float(sum_xy) - float(sum_x) * mean_y
        moments[kpi_id] = PairedMoments(
            n, mean_x, mean_y, max(sxx, 0.0), max(syy, 0.0), sxy, min_x == max_x, min_y == max_y
        )
        if _lost_digits(float(sum_xx), sxx) or _lost_digits(float(sum_yy), syy):
            imprecise.append(kpi_id)
    for kpi_id in imprecise:
        moments[kpi_id] = await _centred_moments(scope, moments[kpi_id], kpi_id, session=session)
    if 0 < counted.count <= AUDITED_REPORT_IDS:
        used = _pairs(scope).subquery("used_pair")
        ids = await session.exec(select(used.c.report_id).distinct().order_by(used.c.report_id))
        counted = CountedReports(counted.count, counted.highest_id, [int(value) for value in ids.all()])
    return moments, counted


def _lost_digits(raw_sum_of_squares: float, centred: float) -> bool:
    return raw_sum_of_squares > ILL_CONDITIONED * max(centred, 0.0)


async def _centred_moments(
    scope: UtilityScope, rough: PairedMoments, kpi_id: int, *, session: AsyncSession
) -> PairedMoments:
    """The second pass: sums of (x − a), (y − b) and their products around the first pass's means a, b.

    Shifted sums keep their precision whatever the offset; the small correction for a, b not being the
    exact means is removed in Python (``Σ(x−x̄)² = Σ(x−a)² − (Σ(x−a))²/n``).
    """
    pairs = _pairs(scope).subquery("pair")
    dx, dy = pairs.c.x - rough.mean_x, pairs.c.y - rough.mean_y
    row = (
        await session.exec(select(func.sum(dx), func.sum(dy), func.sum(dx * dx), func.sum(dy * dy), func.sum(dx * dy)))
    ).one()
    sum_dx, sum_dy, sum_dxx, sum_dyy, sum_dxy = (float(value) for value in row)
    n = rough.n
    return PairedMoments(
        n=n,
        mean_x=rough.mean_x + sum_dx / n,
        mean_y=rough.mean_y + sum_dy / n,
        sxx=max(sum_dxx - sum_dx * sum_dx / n, 0.0),
        syy=max(sum_dyy - sum_dy * sum_dy / n, 0.0),
        sxy=sum_dxy - sum_dx * sum_dy / n,
        x_constant=rough.x_constant,
        y_constant=rough.y_constant,
    )


async def selection_counts(scope: UtilityScope, *, session: AsyncSession) -> tuple[int, int]:
    """Applicants with a scored latest report on the version's requisitions, and how many of them were hired.

    The counted report of each application (``gateway.models.counting``) with a total. Hired: the application
    reached the hired stage, or an employee was made from it.
    ``department`` narrows the requisitions (the hiring side).
    """
    hired = or_(Application.stage == ApplicationStage.HIRED, col(Employee.id).is_not(None))
    row = (
        await session.exec(
            select(func.count(), func.coalesce(func.sum(case((hired, 1), else_=0)), 0))
            .select_from(InterviewReport)
            .join(Application, col(Application.id) == InterviewReport.application_id)
            .outerjoin(Employee, col(Employee.application_id) == Application.id)
            .where(
                col(InterviewReport.counted),
                col(InterviewReport.total).is_not(None),
                col(InterviewReport.requisition_id).in_(
                    _version_requisitions(
                        scope.model_version_id, department=scope.department, business_line=scope.business_line
                    )
                ),
            )
        )
    ).one()
    return int(row[0]), int(row[1])


async def _kpis(scope: UtilityScope, *, session: AsyncSession) -> list[KpiFacts]:
    if await session.get(CompetencyModelVersion, scope.model_version_id) is None:
        raise not_found("modelVersionId", "competency model version")
    statement = select(
        col(KpiDefinition.id),
        col(KpiDefinition.key),
        col(KpiDefinition.name_en),
        col(KpiDefinition.name_zh),
        col(KpiDefinition.unit),
        col(KpiDefinition.direction),
    )
    if scope.kpi_id is not None:
        rows = (await session.exec(statement.where(KpiDefinition.id == scope.kpi_id))).all()
        if not rows:
            raise not_found("kpiId", "KPI definition")
    else:
        # In the order the version's links were made, each KPI once (as dimensionKpiCorrelations lists them).
        first_link = (
            select(col(DimensionKpiLink.kpi_id).label("kpi_id"), func.min(DimensionKpiLink.id).label("link_id"))
            .join(Dimension, col(Dimension.id) == DimensionKpiLink.dimension_id)
            .where(Dimension.model_version_id == scope.model_version_id)
            .group_by(col(DimensionKpiLink.kpi_id))
            .subquery()
        )
        rows = (
            await session.exec(
                statement.join(first_link, first_link.c.kpi_id == KpiDefinition.id).order_by(first_link.c.link_id)
            )
        ).all()
    return [
        KpiFacts(
            kpi_id=kpi_id,
            key=key,
            name_en=name_en,
            name_zh=name_zh,
            unit=unit,
            lower_is_better=direction == KpiDirection.LOWER_IS_BETTER,
        )
        for kpi_id, key, name_en, name_zh, unit, direction in rows
    ]


async def selection_utilities(scope: UtilityScope, *, session: AsyncSession, min_group_size: int = 1) -> UtilityAnswer:
    """The utility of selecting by the interview total, for one KPI or every KPI linked to the version.

    Raises ``DomainError`` for an unknown version or KPI or a selection ratio outside (0, 1]. The minimum
    sample is the larger of the statistics' minimum n and the analytics minimum group size.
    """
    validate_selection_ratio(scope.selection_ratio)
    kpis = await _kpis(scope, session=session)
    if not kpis:
        return UtilityAnswer([])
    moments, counted = await paired_moments(scope, session=session)
    applicants, hires = await selection_counts(scope, session=session)
    utilities = [
        selection_utility(
            kpi,
            moments.get(kpi.kpi_id, PairedMoments.empty()),
            applicants=applicants,
            hires=hires,
            selection_ratio=scope.selection_ratio,
            min_n=max(MIN_SAMPLE_SIZE, min_group_size),
        )
        for kpi in kpis
    ]
    return UtilityAnswer(utilities, counted)
