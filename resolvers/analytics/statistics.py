"""Pure statistics over plain numbers (no database): distributions, correlations, predictions.

numpy, scipy and scikit-learn are imported inside the functions that compute, so the gateway (whose
GraphQL types import this module's dataclasses) loads them on the first analytics request only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
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
    if 0 < data.size < min_group_size:
        note = small_group_note(int(data.size), min_group_size)
        return Distribution([], int(data.size), None, None, None, None, None, None, None, False, note)
    counts, edges = np.histogram(data, bins=bins, range=value_range)
    histogram = [
        HistogramBin(lower=float(edges[index]), upper=float(edges[index + 1]), count=int(count))
        for index, count in enumerate(counts)
    ]
    if data.size == 0:
        return Distribution(histogram, 0, None, None, None, None, None, None, None)
    quartiles = np.percentile(data, [0, 25, 50, 75, 100])
    return Distribution(
        bins=histogram,
        n=int(data.size),
        mean=float(data.mean()),
        standard_deviation=float(data.std(ddof=1)) if data.size > 1 else None,
        minimum=float(quartiles[0]),
        quartile_1=float(quartiles[1]),
        median=float(quartiles[2]),
        quartile_3=float(quartiles[3]),
        maximum=float(quartiles[4]),
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
    minimum = max(min_n, 4)
    if n < minimum:
        return Correlation(method, n, None, None, None, None, False, f"not enough data (n = {n}, need {minimum})")
    if np.ptp(xs) == 0 or np.ptp(ys) == 0:
        return Correlation(method, n, None, None, None, None, False, "no variation in one of the variables")
    result = stats.pearsonr(xs, ys) if method == "pearson" else stats.spearmanr(xs, ys)
    r = float(np.clip(result[0], -1.0, 1.0))
    p_value = float(result[1])
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
    furthest = []
    for reached in stages_reached:
        indices = [order[stage] for stage in reached if stage in order]
        furthest.append(max(indices) if indices else 0)
    total = len(furthest)
    rates = []
    previous: int | None = None
    for index, stage in enumerate(stages):
        count = sum(1 for value in furthest if value >= index)
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

    means = []
    for key, values in scores_by_dimension.items():
        data = np.asarray([value for value in values if value is not None], dtype=float)
        if 0 < data.size < min_group_size:
            note = small_group_note(int(data.size), min_group_size, "scores")
            means.append(DimensionMean(key, int(data.size), None, None, False, note))
            continue
        means.append(
            DimensionMean(
                key=key,
                n=int(data.size),
                mean=float(data.mean()) if data.size else None,
                standard_deviation=float(data.std(ddof=1)) if data.size > 1 else None,
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
    """``high_score_low_kpi``, ``low_score_high_kpi``, ``consistent`` or ``unknown`` (no score or no target)."""
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


# ---------------------------------------------------------------------------------------------
# Performance prediction
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PerformancePrediction:
    """A linear regression from dimension scores to a KPI, judged by k-fold cross-validation.

    ``cv_rmse`` is the model's out-of-fold error, ``baseline_rmse`` that of predicting the training mean;
    the prediction interval is ``ŷ ± t_(n−1) · s · √(1 + 1/n)`` with ``s`` the out-of-fold residual sd.
    """

    n: int
    enough_data: bool
    note: str
    dimension_keys: list[str]
    coefficients: dict[str, float]
    intercept: float | None
    cv_rmse: float | None
    baseline_rmse: float | None
    beats_baseline: bool | None
    prediction: float | None = None
    prediction_lower: float | None = None
    prediction_upper: float | None = None


def predict_performance(
    dimension_keys: Sequence[str],
    features: Sequence[Sequence[float]],
    outcomes: Sequence[float],
    new_scores: dict[str, float] | None = None,
    *,
    folds: int = 5,
    min_n: int = MIN_SAMPLE_SIZE,
    confidence: float = CONFIDENCE_LEVEL,
    seed: int = 0,
) -> PerformancePrediction:
    """Fit, cross-validate against the mean baseline, and (with ``new_scores``) predict a new candidate's KPI."""
    import numpy as np
    from scipy import stats
    from sklearn.linear_model import LinearRegression
    from sklearn.model_selection import KFold

    keys = list(dimension_keys)
    x = np.asarray(features, dtype=float).reshape(-1, len(keys)) if len(features) else np.empty((0, len(keys)))
    y = np.asarray(outcomes, dtype=float)
    keep = np.isfinite(x).all(axis=1) & np.isfinite(y)
    x, y = x[keep], y[keep]
    n = int(y.size)
    minimum = max(min_n, len(keys) + 3, folds)
    if n < minimum:
        return PerformancePrediction(
            n, False, f"not enough data (n = {n}, need {minimum})", keys, {}, None, None, None, None
        )
    squared_model, squared_baseline, residuals = [], [], []
    for train, test in KFold(n_splits=folds, shuffle=True, random_state=seed).split(x):
        fold_model = LinearRegression().fit(x[train], y[train])
        error = y[test] - fold_model.predict(x[test])
        residuals.extend(error)
        squared_model.extend(error**2)
        squared_baseline.extend((y[test] - y[train].mean()) ** 2)
    cv_rmse = float(np.sqrt(np.mean(squared_model)))
    baseline_rmse = float(np.sqrt(np.mean(squared_baseline)))
    model = LinearRegression().fit(x, y)
    result = PerformancePrediction(
        n=n,
        enough_data=True,
        note="",
        dimension_keys=keys,
        coefficients={key: float(value) for key, value in zip(keys, model.coef_, strict=True)},
        intercept=float(model.intercept_),
        cv_rmse=cv_rmse,
        baseline_rmse=baseline_rmse,
        beats_baseline=cv_rmse < baseline_rmse,
    )
    if new_scores is None:
        return result
    missing = [key for key in keys if key not in new_scores]
    if missing:
        raise ValueError(f"scores missing for: {', '.join(missing)}")
    point = float(model.predict(np.asarray([[new_scores[key] for key in keys]], dtype=float))[0])
    spread = float(np.std(residuals, ddof=1)) * float(np.sqrt(1 + 1 / n))
    half_width = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * spread
    return replace(result, prediction=point, prediction_lower=point - half_width, prediction_upper=point + half_width)
