"""Analytics answers: the queries of ``resolvers.analytics.queries`` fed to ``resolvers.analytics.statistics``.

Each function takes ``*, session`` and raises ``DomainError`` for unknown IDs or unusable input.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from gateway.db import unit_of_work
from gateway.models import (
    Application,
    CompetencyModelVersion,
    Dimension,
    DimensionKpiLink,
    Employee,
    KpiDefinition,
    Requisition,
)
from gateway.models.enums import BusinessLine
from resolvers.analytics import adverse_impact as impact
from resolvers.analytics import aggregates, cohorts
from resolvers.analytics import statistics as st
from resolvers.analytics.prediction import PerformancePrediction, predict_from_moments
from resolvers.analytics.queries import (
    EmployeeKpiResult,
    application_scores,
    cohort_scope,
    employee_kpi_results,
    selection_records,
)
from resolvers.analytics.summaries import CohortFigures, cohort_figures
from resolvers.errors import DomainError, ErrorCode, not_found
from resolvers.services.audit import Actor, record_audit
from resolvers.services.periods import period_range

RANKED_DIMENSIONS = 3
"""How many strongest and weakest dimensions a requisition summary names."""


@dataclass(frozen=True)
class CountedReports:
    """The reports a statistic counted (``resolvers.analytics.cohorts``: the latest per application)."""

    count: int
    highest_id: int
    ids: list[int] | None
    """Every id, or None past ``AUDITED_REPORT_IDS`` (then: the cohort's latest reports with ids ≤ ``highest_id``)."""

    def audit_details(self) -> dict[str, Any]:
        if self.ids is not None:
            return {"report_ids": self.ids}
        return {
            "report_count": self.count,
            "report_ids_up_to": self.highest_id,
            "report_rule": "latest report per application of the cohort",
        }


async def counted_totals(scope: cohorts.Scope, *, min_group_size: int) -> tuple[st.Distribution, CountedReports]:
    """The totals' distribution and the reports it counted (their ids only for a cohort an auditor can list)."""
    figures = await cohort_figures(scope)
    totals = st.distribution_from_summary(figures.summary(), figures.histogram(), min_group_size=min_group_size)
    return totals, _counted_reports(figures)


@dataclass(frozen=True)
class RequisitionAnalytics:
    requisition_id: int
    pass_rates: list[st.StagePassRate]
    totals: st.Distribution
    dimension_means: list[st.DimensionMean]
    reports: CountedReports = field(default_factory=lambda: CountedReports(0, 0, []))
    """The interview reports the figures were computed from (the audit event names them)."""

    @property
    def strongest(self) -> list[st.DimensionMean]:
        return st.strongest_and_weakest(self.dimension_means, RANKED_DIMENSIONS)[0]

    @property
    def weakest(self) -> list[st.DimensionMean]:
        return st.strongest_and_weakest(self.dimension_means, RANKED_DIMENSIONS)[1]


async def _requisition(requisition_id: int, *, session: AsyncSession) -> Requisition:
    requisition = await session.get(Requisition, requisition_id)
    if requisition is None:
        raise not_found("requisitionId", "requisition")
    return requisition


async def _version_dimensions(model_version_id: int, *, session: AsyncSession) -> list[Dimension]:
    if await session.get(CompetencyModelVersion, model_version_id) is None:
        raise not_found("modelVersionId", "competency model version")
    rows = await session.exec(
        select(Dimension).where(Dimension.model_version_id == model_version_id).order_by(col(Dimension.position))
    )
    return list(rows.all())


async def requisition_analytics(
    requisition_id: int, *, session: AsyncSession, min_group_size: int = 1
) -> RequisitionAnalytics:
    """Pass rates by stage, the distribution of interview totals, dimensions by mean score.

    Computed by the database over the latest report of each application; score statistics of fewer than
    ``min_group_size`` candidates are withheld (``statistics.distribution_from_summary``).
    """
    requisition = await _requisition(requisition_id, session=session)
    scope = cohorts.Scope(requisition_id=requisition_id)
    dimensions = await _version_dimensions(requisition.competency_model_version_id, session=session)
    figures = await cohort_figures(scope)
    return RequisitionAnalytics(
        requisition_id=requisition_id,
        reports=_counted_reports(figures),
        **_figures(figures, [dimension.key for dimension in dimensions], min_group_size=min_group_size),
    )


def _counted_reports(figures: CohortFigures) -> CountedReports:
    return CountedReports(figures.reports, figures.highest_report_id, figures.report_ids)


def _figures(figures: CohortFigures, keys: Sequence[str] | None, *, min_group_size: int) -> dict[str, Any]:
    """Pass rates, totals and dimension means of ``summaries.cohort_figures``, small groups withheld."""
    order = {stage: index for index, stage in enumerate(st.PIPELINE_STAGES)}
    return {
        "pass_rates": st.pass_rates_from_furthest({order[stage]: count for stage, count in figures.stages.items()}),
        "totals": st.distribution_from_summary(figures.summary(), figures.histogram(), min_group_size=min_group_size),
        "dimension_means": st.dimension_means_from_summary(
            figures.dimension_summaries(keys), min_group_size=min_group_size
        ),
    }


async def record_statistics_read(
    actor: Actor,
    action: str,
    *,
    entity_type: str,
    entity_id: int | None,
    report_ids: Sequence[int] | CountedReports,
    details: dict[str, Any] | None = None,
) -> None:
    """One audit event per statistic read over candidates' reports, naming the reports it was computed from.

    Aggregates over few candidates come close to reading their reports, so an auditor needs who asked,
    when, and over whose reports (the ids), even where small groups were withheld. Own unit of work,
    like every audited read; people and connectors only.
    """
    if actor.kind not in ("person", "service"):
        return
    async with unit_of_work() as uow:
        record_audit(
            session=uow.session,
            actor=actor,
            action=action,
            entity_type=entity_type,
            entity_id=entity_id,
            details={
                "kind": actor.kind,
                "subject": actor.subject,
                **(
                    report_ids.audit_details()
                    if isinstance(report_ids, CountedReports)
                    else {"report_ids": list(report_ids)}
                ),
                **(details or {}),
            },
        )


@dataclass(frozen=True)
class DimensionKpiCorrelation:
    dimension_key: str
    kpi_id: int
    kpi_key: str
    pearson: st.Correlation
    spearman: st.Correlation


def _oriented_outcomes(results: Sequence[EmployeeKpiResult]) -> dict[int, float]:
    """Per application: attainment when every employee has a target, else the direction-oriented actual."""
    use_attainment = bool(results) and all(result.attainment is not None for result in results)
    return {
        result.application_id: (result.attainment if use_attainment else result.oriented)  # type: ignore[misc]
        for result in results
    }


async def _links(dimensions: Sequence[Dimension], *, session: AsyncSession) -> list[tuple[Dimension, KpiDefinition]]:
    by_id = {dimension.id: dimension for dimension in dimensions}
    if not by_id:
        return []
    rows = await session.exec(
        select(DimensionKpiLink, KpiDefinition)
        .join(KpiDefinition, col(KpiDefinition.id) == DimensionKpiLink.kpi_id)
        .where(col(DimensionKpiLink.dimension_id).in_(list(by_id)))
        .order_by(col(DimensionKpiLink.id))
    )
    return [(by_id[link.dimension_id], kpi) for link, kpi in rows.all()]


async def dimension_kpi_correlations(
    model_version_id: int,
    *,
    session: AsyncSession,
    period: str | None = None,
    department: str | None = None,
    business_line: BusinessLine | None = None,
) -> list[DimensionKpiCorrelation]:
    """For each dimension → KPI link of the version: hires' interview scores against their KPI results.

    KPI results are oriented so that a positive r always means "a higher score goes with better performance".
    The database pairs, ranks and correlates (``aggregates.link_correlations``); links without pairs say so.
    """
    dimensions = await _version_dimensions(model_version_id, session=session)
    links = await _links(dimensions, session=session)
    found = {
        (item.dimension_key, item.kpi_id): item
        for item in await aggregates.link_correlations(
            model_version_id, session=session, period=period, department=department, business_line=business_line
        )
    }
    correlations = []
    for dimension, kpi in links:
        item = found.get((dimension.key, kpi.id))
        pearson = item.pearson if item else st.correlation_estimate("pearson", 0, None, varies=False)
        spearman = item.spearman if item else st.correlation_estimate("spearman", 0, None, varies=False)
        correlations.append(DimensionKpiCorrelation(dimension.key, kpi.id, kpi.key, pearson, spearman))
    return correlations


@dataclass(frozen=True)
class AbilityPerformance:
    employee_id: int
    report_id: int | None
    """The interview report the scores come from (its read is audited like any report read)."""
    scores: dict[str, float | None]
    kpis: list[EmployeeKpiResult]
    gaps: list[st.AbilityPerformanceGap]


async def employee_ability_performance(
    employee_id: int, *, session: AsyncSession, period: str | None = None
) -> AbilityPerformance:
    """The employee's interview dimension scores beside their KPI results, with gaps flagged per linked pair."""
    employee = await session.get(Employee, employee_id)
    if employee is None:
        raise not_found("employeeId", "employee")
    report_id, scores = await application_scores(employee.application_id, session=session)
    results = await employee_kpi_results(session=session, employee_ids=[employee_id], period=period)
    # Every dimension of the hiring requisition's model version linked to a KPI the employee has results
    # on is compared, not only the one dimension the KPI assignment was made from (A→X and B→X alike).
    links = await session.exec(
        select(DimensionKpiLink.kpi_id, Dimension.key)
        .join(Dimension, col(Dimension.id) == DimensionKpiLink.dimension_id)
        .join(Requisition, col(Requisition.competency_model_version_id) == Dimension.model_version_id)
        .join(Application, col(Application.requisition_id) == Requisition.id)
        .where(Application.id == employee.application_id)
        .order_by(col(Dimension.position), col(Dimension.id))
    )
    linked: dict[int, list[str]] = {}
    for kpi_id, dimension_key in links.all():
        linked.setdefault(kpi_id, []).append(dimension_key)
    assigned_from = {result.dimension_id for result in results if result.dimension_id is not None}
    if assigned_from:  # an assignment's dimension from another version still counts
        rows = await session.exec(select(Dimension.id, Dimension.key).where(col(Dimension.id).in_(assigned_from)))
        keys = dict(rows.all())
        for result in results:
            key = keys.get(result.dimension_id)
            if key is not None and key not in linked.get(result.kpi_id, []):
                linked.setdefault(result.kpi_id, []).insert(0, key)
    gaps = [
        st.ability_performance_flag(dimension_key, result.kpi_key, scores.get(dimension_key), result.attainment)
        for result in results
        for dimension_key in linked.get(result.kpi_id, [])
    ]
    return AbilityPerformance(employee_id, report_id, dict(scores), results, gaps)


async def performance_prediction(
    model_version_id: int,
    kpi_id: int,
    new_scores: dict[str, float] | None,
    *,
    session: AsyncSession,
    period: str | None = None,
    department: str | None = None,
    business_line: BusinessLine | None = None,
) -> PerformancePrediction:
    """Regress the KPI on the version's dimension scores over past hires; predict for ``new_scores`` if given.

    The database sums each fold's moments (``aggregates.regression_moments``); ``resolvers.analytics.prediction``
    solves the least-squares system and gives the leverage-aware interval.
    """
    dimensions = await _version_dimensions(model_version_id, session=session)
    kpi = await session.get(KpiDefinition, kpi_id)
    if kpi is None:
        raise not_found("kpiId", "KPI definition")
    keys = [dimension.key for dimension in dimensions]
    if new_scores is not None:
        unknown = sorted(set(new_scores) - set(keys))
        missing = [key for key in keys if key not in new_scores]
        if unknown or missing:
            raise DomainError.single(
                "dimensionScores",
                f"give one score per dimension of the version ({', '.join(keys)}); "
                f"unknown: {', '.join(unknown) or 'none'}, missing: {', '.join(missing) or 'none'}",
                ErrorCode.INVALID,
            )
        if any(not 0 <= value <= 100 for value in new_scores.values()):
            raise DomainError.single("dimensionScores", "scores are between 0 and 100", ErrorCode.INVALID)
    # The raw KPI unit (not oriented): a prediction reads as "error rate about 1.2 %".
    folds = await aggregates.regression_moments(
        [(dimension.id, dimension.key) for dimension in dimensions if dimension.id is not None],
        kpi_id,
        model_version_id=model_version_id,
        session=session,
        period=period,
        department=department,
        business_line=business_line,
    )
    return predict_from_moments(keys, folds, new_scores)


GROUP_KEY_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"


async def adverse_impact(
    requisition_id: int,
    group_keys: Sequence[str],
    *,
    session: AsyncSession,
    selected_stage: str = "second_interview",
    min_group_size: int = 1,
) -> list[impact.GroupSelection]:
    """Selection (reaching ``selected_stage``, by default: passed the AI interview) by self-reported group."""
    await _requisition(requisition_id, session=session)
    if not group_keys or len(group_keys) > 5 or any(not re.match(GROUP_KEY_PATTERN, key) for key in group_keys):
        raise DomainError.single("groupKeys", "give 1–5 group keys such as gender or age_band", ErrorCode.INVALID)
    if selected_stage not in st.PIPELINE_STAGES[1:]:
        raise DomainError.single("selectedStage", "a forward stage after screening", ErrorCode.INVALID)
    records = await selection_records(requisition_id, selected_stage=selected_stage, session=session)
    return impact.adverse_impact(records, list(dict.fromkeys(group_keys)), min_group_size=min_group_size)


@dataclass(frozen=True)
class CohortAnalytics(RequisitionAnalytics):
    """The same figures over every requisition matching a model version, department and/or period."""

    requisition_count: int = 0
    application_count: int = 0


async def cohort_analytics(
    *,
    session: AsyncSession,
    model_version_id: int | None = None,
    department: str | None = None,
    period: str | None = None,
    hiring_manager_subject: str | None = None,
    business_line: BusinessLine | None = None,
    min_group_size: int = 1,
) -> CohortAnalytics:
    """Pass rates, score distribution and dimension means of the applications made in ``period``
    (``2026``, ``2026-Q3`` or ``2026-09``) to requisitions of the version and/or department."""
    created_from = created_before = None
    if period is not None:
        bounds = period_range(period)
        if bounds is None:
            raise DomainError.single("period", f"'{period}' is not 2026, 2026-Q3 or 2026-09", ErrorCode.INVALID_PERIOD)
        created_from, created_before = (datetime.combine(day, time.min, tzinfo=UTC) for day in bounds)
    if model_version_id is not None and await session.get(CompetencyModelVersion, model_version_id) is None:
        raise not_found("modelVersionId", "competency model version")
    scope = cohort_scope(
        model_version_id=model_version_id,
        department=department,
        created_from=created_from,
        created_before=created_before,
        hiring_manager_subject=hiring_manager_subject,
        business_line=business_line,
    )
    keys = None
    if model_version_id is not None:
        keys = [dimension.key for dimension in await _version_dimensions(model_version_id, session=session)]
    figures = await cohort_figures(scope)
    return CohortAnalytics(
        requisition_id=0,
        reports=_counted_reports(figures),
        requisition_count=figures.requisitions,
        application_count=figures.applications,
        **_figures(figures, keys, min_group_size=min_group_size),
    )
