"""Pure statistics over plain numbers (no database): distributions, correlations, predictions, adverse impact."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

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


def distribution(
    values: Sequence[float], *, bins: int = 10, value_range: tuple[float, float] = (0.0, 100.0)
) -> Distribution:
    """Interview totals (0–100) by default; empty input gives empty counts and no summary, never made-up numbers."""
    data = np.asarray([value for value in values if value is not None], dtype=float)
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
