"""Hires as one row each: their KPI outcome over every period and their interview scores, from the assignment.

``gateway.models.kpi_outcomes`` keeps on each KPI assignment the sums of the hire's records and their counted
dimension scores (``hire_scores``). A dimension → KPI correlation or a prediction over every period then reads
one table, one row per hire and KPI, instead of averaging a million records and joining millions of scores.
The outcome follows ``cohorts.kpi_outcomes``' rule: the mean attainment when every hire of the cohort measured
on the KPI has a target on every record, else the mean actual, negated for lower-is-better KPIs (more is
better). A period narrower than the whole history still goes through ``cohorts.kpi_outcomes`` (the records).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from gateway.models import Dimension, DimensionKpiLink, Employee, KpiAssignment, KpiDefinition, Requisition
from gateway.models.enums import BusinessLine, KpiDirection


@dataclass(frozen=True)
class Link:
    link_id: int
    dimension_id: int
    dimension_key: str
    kpi_id: int
    lower_is_better: bool


@dataclass(frozen=True)
class HireCohort:
    """Which hires: through requisitions of the version (and business line), in a department."""

    model_version_id: int
    department: str | None = None
    business_line: BusinessLine | None = None

    def clauses(self) -> list[sa.ColumnElement]:
        requisitions = select(col(Requisition.id)).where(
            col(Requisition.competency_model_version_id) == self.model_version_id
        )
        if self.business_line is not None:
            requisitions = requisitions.where(col(Requisition.business_line) == self.business_line)
        clauses = [col(KpiAssignment.outcome_periods) > 0, col(KpiAssignment.requisition_id).in_(requisitions)]
        if self.department is not None:
            clauses.append(
                col(KpiAssignment.employee_id).in_(
                    select(col(Employee.id)).where(col(Employee.department) == self.department)
                )
            )
        return clauses


async def version_links(model_version_id: int, *, session: AsyncSession) -> list[Link]:
    rows = await session.exec(
        select(
            col(DimensionKpiLink.id),
            col(DimensionKpiLink.dimension_id),
            col(Dimension.key),
            col(DimensionKpiLink.kpi_id),
            KpiDefinition.direction,
        )
        .join(Dimension, col(Dimension.id) == DimensionKpiLink.dimension_id)
        .join(KpiDefinition, col(KpiDefinition.id) == DimensionKpiLink.kpi_id)
        .where(col(Dimension.model_version_id) == model_version_id)
        .order_by(col(DimensionKpiLink.id))
    )
    return [
        Link(int(link_id), int(dimension_id), key, int(kpi_id), direction == KpiDirection.LOWER_IS_BETTER)
        for link_id, dimension_id, key, kpi_id, direction in rows.all()
    ]


async def kpis_with_every_target(kpi_ids: Sequence[int], cohort: HireCohort, *, session: AsyncSession) -> set[int]:
    """The KPIs on which every hire of the cohort has a target on every record (outcome: mean attainment)."""
    if not kpi_ids:
        return set()
    complete = sa.case((col(KpiAssignment.outcome_attainment_count) == col(KpiAssignment.outcome_periods), 1), else_=0)
    rows = await session.exec(
        select(col(KpiAssignment.kpi_id), sa.func.min(complete))
        .where(col(KpiAssignment.kpi_id).in_(list(kpi_ids)), *cohort.clauses())
        .group_by(col(KpiAssignment.kpi_id))
    )
    return {int(kpi_id) for kpi_id, every in rows.all() if every == 1}


def oriented_outcome(every_target: bool, lower_is_better: bool) -> sa.ColumnElement:
    """The hire's outcome on the assignment's KPI, oriented so that more is better."""
    if every_target:
        return col(KpiAssignment.outcome_attainment_sum) / _real(col(KpiAssignment.outcome_attainment_count))
    mean = mean_actual()
    return -mean if lower_is_better else mean


def _real(count: sa.ColumnElement) -> sa.ColumnElement:
    """A count as a float: float ÷ integer would otherwise divide in NUMERIC on PostgreSQL (slow, and not a float)."""
    return sa.cast(count, sa.Float)


def mean_actual() -> sa.ColumnElement:
    """The hire's mean KPI actual in the KPI's own unit (what a prediction predicts)."""
    return col(KpiAssignment.outcome_actual_sum) / _real(col(KpiAssignment.outcome_periods))


def hire_score(dimension_id: int) -> sa.ColumnElement:
    """The hire's counted interview score on the dimension (null when they have none)."""
    return col(KpiAssignment.hire_scores)[str(dimension_id)].as_float()


def link_pairs(links: Sequence[Link], every_target: set[int], cohort: HireCohort) -> sa.Subquery:
    """``(link_id, x, y)``: per link, each hire's score and oriented outcome, both present (an integer link id:
    the rank sorts partition by it, cheaper than by a dimension key's text)."""
    selects = []
    for link in links:
        x = hire_score(link.dimension_id)
        y = oriented_outcome(link.kpi_id in every_target, link.lower_is_better)
        selects.append(
            select(
                sa.literal(link.link_id).label("link_id"),
                x.label("x"),
                y.label("y"),
            ).where(col(KpiAssignment.kpi_id) == link.kpi_id, x.is_not(None), y.is_not(None), *cohort.clauses())
        )
    return sa.union_all(*selects).subquery("pair_source")


def hire_features(dimension_ids: Sequence[int], kpi_id: int, cohort: HireCohort) -> sa.Subquery:
    """``(application_id, actual, x0, x1, …)``: each hire's mean raw KPI actual and scores on ``dimension_ids``."""
    return (
        select(
            col(KpiAssignment.application_id).label("application_id"),
            mean_actual().label("actual"),
            *[hire_score(dimension_id).label(f"x{index}") for index, dimension_id in enumerate(dimension_ids)],
        )
        .where(col(KpiAssignment.kpi_id) == kpi_id, *cohort.clauses())
        .subquery("features")
    )
