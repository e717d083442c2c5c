"""Cohort statistics from the per-requisition, per-month summary cells (``gateway.models.analytics_summary``).

``cohort_figures`` is what ``requisitionAnalytics`` and ``hiringAnalytics`` read: in one short transaction of
its own it recomputes the cells of requisitions whose writes made them stale, reads the cells of the cohort
and combines them (counts add; means and squared deviations combine exactly, as Chan et al. do for parallel
variance). Quartiles stay exact: the one-point slot counts say in which slot each needed order statistic
lies and at which offset, and one indexed lookup per quartile reads the value from the counted reports of
that slot. The figures equal the row-by-row aggregates of ``resolvers.analytics.aggregates`` (a test
compares both); only the cells of requisitions written since the last read are recomputed from rows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from gateway.db import unit_of_work
from gateway.models.analytics_summary import (
    TOTAL_SLOTS,
    Moments,
    RequisitionMonthSummary,
    RequisitionSummaryState,
    build_cells,
    cell_queries,
)
from gateway.models.base import utcnow
from resolvers.analytics import aggregates
from resolvers.analytics import statistics as st
from resolvers.analytics.cohorts import Scope, counted_reports

QUARTILES = (0.25, 0.5, 0.75)
REFRESH_BATCH = 500
"""Requisitions recomputed per statement (their ids are query parameters)."""
AUDITED_REPORT_IDS = 1_000
"""An audit event names up to this many reports; past it, the counting rule and the highest report id."""


@dataclass
class CohortFigures:
    """Everything ``requisitionAnalytics`` / ``hiringAnalytics`` show, before withholding small groups."""

    applications: int = 0
    requisitions: int = 0
    stages: dict[str, int] = field(default_factory=dict)
    reports: int = 0
    highest_report_id: int = 0
    report_ids: list[int] | None = None
    """Every counted report id when there are at most ``AUDITED_REPORT_IDS``, else None."""
    totals: Moments = field(default_factory=Moments)
    total_min: float | None = None
    total_max: float | None = None
    total_slots: list[int] = field(default_factory=lambda: [0] * TOTAL_SLOTS)
    quantiles: tuple[float | None, ...] = (None,) * 5
    dimensions: dict[str, Moments] = field(default_factory=dict)

    def summary(self) -> st.SummaryStatistics:
        n = self.totals.n
        return st.SummaryStatistics(
            n=n,
            mean=self.totals.mean if n else None,
            standard_deviation=self.totals.standard_deviation(),
            quantiles=self.quantiles,  # type: ignore[arg-type]
        )

    def histogram(
        self, bins: int = 10, value_range: tuple[float, float] = (0.0, 100.0)
    ) -> list[tuple[float, float, int]]:
        """Equal-width bins of whole points from the slots (the last bin includes its top, as numpy's does)."""
        edges = st.histogram_edges(bins, value_range)
        if any(lower != int(lower) or upper != int(upper) for lower, upper in edges):
            raise ValueError("slot counts make bins of whole points only")
        last = len(edges) - 1
        return [
            (lower, upper, sum(self.total_slots[int(lower) : int(upper) + (1 if index == last else 0)]))
            for index, (lower, upper) in enumerate(edges)
        ]

    def dimension_summaries(self, keys: Sequence[str] | None) -> dict[str, tuple[int, float | None, float | None]]:
        listed = list(keys) if keys is not None else sorted(self.dimensions)
        found = {}
        for key in listed:
            moments = self.dimensions.get(key, Moments())
            found[key] = (moments.n, moments.mean if moments.n else None, moments.standard_deviation())
        return found


async def refresh_stale(scope: Scope, *, session: AsyncSession) -> list[int]:
    """Recompute the cells of the scope's stale requisitions, in the caller's transaction; returns their ids.

    The state rows are claimed first (``computed_version = version``, a row lock on PostgreSQL, the write
    lock on SQLite): a writer that bumps the version meanwhile waits for this transaction, and a concurrent
    reader finds nothing left to claim.
    """
    connection = await session.connection()
    state = RequisitionSummaryState.__table__
    claim = (
        sa.update(state)
        .where(state.c.computed_version != state.c.version)
        .values(computed_version=state.c.version, updated_at=utcnow())
        .returning(state.c.requisition_id)
    )
    if scope.requisition_id is not None:
        claim = claim.where(state.c.requisition_id == scope.requisition_id)
    if scope.requisitions is not None:
        claim = claim.where(state.c.requisition_id.in_(scope.requisitions))
    claimed = sorted(int(row[0]) for row in (await connection.execute(claim)).all())
    dialect_name = session.bind.dialect.name
    summary = RequisitionMonthSummary.__table__
    for start in range(0, len(claimed), REFRESH_BATCH):
        ids = claimed[start : start + REFRESH_BATCH]
        applications, reports, scores = cell_queries(ids, dialect_name)
        cells = build_cells(
            (await connection.execute(applications)).all(),
            (await connection.execute(reports)).all(),
            (await connection.execute(scores)).all(),
        )
        await connection.execute(sa.delete(summary).where(summary.c.requisition_id.in_(ids)))
        if cells:
            await connection.execute(sa.insert(summary), cells)
    return claimed


def _cell_clauses(scope: Scope) -> list[sa.ColumnElement]:
    summary = RequisitionMonthSummary.__table__
    clauses = []
    if scope.requisition_id is not None:
        clauses.append(summary.c.requisition_id == scope.requisition_id)
    if scope.requisitions is not None:
        clauses.append(summary.c.requisition_id.in_(scope.requisitions))
    if scope.months is not None:
        clauses.append(summary.c.month.in_(scope.months))
    return clauses


async def _combine(scope: Scope, *, session: AsyncSession) -> CohortFigures:
    connection = await session.connection()
    summary = RequisitionMonthSummary.__table__
    figures = CohortFigures()
    requisitions: set[int] = set()
    rows = await connection.execute(sa.select(summary).where(*_cell_clauses(scope)))
    for row in rows.mappings():
        figures.applications += row["applications"]
        if row["applications"]:
            requisitions.add(row["requisition_id"])
        for stage, count in row["stages"].items():
            figures.stages[stage] = figures.stages.get(stage, 0) + count
        figures.reports += row["reports"]
        figures.highest_report_id = max(figures.highest_report_id, row["highest_report_id"])
        if row["scored"]:
            figures.totals.add(Moments(row["scored"], row["total_mean"], row["total_squares"]))
            figures.total_min = (
                row["total_min"] if figures.total_min is None else min(figures.total_min, row["total_min"])
            )
            figures.total_max = (
                row["total_max"] if figures.total_max is None else max(figures.total_max, row["total_max"])
            )
            for slot, count in enumerate(row["total_slots"]):
                figures.total_slots[slot] += count
        for key, (n, mean, squares) in row["dimensions"].items():
            figures.dimensions.setdefault(key, Moments()).add(Moments(int(n), mean, squares))
    figures.requisitions = len(requisitions)
    return figures


async def _order_statistic(scope: Scope, slots: list[int], position: int, *, session: AsyncSession) -> float | None:
    """The ``position``-th smallest counted total (0-based): find its slot from the counts, read it there.

    None when the rows no longer match the cells (a write committed between the two reads): the caller then
    takes the quartiles from the rows."""
    connection = await session.connection()
    slot, before = 0, 0
    while position >= before + slots[slot]:
        before += slots[slot]
        slot += 1
    latest = counted_reports(scope)
    in_slot = latest.c.total >= slot
    if slot != TOTAL_SLOTS - 1:
        in_slot = in_slot & (latest.c.total < slot + 1)
    value = await connection.execute(
        sa.select(latest.c.total).where(in_slot).order_by(latest.c.total).offset(position - before).limit(1)
    )
    found = value.scalar_one_or_none()
    return None if found is None else float(found)


async def _quantiles(scope: Scope, figures: CohortFigures, *, session: AsyncSession) -> tuple[float | None, ...]:
    """Minimum, quartiles and maximum by linear interpolation (``percentile_cont``, ``numpy.percentile``)."""
    n = figures.totals.n
    if n == 0:
        return (None,) * 5
    values: dict[int, float | None] = {}
    quartiles = []
    for q in QUARTILES:
        position = q * (n - 1)
        low, high = math.floor(position), math.ceil(position)
        for index in (low, high):
            if index not in values:
                values[index] = await _order_statistic(scope, figures.total_slots, index, session=session)
        if values[low] is None or values[high] is None:
            counted = await aggregates.total_distribution(counted_reports(scope), session=session)
            found = counted.distribution
            return (found.minimum, found.quartile_1, found.median, found.quartile_3, found.maximum)
        quartiles.append(values[low] + (values[high] - values[low]) * (position - low))
    return (figures.total_min, *quartiles, figures.total_max)


async def cohort_figures(scope: Scope) -> CohortFigures:
    """The cohort's figures from fresh summary cells, in one short transaction of its own (see the module)."""
    async with unit_of_work() as uow:
        session = uow.session
        await refresh_stale(scope, session=session)
        figures = await _combine(scope, session=session)
        figures.quantiles = await _quantiles(scope, figures, session=session)
        if figures.reports <= AUDITED_REPORT_IDS:
            latest = counted_reports(scope)
            ids = await (await session.connection()).execute(sa.select(latest.c.report_id).order_by(latest.c.report_id))
            figures.report_ids = [int(row[0]) for row in ids.all()]
    return figures
