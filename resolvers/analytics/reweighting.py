"""Re-weighting math over plain numbers (no database): measured validity → bounded weight steps, in words.

A proposal moves a dimension's weight only on evidence. The steps (also in README, "Analytics"):

1. **Conservative validity per dimension–KPI link.** Each Pearson r, oriented so that a positive r means
   better performance (fewer errors for a lower-is-better KPI), is shrunk toward zero by its uncertainty:
   ``ṽ = tanh(sign(z) · max(0, |z| − z₀.₉₇₅ · se))`` with ``z = atanh(r)`` and ``se = 1/√(n − 3)``, which is
   the end of r's 95 % confidence interval nearest zero. An interval that includes 0 gives ``ṽ = 0``:
   "no evidence that B predicts sales". Small samples shrink more. (An empirical-Bayes prior was not
   used: a version has a handful of links, too few to estimate the spread of true validities.)
2. **Validity per KPI, combined by HR's priorities.** ``ṽᵢ = Σₖ πₖ · ṽᵢₖ`` over the KPIs with data and a
   positive priority; ``πₖ`` are the priorities HR set on the version, normalised to sum to 1 (equal when
   unset); a KPI the dimension is not linked to counts 0. This is the validity against the
   priority-weighted composite of the (standardised, uncorrelated) KPIs; validities against different
   KPIs are never pooled into one sample.
3. **Target.** The measured dimensions' weight mass ``m`` is shared in proportion to ``max(ṽᵢ, 0)``;
   when no dimension has evidence, nothing moves.
4. **Bounded step, exactly.** The wanted changes ``dᵢ = targetᵢ − wᵢ`` are made non-decreasing in
   ``ṽ`` (isotonic regression, pool-adjacent-violators), then ``Δᵢ = clip(d̂ᵢ + λ, Lᵢ, Uᵢ)`` with λ
   solved exactly so that ``ΣΔ = 0`` (water-filling), ``Lᵢ = max(MIN_WEIGHT, wᵢ − max_step) − wᵢ`` and
   ``Uᵢ = max_step``, on the grid of 4 decimals; rounding hands the leftover units to the largest
   remainders within the bounds.

Guarantees (tested over random inputs): every ``|Δ| ≤ max_step``; weights ≥ ``MIN_WEIGHT`` (a weight
already below it is never lowered); the weights sum to exactly 1 on the 4-decimal grid; dimensions
without a measurement keep their weight; and when ``ṽᵢ > ṽⱼ``, ``Δᵢ ≥ Δⱼ`` unless j is held at
``MIN_WEIGHT`` (it cannot give more), so a more valid dimension never gains less than a less valid one.
The last holds exactly when the current weights are on the 4-decimal grid (within 0.0001 otherwise).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum

from resolvers.analytics.statistics import CONFIDENCE_LEVEL, Correlation

MAX_WEIGHT_STEP = 0.10
"""At most ten points of weight move per dimension in one proposal (exactly, after rounding)."""
MIN_WEIGHT = 0.05
"""No dimension is proposed away entirely; a version's weights must stay positive."""
GRID = 10_000
"""Proposed weights have 4 decimals: the math runs in integer units of 0.0001."""


class Evidence(str, Enum):
    """What one dimension–KPI link says, after shrinking r by its uncertainty."""

    SUPPORTS = "supports"
    """The 95 % interval lies above 0: a higher score goes with better performance."""
    NONE = "none"
    """The interval includes 0: no evidence either way."""
    AGAINST = "against"
    """The interval lies below 0: a higher score goes with worse performance."""
    NOT_ENOUGH_DATA = "not_enough_data"
    """Under the minimum n or no variation: not judged."""
    NOT_USED = "not_used"
    """The KPI has priority 0 on the version, or no hire has data on it."""


class Basis(str, Enum):
    """Why a dimension's weight moved or stayed."""

    MEASURED = "measured"
    NO_LINKED_KPI = "no_linked_kpi"
    NOT_ENOUGH_DATA = "not_enough_data"
    NO_PRIORITY = "no_priority"
    """Every KPI it is linked to has priority 0 (or no data at all)."""


@dataclass(frozen=True)
class KpiInfo:
    """What a sentence needs about a KPI (names in both languages, direction, unit)."""

    kpi_id: int
    key: str
    name_en: str
    name_zh: str
    lower_is_better: bool
    unit: str = ""


@dataclass(frozen=True)
class DimensionInfo:
    key: str
    name_en: str
    weight: float
    name_zh: str = ""


@dataclass(frozen=True)
class KpiValidity:
    """One dimension–KPI link: the measured r, its conservative value and what it says, in words."""

    kpi: KpiInfo
    correlation: Correlation
    evidence: Evidence
    conservative_r: float | None
    """The end of the 95 % interval nearest zero (0 without evidence); None when not judged."""
    priority_share: float
    """The KPI's normalised priority in this proposal (0 when not used)."""
    sentence: str


@dataclass(frozen=True)
class WeightChange:
    dimension_key: str
    current_weight: float
    proposed_weight: float
    basis: Basis
    validities: list[KpiValidity]
    combined_validity: float | None
    """``Σₖ πₖ ṽₖ`` for measured dimensions; None when the weight is kept for want of a measurement."""
    explanation: str

    @property
    def change(self) -> float:
        return round(self.proposed_weight - self.current_weight, 4)


@dataclass(frozen=True)
class Proposal:
    changes: list[WeightChange]
    kpi_shares: dict[int, float]
    """Normalised priority per KPI used (KPIs with data and a positive priority)."""
    enough_data: bool
    note: str = ""
    """Why no proposal can be made (``enough_data`` false): every reason, per dimension and KPI."""
    suggestions: list[dict[str, str]] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Numbers
# ---------------------------------------------------------------------------------------------


def conservative_validity(correlation: Correlation) -> float | None:
    """The end of the interval nearest zero (0 when it includes zero); None without enough data."""
    if not correlation.enough_data or correlation.ci_lower is None or correlation.ci_upper is None:
        return None
    if correlation.ci_lower > 0:
        return correlation.ci_lower
    if correlation.ci_upper < 0:
        return correlation.ci_upper
    return 0.0


def evidence_of(correlation: Correlation) -> Evidence:
    shrunk = conservative_validity(correlation)
    if shrunk is None:
        return Evidence.NOT_ENOUGH_DATA
    return Evidence.SUPPORTS if shrunk > 0 else Evidence.AGAINST if shrunk < 0 else Evidence.NONE


def priority_shares(raw: Mapping[int, float] | None, usable: Sequence[int]) -> dict[int, float]:
    """Normalise HR's priorities over the ``usable`` KPIs (those with data); KPIs at 0 are left out.

    ``raw`` None (HR set none): equal priorities. Otherwise a KPI missing from ``raw`` counts 0, and
    priorities are relative (3 and 1 → 75 % and 25 %).
    """
    values = {kpi_id: 1.0 if raw is None else max(float(raw.get(kpi_id, 0.0)), 0.0) for kpi_id in usable}
    total = math.fsum(values.values())
    if total <= 0:
        return {}
    return {kpi_id: value / total for kpi_id, value in values.items() if value > 0}


def _isotonic(values: Sequence[float]) -> list[float]:
    """Pool adjacent violators: the closest non-decreasing sequence in least squares."""
    blocks: list[list[float]] = []  # [mean, size]
    for value in values:
        blocks.append([value, 1.0])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            mean, size = blocks.pop()
            previous = blocks[-1]
            previous[0] = (previous[0] * previous[1] + mean * size) / (previous[1] + size)
            previous[1] += size
    result: list[float] = []
    for mean, size in blocks:
        result.extend([mean] * int(size))
    return result


def _water_fill(wanted: Sequence[float], lower: Sequence[float], upper: Sequence[float]) -> list[float]:
    """``clip(wanted + λ, lower, upper)`` with λ solved exactly so that the sum is 0 (needs Σlower ≤ 0 ≤ Σupper)."""

    def total(shift: float) -> float:
        return math.fsum(min(max(w + shift, lo), hi) for w, lo, hi in zip(wanted, lower, upper, strict=True))

    breaks = sorted(
        {lo - w for w, lo in zip(wanted, lower, strict=True)} | {hi - w for w, hi in zip(wanted, upper, strict=True)}
    )
    shift = breaks[-1]
    previous_break, previous_total = None, None
    for point in breaks:
        value = total(point)
        if value >= 0:
            if value == 0 or previous_break is None:
                shift = point
            else:  # linear between the two breakpoints
                shift = previous_break + (point - previous_break) * (-previous_total) / (value - previous_total)
            break
        previous_break, previous_total = point, value
    return [min(max(w + shift, lo), hi) for w, lo, hi in zip(wanted, lower, upper, strict=True)]


def bounded_weights(
    current: Mapping[str, float],
    validity: Mapping[str, float],
    *,
    max_step: float = MAX_WEIGHT_STEP,
    min_weight: float = MIN_WEIGHT,
) -> dict[str, float]:
    """New weights (4 decimals, summing to 1) for ``current``: the keys of ``validity`` move, the rest stay.

    ``validity`` holds each measured dimension's combined conservative validity ``ṽ`` (signed). See the
    module docstring for the method and its guarantees.
    """
    keys = list(current)
    grid = _grid(current)
    measured = [key for key in keys if key in validity]
    positive = {key: max(validity[key], 0.0) for key in measured}
    evidence_total = math.fsum(positive.values())
    if not measured or evidence_total <= 0:
        return {key: grid[key] / GRID for key in keys}
    lower, upper = {}, {}
    for key in measured:
        weight = current[key]
        low = math.ceil(max(min_weight, weight - max_step) * GRID - 1e-6) if weight >= min_weight else grid[key]
        lower[key] = min(low, grid[key])
        upper[key] = max(math.floor((weight + max_step) * GRID + 1e-6), grid[key])
    mass = sum(grid[key] for key in measured)
    wanted = {key: mass * positive[key] / evidence_total - grid[key] for key in measured}
    # Less valid first; among equals the one wanting less first (ties carry no order constraint).
    chain = sorted(measured, key=lambda key: (validity[key], wanted[key], key))
    smoothed = _isotonic([wanted[key] for key in chain])
    steps = _water_fill(smoothed, [lower[key] - grid[key] for key in chain], [upper[key] - grid[key] for key in chain])
    units = dict(zip(chain, _round_units(chain, steps, lower, upper, grid, validity), strict=True))
    return {key: (units[key] if key in units else grid[key]) / GRID for key in keys}


def _grid(current: Mapping[str, float]) -> dict[str, int]:
    """Current weights in units of 0.0001, summing to exactly ``GRID`` (largest remainder)."""
    exact = {key: weight * GRID for key, weight in current.items()}
    units = {key: math.floor(value + 1e-6) for key, value in exact.items()}
    order = sorted(exact, key=lambda key: (-(exact[key] - units[key]), key))
    leftover = GRID - sum(units.values())
    for index in range(abs(leftover)):
        units[order[index % len(order)]] += 1 if leftover > 0 else -1
    return units


def _round_units(
    chain: Sequence[str],
    steps: Sequence[float],
    lower: Mapping[str, int],
    upper: Mapping[str, int],
    grid: Mapping[str, int],
    validity: Mapping[str, float],
) -> list[int]:
    """Whole units per dimension: floors, then the leftover to the largest remainders (then the most valid)."""
    whole = [
        min(max(math.floor(step + 1e-9), lower[key] - grid[key]), upper[key] - grid[key])
        for key, step in zip(chain, steps, strict=True)
    ]
    remainder = [round(step - unit, 9) for step, unit in zip(steps, whole, strict=True)]
    leftover = -sum(whole)
    while leftover:
        direction = 1 if leftover > 0 else -1
        room = [
            index
            for index, key in enumerate(chain)
            if (whole[index] < upper[key] - grid[key] if direction > 0 else whole[index] > lower[key] - grid[key])
        ]
        room.sort(key=lambda index: (-direction * remainder[index], -direction * validity[chain[index]], chain[index]))
        for index in room[: abs(leftover)]:
            whole[index] += direction
            leftover -= direction
    return [grid[key] + unit for key, unit in zip(chain, whole, strict=True)]


# ---------------------------------------------------------------------------------------------
# Words
# ---------------------------------------------------------------------------------------------

_COUNT_UNIT = re.compile(r"^(count|[a-z]{3,}s)$")


def _inline(name: str) -> str:
    """A name inside a sentence: "Risk awareness" → "risk awareness", but "NPS" and "B" stay."""
    if len(name) > 1 and name[0].isupper() and name[1].islower():
        return name[0].lower() + name[1:]
    return name


def _number(value: float) -> str:
    return f"{value:.2f}".replace("-", "−")


def _percent(weight: float) -> str:
    text = f"{weight * 100:.1f}".rstrip("0").rstrip(".")
    return f"{text} %"


def _points(change: float) -> str:
    text = f"{abs(change) * 100:.1f}".rstrip("0").rstrip(".")
    return f"{'+' if change > 0 else '−'}{text} points"


def _statistics(correlation: Correlation) -> str:
    return (
        f"r = {_number(correlation.r or 0.0)}, {round(CONFIDENCE_LEVEL * 100)} % CI "
        f"{_number(correlation.ci_lower or 0.0)} to {_number(correlation.ci_upper or 0.0)}, n = {correlation.n}"
    )


def kpi_direction(kpi: KpiInfo, *, better: bool) -> str:
    """ "fewer errors", "more new customers", "lower teller error rate", "higher loan volume".

    Counted units (``count`` or a plural such as ``errors``, ``customers``) read fewer/more; amounts and
    rates read lower/higher. Better means lower for a lower-is-better KPI.
    """
    counted = bool(_COUNT_UNIT.match(kpi.unit.strip().lower()))
    up = better != kpi.lower_is_better
    word = ("more" if up else "fewer") if counted else ("higher" if up else "lower")
    return f"{word} {_inline(kpi.name_en)}"


def _strength(r: float) -> str:
    if r < 0.3:
        return "weakly predicts"
    if r < 0.5:
        return "moderately predicts"
    return "strongly predicts"


def validity_sentence(dimension_name: str, kpi: KpiInfo, correlation: Correlation, evidence: Evidence) -> str:
    """One link in words, with r, its 95 % interval and n; direction in the KPI's own terms."""
    name, kpi_name = _inline(dimension_name), _inline(kpi.name_en)
    if evidence is Evidence.NOT_ENOUGH_DATA:
        return f"cannot judge {name} against {kpi_name} yet: {correlation.note or 'not enough data'}"
    if evidence is Evidence.NONE:
        return f"no evidence that {name} predicts {kpi_name} ({_statistics(correlation)})"
    if evidence is Evidence.SUPPORTS:
        return (
            f"{_strength(correlation.r or 0.0)} {kpi_name} — higher {name} goes with "
            f"{kpi_direction(kpi, better=True)} ({_statistics(correlation)})"
        )
    return (
        f"runs against {kpi_name} — higher {name} goes with {kpi_direction(kpi, better=False)} "
        f"({_statistics(correlation)})"
    )


# ---------------------------------------------------------------------------------------------
# The proposal
# ---------------------------------------------------------------------------------------------


def propose_weights(
    dimensions: Sequence[DimensionInfo],
    links: Mapping[str, Sequence[tuple[KpiInfo, Correlation]]],
    priorities: Mapping[int, float] | None = None,
    *,
    max_step: float = MAX_WEIGHT_STEP,
    min_weight: float = MIN_WEIGHT,
) -> Proposal:
    """Weigh each dimension by its conservative validity per KPI, combined by ``priorities`` (per KPI id).

    ``links``: per dimension key, each linked KPI with the hires' Pearson r (oriented: positive = better).
    ``priorities``: HR's raw priorities (None: equal; a KPI left out counts 0).
    A KPI counts when some dimension has enough data on it and its priority is positive. A dimension
    keeps its weight when it has no linked KPI, when its KPIs all have priority 0, or when a KPI that
    counts lacks data for it. ``enough_data`` is false (with every reason in ``note``) when no dimension
    is measured: a proposal must rest on measurements.
    """
    with_data = sorted(
        {
            kpi.kpi_id
            for pairs in links.values()
            for kpi, corr in pairs
            if evidence_of(corr) is not Evidence.NOT_ENOUGH_DATA
        }
    )
    shares = priority_shares(priorities, with_data)
    measured: dict[str, float] = {}
    bases: dict[str, Basis] = {}
    validities: dict[str, list[KpiValidity]] = {}
    reasons: list[str] = []
    for dimension in dimensions:
        pairs = links.get(dimension.key, [])
        entries = []
        for kpi, corr in pairs:
            evidence = evidence_of(corr)
            if evidence is not Evidence.NOT_ENOUGH_DATA and kpi.kpi_id not in shares:
                evidence = Evidence.NOT_USED
            sentence = (
                f"{_inline(kpi.name_en)} has priority 0 on this version: not used"
                if evidence is Evidence.NOT_USED
                else validity_sentence(dimension.name_en, kpi, corr, evidence)
            )
            shrunk = conservative_validity(corr) if evidence is not Evidence.NOT_USED else None
            entries.append(KpiValidity(kpi, corr, evidence, shrunk, shares.get(kpi.kpi_id, 0.0), sentence))
            if evidence is Evidence.NOT_ENOUGH_DATA:
                reasons.append(f"{dimension.name_en} → {kpi.name_en}: {corr.note or 'not enough data'}")
        validities[dimension.key] = entries
        counted = [entry for entry in entries if entry.kpi.kpi_id in shares]
        if not pairs:
            bases[dimension.key] = Basis.NO_LINKED_KPI
            reasons.append(f"{dimension.name_en}: no linked KPI")
        elif any(entry.evidence is Evidence.NOT_ENOUGH_DATA for entry in counted) or (
            not counted and any(entry.evidence is Evidence.NOT_ENOUGH_DATA for entry in entries)
        ):
            bases[dimension.key] = Basis.NOT_ENOUGH_DATA
        elif not counted:
            bases[dimension.key] = Basis.NO_PRIORITY
            reasons.append(f"{dimension.name_en}: its KPIs have priority 0")
        else:
            bases[dimension.key] = Basis.MEASURED
            measured[dimension.key] = math.fsum(
                shares[entry.kpi.kpi_id] * (entry.conservative_r or 0.0) for entry in counted
            )
    current = {dimension.key: dimension.weight for dimension in dimensions}
    if not measured:
        note = "not enough data to propose weights: " + "; ".join(dict.fromkeys(reasons) or ["no dimensions"])
        return Proposal([], shares, False, note)
    proposed = bounded_weights(current, measured, max_step=max_step, min_weight=min_weight)
    kpis = {entry.kpi.kpi_id: entry.kpi for entries in validities.values() for entry in entries}
    changes = [
        _change(
            dimension,
            proposed[dimension.key],
            bases[dimension.key],
            validities[dimension.key],
            measured.get(dimension.key),
            shares,
            kpis,
            max_step,
        )
        for dimension in dimensions
    ]
    return Proposal(changes, shares, True, "", question_suggestions(changes, dimensions))


def _change(
    dimension: DimensionInfo,
    proposed: float,
    basis: Basis,
    entries: list[KpiValidity],
    combined: float | None,
    shares: Mapping[int, float],
    kpis: Mapping[int, KpiInfo],
    max_step: float,
) -> WeightChange:
    clauses = [entry.sentence for entry in entries] or ["no linked KPI to measure against"]
    if basis is Basis.NO_PRIORITY:
        clauses.append("weight kept")
    elif basis is Basis.NOT_ENOUGH_DATA:
        clauses.append("weight kept until there is enough data")
    change = round(proposed - dimension.weight, 4)
    if change:
        weight = f"Weight {_percent(dimension.weight)} → {_percent(proposed)} ({_points(change)}"
        weight += ", the step limit)" if abs(abs(change) - max_step) < 1e-9 else ")"
    else:
        weight = f"Weight stays {_percent(dimension.weight)}"
    if combined is not None and len(shares) > 1:
        priorities = ", ".join(f"{_inline(kpis[kpi_id].name_en)} {_percent(share)}" for kpi_id, share in shares.items())
        weight += f"; combined validity {_number(combined)} with KPI priorities {priorities}"
    explanation = f"{dimension.name_en}: {'; '.join(clauses)}. {weight}."
    return WeightChange(dimension.key, dimension.weight, proposed, basis, entries, combined, explanation)


def question_suggestions(changes: Sequence[WeightChange], dimensions: Sequence[DimensionInfo]) -> list[dict[str, str]]:
    """Advice on the question bank of each measured dimension that no KPI it counts for supports."""
    names = {dimension.key: dimension.name_en for dimension in dimensions}
    suggestions = []
    for change in changes:
        counted = [entry for entry in change.validities if entry.priority_share > 0]
        if change.basis is not Basis.MEASURED or any(entry.evidence is Evidence.SUPPORTS for entry in counted):
            continue
        name = names.get(change.dimension_key, change.dimension_key)
        findings = "; ".join(entry.sentence for entry in counted)
        kpi_names = " and ".join(_inline(entry.kpi.name_en) for entry in counted)
        suggestions.append(
            {
                "dimensionKey": change.dimension_key,
                "suggestion": (
                    f"Review the {name} questions: {findings}. Add questions built on real on-the-job situations "
                    f"behind {kpi_names}, tighten the rubric concepts and excellent answers, and retire "
                    "questions whose answers everyone passes."
                ),
            }
        )
    return suggestions
