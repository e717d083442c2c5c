"""Pure statistics over plain numbers (no database): distributions, correlations, pass rates, ability gaps.

numpy and scipy are imported inside the functions that compute, so the gateway (whose
GraphQL types import this module's dataclasses) loads them on the first analytics request only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True)
class HistogramBin:
    lower: float
    upper: float
    count: int


@dataclass(frozen=True)
class Distribution:
    """Histogram bins (equal width over ``value_range``) and a five-number summary with mean and sd."""

    bins: list[HistogramBin]
    n: int
    mean: float | None
    standard_deviation: float | None
    minimum: float | None
    quartile_1: float | None
    median: float | None
    quartile_3: float | None
    maximum: float | None
    enough_data: bool = True
    note: str | None = None
    """Why the summary and bins are withheld (a group under the minimum size)."""


def small_group_note(n: int, min_group_size: int, what: str = "scored interviews") -> str:
    return (
        f"fewer than {min_group_size} {what} (n = {n}): withheld, so that no single candidate's score can be "
        "read from the statistic"
    )


def distribution(
    values: Sequence[float],
    *,
    bins: int = 10,
    value_range: tuple[float, float] = (0.0, 100.0),
    min_group_size: int = 1,
) -> Distribution:
    """Interview totals (0–100) by default; empty input gives empty counts and no summary, never made-up numbers.

    A group of 1 to ``min_group_size - 1`` values gives its n only: its mean, minimum or histogram bin
    would be one candidate's score (``enough_data`` false, ``note`` says why).
    """
    import numpy as np

    data = np.asarray([value for value in values if value is not None], dtype=float)
    counts, edges = np.histogram(data, bins=bins, range=value_range)
    quartiles = np.percentile(data, [0, 25, 50, 75, 100]) if data.size else [None] * 5
    return distribution_from_summary(
        SummaryStatistics(
            n=int(data.size),
            mean=float(data.mean()) if data.size else None,
            standard_deviation=float(data.std(ddof=1)) if data.size > 1 else None,
            quantiles=tuple(None if value is None else float(value) for value in quartiles),  # type: ignore[arg-type]
        ),
        [(float(edges[index]), float(edges[index + 1]), int(count)) for index, count in enumerate(counts)],
        min_group_size=min_group_size,
    )


@dataclass(frozen=True)
class SummaryStatistics:
    """n, mean, sample sd and the minimum, quartiles and maximum (linear interpolation, as ``percentile_cont``)."""

    n: int
    mean: float | None
    standard_deviation: float | None
    quantiles: tuple[float | None, float | None, float | None, float | None, float | None]


def histogram_edges(bins: int = 10, value_range: tuple[float, float] = (0.0, 100.0)) -> list[tuple[float, float]]:
    """Equal-width bins over ``value_range``, as ``numpy.histogram`` draws them (the last bin includes its top)."""
    low, high = value_range
    width = (high - low) / bins
    return [(low + index * width, high if index == bins - 1 else low + (index + 1) * width) for index in range(bins)]


def distribution_from_summary(
    summary: SummaryStatistics, bins: Sequence[tuple[float, float, int]], *, min_group_size: int = 1
) -> Distribution:
    """A ``Distribution`` from figures computed elsewhere (numpy above, SQL in ``resolvers.analytics.aggregates``).

    A group of 1 to ``min_group_size - 1`` values gives its n only.
    """
    if 0 < summary.n < min_group_size:
        note = small_group_note(summary.n, min_group_size)
        return Distribution([], summary.n, None, None, None, None, None, None, None, False, note)
    histogram = [HistogramBin(lower=lower, upper=upper, count=count) for lower, upper, count in bins]
    if summary.n == 0:
        return Distribution(histogram, 0, None, None, None, None, None, None, None)
    minimum, quartile_1, median, quartile_3, maximum = summary.quantiles
    return Distribution(
        bins=histogram,
        n=summary.n,
        mean=summary.mean,
        standard_deviation=summary.standard_deviation if summary.n > 1 else None,
        minimum=minimum,
        quartile_1=quartile_1,
        median=median,
        quartile_3=quartile_3,
        maximum=maximum,
    )


# ---------------------------------------------------------------------------------------------
# Correlation with an honest interval
# ---------------------------------------------------------------------------------------------

MIN_SAMPLE_SIZE = 10
"""Below this many pairs (or group members) a statistic is answered as "not enough data", never a number."""
CONFIDENCE_LEVEL = 0.95


@dataclass(frozen=True)
class Correlation:
    """Pearson or Spearman r with n, a Fisher-z confidence interval and a two-sided p-value.

    ``enough_data`` is false (and r, interval and p are None) under the minimum n or without variation.
    """

    method: str
    n: int
    r: float | None
    ci_lower: float | None
    ci_upper: float | None
    p_value: float | None
    enough_data: bool
    note: str


def _pairs(x: Sequence[float | None], y: Sequence[float | None]) -> tuple[np.ndarray, np.ndarray]:
    import numpy as np

    if len(x) != len(y):
        raise ValueError("x and y must have the same length")
    pairs = [
        (float(a), float(b))
        for a, b in zip(x, y, strict=True)
        if a is not None and b is not None and np.isfinite(a) and np.isfinite(b)
    ]
    if not pairs:
        return np.empty(0), np.empty(0)
    data = np.asarray(pairs, dtype=float)
    return data[:, 0], data[:, 1]


def correlation(
    x: Sequence[float | None],
    y: Sequence[float | None],
    *,
    method: str = "pearson",
    min_n: int = MIN_SAMPLE_SIZE,
    confidence: float = CONFIDENCE_LEVEL,
) -> Correlation:
    """Correlation of paired values (pairs with a missing side are dropped).

    The interval is Fisher's z: ``atanh(r) ± z_(1-α/2) · se`` with ``se = 1/√(n−3)`` for Pearson and
    the Fieller–Hartley–Pearson ``√(1.06/(n−3))`` for Spearman, transformed back with ``tanh``.
    """
    import numpy as np
    from scipy import stats

    if method not in ("pearson", "spearman"):
        raise ValueError("method must be 'pearson' or 'spearman'")
    xs, ys = _pairs(x, y)
    n = int(xs.size)
    varies = bool(n and np.ptp(xs) > 0 and np.ptp(ys) > 0)
    r = None
    if n >= max(min_n, 4) and varies:
        result = stats.pearsonr(xs, ys) if method == "pearson" else stats.spearmanr(xs, ys)
        r = float(result[0])
    return correlation_estimate(method, n, r, varies=varies, min_n=min_n, confidence=confidence)


def correlation_estimate(
    method: str,
    n: int,
    r: float | None,
    *,
    varies: bool,
    min_n: int = MIN_SAMPLE_SIZE,
    confidence: float = CONFIDENCE_LEVEL,
) -> Correlation:
    """Interval and p-value for an r computed anywhere (numpy here, SQL in ``resolvers.analytics.aggregates``).

    The p-value is the two-sided t test of r with n − 2 degrees of freedom (what scipy's ``pearsonr`` and
    ``spearmanr`` report); ``varies`` is false when one variable is constant.
    """
    import numpy as np
    from scipy import stats

    minimum = max(min_n, 4)
    if n < minimum:
        return Correlation(method, n, None, None, None, None, False, f"not enough data (n = {n}, need {minimum})")
    if not varies or r is None or not np.isfinite(r):
        return Correlation(method, n, None, None, None, None, False, "no variation in one of the variables")
    r = float(np.clip(r, -1.0, 1.0))
    if abs(r) == 1.0:
        p_value = 0.0
    else:
        t = r * np.sqrt((n - 2) / (1.0 - r * r))
        p_value = float(2 * stats.t.sf(abs(t), n - 2))
    standard_error = (1.0 if method == "pearson" else np.sqrt(1.06)) / np.sqrt(n - 3)
    critical = float(stats.norm.ppf(0.5 + confidence / 2))
    z = np.arctanh(np.clip(r, -0.999999, 0.999999))
    lower, upper = float(np.tanh(z - critical * standard_error)), float(np.tanh(z + critical * standard_error))
    return Correlation(method, n, r, lower, upper, p_value, True, "")


# ---------------------------------------------------------------------------------------------
# Funnel: pass rates by stage
# ---------------------------------------------------------------------------------------------

PIPELINE_STAGES = ("screening", "ai_interview", "second_interview", "offer", "hired")
"""The forward stages in order (``gateway.models.enums.APPLICATION_TRANSITIONS``); rejected/withdrawn end a path."""


@dataclass(frozen=True)
class StagePassRate:
    stage: str
    reached: int
    share_of_applications: float | None
    """Applications that ever reached the stage ÷ all applications."""
    rate_from_previous: float | None
    """Reached this stage ÷ reached the previous one (the stage's pass rate)."""


def pass_rates(
    stages_reached: Sequence[Iterable[str]], *, stages: Sequence[str] = PIPELINE_STAGES
) -> list[StagePassRate]:
    """``stages_reached``: per application, every stage its history shows (``to_stage`` values and the first stage).

    A stage counts as reached when the application reached it or any later forward stage (a history may skip rows).
    """
    order = {stage: index for index, stage in enumerate(stages)}
    furthest: dict[int, int] = {}
    for reached in stages_reached:
        indices = [order[stage] for stage in reached if stage in order]
        index = max(indices) if indices else 0
        furthest[index] = furthest.get(index, 0) + 1
    return pass_rates_from_furthest(furthest, stages=stages)


def pass_rates_from_furthest(
    furthest: dict[int, int], *, stages: Sequence[str] = PIPELINE_STAGES
) -> list[StagePassRate]:
    """``furthest``: how many applications got no further than each stage (by index in ``stages``)."""
    total = sum(furthest.values())
    rates = []
    previous: int | None = None
    for index, stage in enumerate(stages):
        count = sum(number for at, number in furthest.items() if at >= index)
        rates.append(
            StagePassRate(
                stage=stage,
                reached=count,
                share_of_applications=count / total if total else None,
                rate_from_previous=(count / previous if previous else None) if index else (1.0 if total else None),
            )
        )
        previous = count
    return rates


# ---------------------------------------------------------------------------------------------
# Strongest / weakest dimensions
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DimensionMean:
    key: str
    n: int
    mean: float | None
    standard_deviation: float | None
    enough_data: bool = True
    note: str | None = None


def dimension_means(
    scores_by_dimension: dict[str, Sequence[float | None]], *, min_group_size: int = 1
) -> list[DimensionMean]:
    """Mean score per dimension, strongest first (dimensions without scores, or withheld, last).

    A dimension scored for 1 to ``min_group_size - 1`` candidates gives its n only (see ``distribution``).
    """
    import numpy as np

    summaries = {}
    for key, values in scores_by_dimension.items():
        data = np.asarray([value for value in values if value is not None], dtype=float)
        summaries[key] = (
            int(data.size),
            float(data.mean()) if data.size else None,
            float(data.std(ddof=1)) if data.size > 1 else None,
        )
    return dimension_means_from_summary(summaries, min_group_size=min_group_size)


def dimension_means_from_summary(
    summaries: dict[str, tuple[int, float | None, float | None]], *, min_group_size: int = 1
) -> list[DimensionMean]:
    """``summaries``: per dimension key, (n, mean, sd) computed elsewhere; ordered and withheld as above."""
    means = []
    for key, (n, mean, standard_deviation) in summaries.items():
        if 0 < n < min_group_size:
            note = small_group_note(n, min_group_size, "scores")
            means.append(DimensionMean(key, n, None, None, False, note))
            continue
        means.append(
            DimensionMean(
                key=key,
                n=n,
                mean=mean if n else None,
                standard_deviation=standard_deviation if n > 1 else None,
            )
        )
    return sorted(means, key=lambda item: (item.mean is None, -(item.mean or 0.0), item.key))


def strongest_and_weakest(
    means: Sequence[DimensionMean], limit: int
) -> tuple[list[DimensionMean], list[DimensionMean]]:
    """The top and the bottom of ``means`` (strongest first), disjoint so that no dimension is both.

    Of the n dimensions with a mean, the strongest are the top ``min(limit, n // 2)`` and the weakest the bottom
    as many (weakest first); with an odd n the middle dimension is in neither, and a single dimension is neither.
    """
    scored = [item for item in means if item.mean is not None]
    count = min(limit, len(scored) // 2)
    return scored[:count], list(reversed(scored))[:count]


# ---------------------------------------------------------------------------------------------
# Ability–performance map for one employee
# ---------------------------------------------------------------------------------------------

HIGH_SCORE = 70.0
LOW_SCORE = 50.0
LOW_ATTAINMENT = 0.9
HIGH_ATTAINMENT = 1.1


def kpi_attainment(actual: float, target: float | None, *, lower_is_better: bool) -> float | None:
    """Actual against target, oriented so that 1.0 is on target and more is better, whatever the KPI's direction.

    Higher-is-better: ``actual / target``; lower-is-better (e.g. error rate): ``target / actual``
    (an actual of 0 beats any positive target: reported as 2.0, capped). None without a usable target.
    """
    if target is None or target <= 0:
        return None
    if not lower_is_better:
        return actual / target
    if actual <= 0:
        return 2.0
    return min(target / actual, 2.0)


@dataclass(frozen=True)
class AbilityPerformanceGap:
    dimension_key: str
    kpi_key: str
    score: float | None
    attainment: float | None
    flag: str
    """``high_score_low_kpi`` (a process problem: the ability is there), ``low_score_low_kpi`` (a training need),
    ``low_score_high_kpi``, ``consistent`` or ``unknown`` (no score or no target)."""
    explanation: str


def ability_performance_flag(
    dimension_key: str, kpi_key: str, score: float | None, attainment: float | None
) -> AbilityPerformanceGap:
    """Compare an interview dimension score (0–100) with a linked KPI's attainment (1.0 = on target)."""
    if score is None or attainment is None:
        reason = "no interview score" if score is None else "no KPI target to compare against"
        return AbilityPerformanceGap(dimension_key, kpi_key, score, attainment, "unknown", reason)
    if score >= HIGH_SCORE and attainment < LOW_ATTAINMENT:
        flag, words = "high_score_low_kpi", "scored high in the interview but misses the KPI target"
    elif score < LOW_SCORE and attainment >= HIGH_ATTAINMENT:
        flag, words = "low_score_high_kpi", "scored low in the interview but beats the KPI target"
    elif score < LOW_SCORE and attainment < LOW_ATTAINMENT:
        flag, words = "low_score_low_kpi", "scored low in the interview and misses the KPI target"
    else:
        flag, words = "consistent", "interview score and KPI result agree"
    return AbilityPerformanceGap(
        dimension_key,
        kpi_key,
        score,
        attainment,
        flag,
        f"{dimension_key} {score:.0f}/100, {kpi_key} at {attainment:.0%} of target: {words}",
    )
