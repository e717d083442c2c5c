"""Analytics computed by the database: only small result sets reach Python.

Each function runs one or two aggregate statements over the selectables of ``resolvers.analytics.cohorts``
and returns the dataclasses of ``resolvers.analytics.statistics``. Counts, sums, means and ranks are plain
SQL on both databases; PostgreSQL adds what SQLite lacks (``stddev_samp``, ``corr``, ``percentile_cont``),
while on SQLite the standard deviation and correlation come from the sums of squares and products and
the quartiles from the sorted rows at the two positions each one needs. Nothing is built per row.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import array as pg_array
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from gateway.models import Application, Dimension, DimensionKpiLink
from gateway.models.enums import BusinessLine
from resolvers.analytics import hires
from resolvers.analytics import statistics as st
from resolvers.analytics.cohorts import Scope, counted_scores, kpi_outcomes
from resolvers.analytics.prediction import FOLDS, RegressionMoments

QUARTILES = (0.25, 0.5, 0.75)


def _postgresql(session: AsyncSession) -> bool:
    return session.bind.dialect.name == "postgresql"


def _spread(value: sa.ColumnElement, postgresql: bool) -> list[sa.ColumnElement]:
    """Columns for (n, mean, sd) of ``value``: ``stddev_samp`` on PostgreSQL, the mean square on SQLite."""
    second = sa.func.stddev_samp(value) if postgresql else sa.func.avg(value * value)
    return [sa.func.count(value), sa.func.avg(value), second]


def _sample_sd(n: int, mean: float | None, second: float | None, postgresql: bool) -> float | None:
    if n < 2 or mean is None or second is None:
        return None
    if postgresql:
        return float(second)
    return math.sqrt(max(float(second) - float(mean) ** 2, 0.0) * n / (n - 1))


async def report_ids(latest: sa.Subquery, *, session: AsyncSession) -> list[int]:
    """The ids of the counted reports (for an audit event over a small cohort)."""
    ids = await session.exec(select(latest.c.report_id).order_by(latest.c.report_id))
    return [int(report_id) for report_id in ids.all()]


@dataclass(frozen=True)
class CountedTotals:
    distribution: st.Distribution
    reports: int
    """How many reports count (with or without a total)."""
    highest_report_id: int


async def total_distribution(
    latest: sa.Subquery,
    *,
    session: AsyncSession,
    min_group_size: int = 1,
    bins: int = 10,
    value_range: tuple[float, float] = (0.0, 100.0),
) -> CountedTotals:
    """Histogram, mean, sd and five-number summary of the counted reports' totals, in one or two statements,
    with how many reports count and the highest of their ids (for the audit event)."""
    postgresql = _postgresql(session)
    totals = latest
    total = totals.c.total
    edges = st.histogram_edges(bins, value_range)
    bin_counts = [
        sa.func.sum(
            sa.case(((total >= lower) & ((total <= upper) if index == bins - 1 else (total < upper)), 1), else_=0)
        )
        for index, (lower, upper) in enumerate(edges)
    ]
    columns = [*_spread(total, postgresql), *bin_counts, sa.func.count(), sa.func.max(totals.c.report_id)]
    if postgresql:
        # One sort for the three quartiles: the array form of the ordered-set aggregate.
        quartiles = sa.func.percentile_cont(pg_array(QUARTILES)).within_group(total)
        columns += [sa.func.min(total), quartiles, sa.func.max(total)]
    row = (await session.exec(select(*columns).select_from(totals))).one()
    n, mean, second = int(row[0]), row[1], row[2]
    counts = [int(value or 0) for value in row[3 : 3 + bins]]
    reports, highest = int(row[3 + bins] or 0), int(row[4 + bins] or 0)
    if postgresql:
        minimum, quartiles_found, maximum = row[5 + bins :]
        values = [minimum, *(quartiles_found or [None] * len(QUARTILES)), maximum]
        quantiles = tuple(None if value is None else float(value) for value in values)
    else:
        quantiles = await _sqlite_quantiles(total, totals, n, session=session)
    summary = st.SummaryStatistics(
        n=n,
        mean=None if mean is None else float(mean),
        standard_deviation=_sample_sd(n, mean, second, postgresql),
        quantiles=quantiles,  # type: ignore[arg-type]
    )
    distribution = st.distribution_from_summary(
        summary,
        [(lower, upper, count) for (lower, upper), count in zip(edges, counts, strict=True)],
        min_group_size=min_group_size,
    )
    return CountedTotals(distribution, reports, highest)


async def _sqlite_quantiles(
    value: sa.ColumnElement, source: sa.Subquery, n: int, *, session: AsyncSession
) -> tuple[float | None, ...]:
    """Minimum, quartiles and maximum by linear interpolation (``numpy.percentile``), from the sorted values
    at the positions each one needs: a handful of rows, found with a window function."""
    if n == 0:
        return (None,) * 5
    wanted: dict[int, None] = {}
    for q in (0.0, *QUARTILES, 1.0):
        position = q * (n - 1)
        wanted[math.floor(position)] = None
        wanted[math.ceil(position)] = None
    ranked = (
        select(value.label("value"), (sa.func.row_number().over(order_by=value) - 1).label("position"))
        .select_from(source)
        .where(value.is_not(None))
        .subquery("ranked")
    )
    rows = await session.exec(select(ranked.c.position, ranked.c.value).where(ranked.c.position.in_(list(wanted))))
    at = {int(position): float(found) for position, found in rows.all()}
    quantiles = []
    for q in (0.0, *QUARTILES, 1.0):
        position = q * (n - 1)
        low, high = math.floor(position), math.ceil(position)
        quantiles.append(at[low] + (at[high] - at[low]) * (position - low))
    return tuple(quantiles)


async def dimension_means(
    scope: Scope, keys: Sequence[str] | None, *, session: AsyncSession, min_group_size: int = 1
) -> list[st.DimensionMean]:
    """Mean and sd per dimension over the counted scores of the scope; ``keys`` (a version's dimensions) are
    all listed, scored or not; without ``keys`` every dimension that has scores is."""
    postgresql = _postgresql(session)
    scores = counted_scores(scope)
    rows = await session.exec(
        select(scores.c.dimension_key, *_spread(scores.c.score, postgresql))
        .select_from(scores)
        .group_by(scores.c.dimension_key)
    )
    found = {
        key: (int(n), None if mean is None else float(mean), _sample_sd(int(n), mean, second, postgresql))
        for key, n, mean, second in rows.all()
    }
    listed = list(keys) if keys is not None else sorted(found)
    return st.dimension_means_from_summary(
        {key: found.get(key, (0, None, None)) for key in listed}, min_group_size=min_group_size
    )


async def stage_pass_rates(scope: Scope, *, session: AsyncSession) -> list[st.StagePassRate]:
    """Pass rates by stage: the scope's applications counted by the furthest stage they reached."""
    rows = await session.exec(
        select(col(Application.furthest_stage), sa.func.count())
        .where(*scope.clauses(col(Application.requisition_id), col(Application.id)))
        .group_by(col(Application.furthest_stage))
    )
    order = {stage: index for index, stage in enumerate(st.PIPELINE_STAGES)}
    return st.pass_rates_from_furthest({order[stage.value]: int(count) for stage, count in rows.all()})


@dataclass(frozen=True)
class LinkCorrelation:
    dimension_key: str
    kpi_id: int
    pearson: st.Correlation
    spearman: st.Correlation


def _average_rank(value: sa.ColumnElement, partition: list[sa.ColumnElement]) -> sa.ColumnElement:
    """Spearman's rank: ties share the mean of the ranks they span — the first (``rank()``) and the last (the
    rows up to and including the peers: ``count(*)`` with the default frame) over one window, so one sort."""
    first = sa.func.rank().over(partition_by=partition, order_by=value)
    last = sa.func.count().over(partition_by=partition, order_by=value)
    return (first + last) / 2.0


def _correlation_columns(x: sa.ColumnElement, y: sa.ColumnElement, postgresql: bool) -> list[sa.ColumnElement]:
    if postgresql:
        return [sa.func.corr(x, y)]
    return [sa.func.sum(x), sa.func.sum(y), sa.func.sum(x * x), sa.func.sum(y * y), sa.func.sum(x * y)]


def _r(n: int, values: Sequence, postgresql: bool) -> float | None:
    if postgresql:
        return None if values[0] is None else float(values[0])
    sx, sy, sxx, syy, sxy = (float(value) for value in values)
    varx, vary = sxx - sx * sx / n, syy - sy * sy / n
    if varx <= 0 or vary <= 0:
        return None
    return (sxy - sx * sy / n) / math.sqrt(varx * vary)


SORT_MEMORY = "64MB"
"""PostgreSQL ``work_mem`` for the rank sorts of one analytics statement (default 4 MB: half a million pairs
spill to disk and take seconds)."""


async def _room_to_sort(session: AsyncSession) -> None:
    """Give this transaction's sorts memory enough for a cohort's pairs (PostgreSQL; until the transaction ends)."""
    if _postgresql(session):
        await (await session.connection()).execute(sa.text(f"SET LOCAL work_mem = '{SORT_MEMORY}'"))


def _record_pairs(
    model_version_id: int, period: str, department: str | None, business_line: BusinessLine | None
) -> sa.Subquery:
    """``(link_id, x, y)`` over some periods: outcomes averaged from the records of ``period``."""
    scores = counted_scores()
    outcomes = kpi_outcomes(
        model_version_id=model_version_id, period=period, department=department, business_line=business_line
    )
    return (
        select(
            col(DimensionKpiLink.id).label("link_id"),
            scores.c.score.label("x"),
            outcomes.c.outcome.label("y"),
        )
        .select_from(DimensionKpiLink)
        .join(Dimension, col(Dimension.id) == DimensionKpiLink.dimension_id)
        .join(scores, scores.c.dimension_id == DimensionKpiLink.dimension_id)
        .join(
            outcomes,
            (outcomes.c.application_id == scores.c.application_id) & (outcomes.c.kpi_id == DimensionKpiLink.kpi_id),
        )
        .where(
            col(Dimension.model_version_id) == model_version_id,
            scores.c.score.is_not(None),
            outcomes.c.outcome.is_not(None),
        )
        .subquery("pair_source")
    )


async def link_correlations(
    model_version_id: int,
    *,
    session: AsyncSession,
    period: str | None = None,
    department: str | None = None,
    business_line: BusinessLine | None = None,
) -> list[LinkCorrelation]:
    """Pearson and Spearman r of every dimension → KPI link of the version, over hires with both numbers.

    One statement: the pairs (latest interview score, oriented KPI outcome) with their ranks within each
    link, aggregated per link. Over every period the pairs come from one row per hire (``hires``); over
    ``period`` from the records of those periods.
    """
    postgresql = _postgresql(session)
    await _room_to_sort(session)
    links = await hires.version_links(model_version_id, session=session)
    if not links:
        return []
    if period:
        source = _record_pairs(model_version_id, period, department, business_line)
    else:
        cohort = hires.HireCohort(model_version_id, department, business_line)
        every_target = await hires.kpis_with_every_target(
            sorted({link.kpi_id for link in links}), cohort, session=session
        )
        source = hires.link_pairs(links, every_target, cohort)
    by_id = {item.link_id: item for item in links}
    link = [source.c.link_id]
    pairs = select(
        source.c.link_id,
        source.c.x,
        source.c.y,
        _average_rank(source.c.x, link).label("rank_x"),
        _average_rank(source.c.y, link).label("rank_y"),
    ).subquery("pair")
    width = 1 if postgresql else 5
    rows = await session.exec(
        select(
            pairs.c.link_id,
            sa.func.count(),
            (sa.func.min(pairs.c.x) < sa.func.max(pairs.c.x)) & (sa.func.min(pairs.c.y) < sa.func.max(pairs.c.y)),
            *_correlation_columns(pairs.c.x, pairs.c.y, postgresql),
            *_correlation_columns(pairs.c.rank_x, pairs.c.rank_y, postgresql),
        )
        .select_from(pairs)
        .group_by(pairs.c.link_id)
    )
    found = {}
    for row in rows.all():
        linked, n, varies = by_id[int(row[0])], int(row[1]), bool(row[2])
        key, kpi_id = linked.dimension_key, linked.kpi_id
        pearson = _r(n, row[3 : 3 + width], postgresql) if varies else None
        spearman = _r(n, row[3 + width : 3 + 2 * width], postgresql) if varies else None
        found[(key, kpi_id)] = LinkCorrelation(
            key,
            kpi_id,
            st.correlation_estimate("pearson", n, pearson, varies=varies),
            st.correlation_estimate("spearman", n, spearman, varies=varies),
        )
    return list(found.values())


def _record_features(
    dimensions: Sequence[tuple[int, str]],
    kpi_id: int,
    model_version_id: int,
    period: str,
    department: str | None,
    business_line: BusinessLine | None,
) -> sa.Subquery:
    """``(application_id, actual, x0, x1, …)`` over some periods: actuals averaged from the records of ``period``."""
    outcomes = kpi_outcomes(
        kpi_ids=[kpi_id],
        model_version_id=model_version_id,
        period=period,
        department=department,
        business_line=business_line,
    )
    scores = counted_scores()
    return (
        select(
            outcomes.c.application_id,
            outcomes.c.actual,
            *[
                sa.func.max(sa.case((scores.c.dimension_id == dimension_id, scores.c.score))).label(f"x{index}")
                for index, (dimension_id, _) in enumerate(dimensions)
            ],
        )
        .select_from(outcomes)
        .join(scores, scores.c.application_id == outcomes.c.application_id)
        .where(scores.c.dimension_id.in_([dimension_id for dimension_id, _ in dimensions]))
        .group_by(outcomes.c.application_id, outcomes.c.actual)
        .subquery("features")
    )


async def regression_moments(
    dimensions: Sequence[tuple[int, str]],
    kpi_id: int,
    *,
    model_version_id: int,
    session: AsyncSession,
    period: str | None = None,
    department: str | None = None,
    business_line: BusinessLine | None = None,
    folds: int = FOLDS,
) -> list[RegressionMoments]:
    """Per cross-validation fold, the sums a least-squares fit needs: hires' latest scores on ``dimensions``
    (``(id, key)`` of the version) against their mean raw KPI actual.

    A hire goes to fold ``row_number() mod folds`` in application order, so folds are balanced and fixed.
    """
    import numpy as np

    await _room_to_sort(session)
    if period:
        features = _record_features(dimensions, kpi_id, model_version_id, period, department, business_line)
    else:
        cohort = hires.HireCohort(model_version_id, department, business_line)
        features = hires.hire_features([dimension_id for dimension_id, _ in dimensions], kpi_id, cohort)
    xs = [features.c[f"x{index}"] for index in range(len(dimensions))]
    rows = (
        select(
            *xs,
            features.c.actual.label("y"),
            (sa.func.row_number().over(order_by=features.c.application_id) % folds).label("fold"),
        )
        .where(features.c.actual.is_not(None), *[x.is_not(None) for x in xs])
        .subquery("row")
    )
    x = [rows.c[f"x{index}"] for index in range(len(dimensions))]
    y = rows.c.y
    pairs = [(i, j) for i in range(len(x)) for j in range(i, len(x))]
    statement = (
        select(
            rows.c.fold,
            sa.func.count(),
            sa.func.sum(y),
            sa.func.sum(y * y),
            *[sa.func.sum(value) for value in x],
            *[sa.func.sum(value * y) for value in x],
            *[sa.func.sum(x[i] * x[j]) for i, j in pairs],
            *[sa.func.min(value) for value in x],
            *[sa.func.max(value) for value in x],
        )
        .group_by(rows.c.fold)
        .order_by(rows.c.fold)
    )
    k = len(x)
    found = []
    for row in (await session.exec(statement)).all():
        values = [float(value) if value is not None else 0.0 for value in row[1:]]
        n, sy, syy = int(values[0]), values[1], values[2]
        sx = np.asarray(values[3 : 3 + k])
        sxy = np.asarray(values[3 + k : 3 + 2 * k])
        sxx = np.zeros((k, k))
        for (i, j), value in zip(pairs, values[3 + 2 * k : 3 + 2 * k + len(pairs)], strict=True):
            sxx[i, j] = sxx[j, i] = value
        start = 3 + 2 * k + len(pairs)
        minimum, maximum = np.asarray(values[start : start + k]), np.asarray(values[start + k : start + 2 * k])
        found.append(RegressionMoments(n, sx, sy, sxx, sxy, syy, minimum, maximum))
    return found
