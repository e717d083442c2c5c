"""Performance prediction: least squares from dimension scores to a KPI, fitted from sufficient statistics.

The fit needs only n, Σx, Σy, Σxxᵀ, Σxy and Σy² of each cross-validation fold, so the database sums a
million hires (``resolvers.analytics.aggregates.regression_moments``) and Python solves a k × k system.
The prediction interval is the ordinary least-squares one, which widens with the candidate's distance from
the hires (leverage):

    ŷ ± t(n − k − 1) · s · √(1 + 1/n + (x₀ − x̄)ᵀ Sₓₓ⁻¹ (x₀ − x̄)),   s² = SSE / (n − k − 1)

and a candidate outside the range of the hires on any dimension is flagged: the model has never seen
such a candidate, and a straight line may not hold there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from resolvers.analytics.statistics import CONFIDENCE_LEVEL, MIN_SAMPLE_SIZE

if TYPE_CHECKING:
    import numpy as np

FOLDS = 5


@dataclass(frozen=True)
class RegressionMoments:
    """Sufficient statistics of a set of (scores, KPI) rows, with the range of each score."""

    n: int
    sx: np.ndarray
    sy: float
    sxx: np.ndarray
    sxy: np.ndarray
    syy: float
    minimum: np.ndarray
    maximum: np.ndarray

    @classmethod
    def from_rows(cls, x: np.ndarray, y: np.ndarray) -> RegressionMoments:
        import numpy as np

        x = np.asarray(x, dtype=float).reshape(len(y), -1)
        y = np.asarray(y, dtype=float)
        empty = np.full(x.shape[1], np.nan)
        return cls(
            n=int(y.size),
            sx=x.sum(axis=0),
            sy=float(y.sum()),
            sxx=x.T @ x,
            sxy=x.T @ y,
            syy=float(y @ y),
            minimum=x.min(axis=0) if y.size else empty,
            maximum=x.max(axis=0) if y.size else empty,
        )

    def __add__(self, other: RegressionMoments) -> RegressionMoments:
        import numpy as np

        return RegressionMoments(
            self.n + other.n,
            self.sx + other.sx,
            self.sy + other.sy,
            self.sxx + other.sxx,
            self.sxy + other.sxy,
            self.syy + other.syy,
            np.fmin(self.minimum, other.minimum),
            np.fmax(self.maximum, other.maximum),
        )

    def without(self, part: RegressionMoments) -> RegressionMoments:
        """The rows of ``self`` that are not in ``part`` (ranges are kept: only sums are used for fitting)."""
        return replace(
            self,
            n=self.n - part.n,
            sx=self.sx - part.sx,
            sy=self.sy - part.sy,
            sxx=self.sxx - part.sxx,
            sxy=self.sxy - part.sxy,
            syy=self.syy - part.syy,
        )

    def centred(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, float]:
        """Means of x and y, Sₓₓ and Sₓᵧ about them, and Sᵧᵧ."""
        import numpy as np

        mean_x, mean_y = self.sx / self.n, self.sy / self.n
        s_xx = self.sxx - np.outer(self.sx, self.sx) / self.n
        s_xy = self.sxy - self.sx * self.sy / self.n
        s_yy = self.syy - self.sy * self.sy / self.n
        return mean_x, s_xx, s_xy, mean_y, s_yy

    def squared_error(self, intercept: float, slopes: np.ndarray) -> float:
        """Σ (y − a − bᵀx)² over these rows, expanded in the sums."""
        return float(
            self.syy
            - 2 * intercept * self.sy
            - 2 * slopes @ self.sxy
            + self.n * intercept**2
            + 2 * intercept * slopes @ self.sx
            + slopes @ self.sxx @ slopes
        )


def _fit(moments: RegressionMoments) -> tuple[float, np.ndarray, np.ndarray]:
    """Intercept, slopes and the (pseudo-)inverse of Sₓₓ; a constant score gets a slope of 0."""
    import numpy as np

    mean_x, s_xx, s_xy, mean_y, _ = moments.centred()
    inverse = np.linalg.pinv(s_xx, rcond=1e-10, hermitian=True)
    slopes = inverse @ s_xy
    return float(mean_y - slopes @ mean_x), slopes, inverse


@dataclass(frozen=True)
class PerformancePrediction:
    """A linear regression from dimension scores to a KPI, judged by k-fold cross-validation."""

    n: int
    enough_data: bool
    note: str
    dimension_keys: list[str]
    coefficients: dict[str, float]
    intercept: float | None
    cv_rmse: float | None
    baseline_rmse: float | None
    beats_baseline: bool | None
    residual_sd: float | None = None
    hire_ranges: dict[str, tuple[float, float]] = field(default_factory=dict)
    """Per dimension, the lowest and highest score among the hires the model was fitted on."""
    prediction: float | None = None
    prediction_lower: float | None = None
    prediction_upper: float | None = None
    leverage: float | None = None
    """How far the candidate lies from the hires (1/n at their centre; above 1 far outside them)."""
    extrapolated: bool | None = None
    """True when a score lies outside the hires' range: the interval is wider, and less certain to hold."""


def predict_from_moments(
    dimension_keys: Sequence[str],
    folds: Sequence[RegressionMoments],
    new_scores: dict[str, float] | None = None,
    *,
    min_n: int = MIN_SAMPLE_SIZE,
    confidence: float = CONFIDENCE_LEVEL,
) -> PerformancePrediction:
    """Fit on every fold together, cross-validate fold by fold, and predict ``new_scores`` with its interval."""
    import numpy as np
    from scipy import stats

    keys = list(dimension_keys)
    k = len(keys)
    present = [fold for fold in folds if fold.n]
    n = sum(fold.n for fold in present)
    minimum = max(min_n, k + 3, FOLDS)
    if n < minimum or len(present) < 2:
        return PerformancePrediction(
            n, False, f"not enough data (n = {n}, need {minimum})", keys, {}, None, None, None, None
        )
    everything = present[0]
    for fold in present[1:]:
        everything = everything + fold
    _, s_xx, _, _, s_yy = everything.centred()
    if s_yy <= 1e-12 * max(everything.syy, 1.0):
        return PerformancePrediction(
            n, False, "no variation in the KPI results: nothing to predict", keys, {}, None, None, None, None
        )
    constant = [key for key, variance in zip(keys, np.diag(s_xx), strict=True) if variance <= 1e-9 * n]
    squared_model = squared_baseline = 0.0
    for fold in present:
        train = everything.without(fold)
        intercept, slopes, _ = _fit(train)
        squared_model += fold.squared_error(intercept, slopes)
        train_mean = train.sy / train.n
        squared_baseline += fold.syy - 2 * train_mean * fold.sy + fold.n * train_mean**2
    cv_rmse = float(np.sqrt(max(squared_model, 0.0) / n))
    baseline_rmse = float(np.sqrt(max(squared_baseline, 0.0) / n))
    intercept, slopes, inverse = _fit(everything)
    degrees = n - k - 1
    residual_sd = float(np.sqrt(max(everything.squared_error(intercept, slopes), 0.0) / degrees))
    note = (
        f"no variation in {', '.join(constant)} among the hires: its coefficient is 0 and it cannot predict"
        if constant
        else ""
    )
    result = PerformancePrediction(
        n=n,
        enough_data=True,
        note=note,
        dimension_keys=keys,
        coefficients={key: float(value) for key, value in zip(keys, slopes, strict=True)},
        intercept=intercept,
        cv_rmse=cv_rmse,
        baseline_rmse=baseline_rmse,
        beats_baseline=cv_rmse < baseline_rmse,
        residual_sd=residual_sd,
        hire_ranges={
            key: (float(low), float(high))
            for key, low, high in zip(keys, everything.minimum, everything.maximum, strict=True)
        },
    )
    if new_scores is None:
        return result
    missing = [key for key in keys if key not in new_scores]
    if missing:
        raise ValueError(f"scores missing for: {', '.join(missing)}")
    point_x = np.asarray([new_scores[key] for key in keys], dtype=float)
    distance = point_x - everything.sx / n
    leverage = float(1 / n + distance @ inverse @ distance)
    half_width = float(stats.t.ppf(0.5 + confidence / 2, degrees)) * residual_sd * float(np.sqrt(1 + leverage))
    point = float(intercept + slopes @ point_x)
    outside = [
        key
        for key, value, low, high in zip(keys, point_x, everything.minimum, everything.maximum, strict=True)
        if value < low or value > high
    ]
    if outside:
        ranges = ", ".join(
            f"{key} {new_scores[key]:g} (hires {result.hire_ranges[key][0]:g}–{result.hire_ranges[key][1]:g})"
            for key in outside
        )
        words = (
            f"extrapolating: outside the range of the hires on {ranges}; the interval is wider there and a "
            "straight line may not hold"
        )
        note = f"{note}; {words}" if note else words
    return replace(
        result,
        note=note,
        prediction=point,
        prediction_lower=point - half_width,
        prediction_upper=point + half_width,
        leverage=leverage,
        extrapolated=bool(outside),
    )


def predict_performance(
    dimension_keys: Sequence[str],
    features: Sequence[Sequence[float]],
    outcomes: Sequence[float],
    new_scores: dict[str, float] | None = None,
    *,
    folds: int = FOLDS,
    min_n: int = MIN_SAMPLE_SIZE,
    confidence: float = CONFIDENCE_LEVEL,
) -> PerformancePrediction:
    """``predict_from_moments`` over rows in memory; row i goes to fold i mod ``folds`` (as the SQL does)."""
    import numpy as np

    keys = list(dimension_keys)
    x = np.asarray(features, dtype=float).reshape(-1, len(keys)) if len(features) else np.empty((0, len(keys)))
    y = np.asarray(outcomes, dtype=float)
    keep = np.isfinite(x).all(axis=1) & np.isfinite(y)
    x, y = x[keep], y[keep]
    fold_of = np.arange(y.size) % folds
    parts = [RegressionMoments.from_rows(x[fold_of == index], y[fold_of == index]) for index in range(folds)]
    return predict_from_moments(keys, parts, new_scores, min_n=min_n, confidence=confidence)
