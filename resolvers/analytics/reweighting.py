"""Re-weighting math over plain numbers (no database): measured validity → bounded weight steps, in words."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from resolvers.analytics.statistics import Correlation


MAX_WEIGHT_STEP = 0.10
"""At most ten points of weight move per dimension in one proposal."""
MIN_WEIGHT = 0.05
"""No dimension is proposed away entirely; a version's weights must stay positive."""
WEAK_VALIDITY = 0.1
"""|r| under this "barely predicts": the dimension's questions deserve a review."""


@dataclass(frozen=True)
class WeightChange:
    dimension_key: str
    current_weight: float
    proposed_weight: float
    validity: Correlation | None
    explanation: str


def _percent(weight: float) -> str:
    return f"{weight * 100:.0f} %"


def _strength(r: float) -> str:
    if r <= -WEAK_VALIDITY:
        return "runs against"
    if r < WEAK_VALIDITY:
        return "barely predicts"
    if r < 0.3:
        return "weakly predicts"
    if r < 0.5:
        return "moderately predicts"
    return "strongly predicts"


def propose_weights(
    current: dict[str, float],
    validity: dict[str, Correlation],
    *,
    names: dict[str, str] | None = None,
    outcome_names: dict[str, str] | None = None,
    max_step: float = MAX_WEIGHT_STEP,
) -> list[WeightChange]:
    """Move each dimension's weight toward its share of predictive validity, by at most ``max_step``.

    Dimensions with enough data aim at ``max(r, 0) / Σ max(r, 0)`` of the weight those dimensions hold
    together; dimensions without enough data (or without a linked KPI) keep their weight. Weights are
    floored at ``MIN_WEIGHT`` and renormalised to sum to 1 (which may move a weight a little past the step).
    """
    import numpy as np

    names = names or {}
    outcome_names = outcome_names or {}
    measured = {
        key: corr for key, corr in validity.items() if key in current and corr.enough_data and corr.r is not None
    }
    positive = {key: max(corr.r or 0.0, 0.0) for key, corr in measured.items()}
    mass = sum(current[key] for key in measured)
    total_validity = sum(positive.values())
    raw: dict[str, float] = {}
    for key, weight in current.items():
        if key in measured and total_validity > 0:
            target = mass * positive[key] / total_validity
            raw[key] = max(MIN_WEIGHT, weight + float(np.clip(target - weight, -max_step, max_step)))
        else:
            raw[key] = weight
    scale = sum(raw.values())
    proposed = {key: round(value / scale, 4) for key, value in raw.items()}
    # Rounding residue goes to the largest weight so the sum is exactly 1 within the validator's tolerance.
    residue = round(1.0 - sum(proposed.values()), 4)
    if residue:
        largest = max(proposed, key=lambda key: proposed[key])
        proposed[largest] = round(proposed[largest] + residue, 4)
    changes = []
    for key, weight in current.items():
        name = names.get(key, key)
        corr = validity.get(key)
        before, after = _percent(weight), _percent(proposed[key])
        if corr is None:
            words = f"{name} has no linked KPI to measure against: {before} → {after}"
        elif not corr.enough_data or corr.r is None:
            words = f"{name}: {corr.note or 'not enough data'}; weight {before} → {after} (only renormalised)"
        else:
            outcome = outcome_names.get(key, "the linked KPIs")
            words = f"{name} {_strength(corr.r)} {outcome} (r = {corr.r:.2f}, n = {corr.n}): {before} → {after}"
        changes.append(WeightChange(key, weight, proposed[key], corr, words))
    return changes


def question_suggestions(
    changes: Sequence[WeightChange], *, names: dict[str, str] | None = None
) -> list[dict[str, str]]:
    """For dimensions that barely predict their KPIs: advice on the question bank, in words."""
    names = names or {}
    suggestions = []
    for change in changes:
        corr = change.validity
        if corr is None or not corr.enough_data or corr.r is None or corr.r >= WEAK_VALIDITY:
            continue
        name = names.get(change.dimension_key, change.dimension_key)
        suggestions.append(
            {
                "dimensionKey": change.dimension_key,
                "suggestion": (
                    f"Review the {name} questions: scores barely relate to job results (r = {corr.r:.2f}). "
                    "Add questions built on real on-the-job situations measured by the linked KPIs, tighten the "
                    "rubric concepts and excellent answers, and retire questions whose answers everyone passes."
                ),
            }
        )
    return suggestions
