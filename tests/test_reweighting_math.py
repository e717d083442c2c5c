"""Re-weighting math without a database: shrinkage, bounded steps over many random inputs, and the words."""

from __future__ import annotations

import math

import numpy as np
import pytest

from resolvers.analytics import reweighting as rw
from resolvers.analytics.statistics import Correlation, correlation

STEP_UNITS = round(rw.MAX_WEIGHT_STEP * rw.GRID)
MIN_UNITS = round(rw.MIN_WEIGHT * rw.GRID)


def units(weight: float) -> int:
    """A weight on the 4-decimal grid as whole units of 0.0001 (asserting that it is on the grid)."""
    value = round(weight * rw.GRID)
    assert abs(value - weight * rw.GRID) < 1e-6, weight
    return value


def grid_weights(rng: np.random.Generator, count: int) -> dict[str, float]:
    """Random weights on the 4-decimal grid summing to 1, a few of them under MIN_WEIGHT."""
    raw = rng.dirichlet(np.full(count, rng.uniform(0.3, 3.0)))
    whole = np.maximum(np.floor(raw * rw.GRID).astype(int), 1)
    whole[int(np.argmax(whole))] += rw.GRID - int(whole.sum())
    return {f"d{index}": int(value) / rw.GRID for index, value in enumerate(whole)}


def random_validity(rng: np.random.Generator, keys: list[str]) -> dict[str, float]:
    measured = [key for key in keys if rng.random() < 0.8]
    validity = {key: float(rng.uniform(-0.3, 0.7)) for key in measured}
    if rng.random() < 0.3:  # ties and "no evidence" (0) are common in practice
        validity = {key: round(value, 1) if value > 0 else 0.0 for key, value in validity.items()}
    return validity


def held_at_floor(current: float, proposed: float) -> bool:
    """At MIN_WEIGHT (or, under it already, at its current weight) with less than a full step given."""
    lowest = max(MIN_UNITS, units(current) - STEP_UNITS) if units(current) >= MIN_UNITS else units(current)
    return units(proposed) == lowest and lowest > units(current) - STEP_UNITS


def test_bounded_weights_hold_every_guarantee_over_random_inputs():
    rng = np.random.default_rng(11)
    moved = 0
    for _ in range(3000):
        current = grid_weights(rng, int(rng.integers(1, 13)))
        validity = random_validity(rng, list(current))
        proposed = rw.bounded_weights(current, validity)
        assert list(proposed) == list(current)
        assert sum(units(weight) for weight in proposed.values()) == rw.GRID  # exactly 1 on the grid
        for key, weight in proposed.items():
            change = units(weight) - units(current[key])
            assert abs(change) <= STEP_UNITS  # the step holds exactly, after renormalising and rounding
            assert abs(weight - current[key]) <= rw.MAX_WEIGHT_STEP + 1e-12
            assert units(weight) >= min(MIN_UNITS, units(current[key]))
            if change < 0:
                assert units(weight) >= MIN_UNITS
            if key not in validity:
                assert weight == current[key]  # nothing measured: kept exactly
        if not any(value > 0 for value in validity.values()):
            assert proposed == current  # no evidence anywhere: nothing moves
        moved += proposed != current
        for more in validity:
            for less in validity:
                if validity[more] > validity[less] and not held_at_floor(current[less], proposed[less]):
                    gain_more = units(proposed[more]) - units(current[more])
                    gain_less = units(proposed[less]) - units(current[less])
                    assert gain_more >= gain_less, (current, validity, proposed)
    assert moved > 1500  # the guarantees were checked on proposals that actually move weight


def test_bounded_weights_off_the_grid_keep_the_step_and_the_sum():
    rng = np.random.default_rng(5)
    for _ in range(1000):
        count = int(rng.integers(2, 9))
        raw = rng.dirichlet(np.ones(count))
        current = {f"d{index}": float(value) for index, value in enumerate(raw)}
        proposed = rw.bounded_weights(current, random_validity(rng, list(current)))
        assert sum(units(weight) for weight in proposed.values()) == rw.GRID
        assert all(abs(proposed[key] - current[key]) <= rw.MAX_WEIGHT_STEP + 1e-12 for key in current)


def test_the_issue_case_moves_exactly_ten_points_and_the_most_valid_gains_most():
    # Weights 30/40/30; A predicts sales strongly, B is noise, C predicts errors moderately.
    proposed = rw.bounded_weights({"a": 0.3, "b": 0.4, "c": 0.3}, {"a": 0.23, "b": 0.0, "c": 0.12})
    assert proposed == {"a": 0.4, "b": 0.3, "c": 0.3}
    # A holds most already: the isotonic step gives it at least what the weaker B gets.
    proposed = rw.bounded_weights({"a": 0.6, "b": 0.1, "c": 0.3}, {"a": 0.5, "b": 0.3, "c": 0.0})
    assert units(proposed["a"]) - 6000 >= units(proposed["b"]) - 1000 > 0
    assert proposed["c"] == 0.2


def test_a_dimension_at_the_minimum_weight_is_not_pushed_below_it():
    proposed = rw.bounded_weights({"a": 0.9, "b": 0.05, "c": 0.05}, {"a": 0.5, "b": 0.0, "c": 0.0})
    assert proposed == {"a": 0.9, "b": 0.05, "c": 0.05}
    proposed = rw.bounded_weights({"a": 0.5, "b": 0.48, "c": 0.02}, {"a": 0.5, "b": 0.0, "c": 0.0})
    assert proposed == {"a": 0.6, "b": 0.38, "c": 0.02}


def corr(r: float, n: int) -> Correlation:
    """A correlation with the interval ``statistics.correlation`` would give for r and n."""
    z, se = math.atanh(r), 1 / math.sqrt(n - 3)
    return Correlation("pearson", n, r, math.tanh(z - 1.959964 * se), math.tanh(z + 1.959964 * se), 0.01, True, "")


def test_conservative_validity_is_the_interval_end_nearest_zero():
    assert rw.conservative_validity(corr(0.14, 100)) == 0.0  # the issue's B: CI −0.06 to 0.33
    assert rw.conservative_validity(corr(0.6, 100)) == pytest.approx(corr(0.6, 100).ci_lower)
    assert rw.conservative_validity(corr(-0.4, 100)) == pytest.approx(corr(-0.4, 100).ci_upper)
    # The same r counts for more with more hires: shrinkage follows the uncertainty.
    assert rw.conservative_validity(corr(0.3, 50)) < rw.conservative_validity(corr(0.3, 500))
    small = correlation(list(range(6)), list(range(6)))
    assert rw.conservative_validity(small) is None and rw.evidence_of(small) is rw.Evidence.NOT_ENOUGH_DATA


SALES = rw.KpiInfo(1, "loop_x_sales", "Sales", "销售额", lower_is_better=False, unit="CNY 10k")
ERRORS = rw.KpiInfo(2, "loop_y_errors_p1", "Errors", "差错", lower_is_better=True, unit="errors")
DIMENSIONS = [
    rw.DimensionInfo("a", "Sales drive", 0.3),
    rw.DimensionInfo("b", "B", 0.4),
    rw.DimensionInfo("c", "Risk awareness", 0.3),
]


def issue_links(r_c: float = 0.45) -> dict[str, list[tuple[rw.KpiInfo, Correlation]]]:
    return {"a": [(SALES, corr(0.6, 100))], "b": [(SALES, corr(0.14, 100))], "c": [(ERRORS, corr(r_c, 100))]}


def test_proposal_words_use_kpi_names_direction_and_say_no_evidence():
    proposal = rw.propose_weights(DIMENSIONS, issue_links())
    assert proposal.enough_data and proposal.kpi_shares == {1: 0.5, 2: 0.5}
    by_key = {change.dimension_key: change for change in proposal.changes}
    assert "no evidence that B predicts sales (r = 0.14, 95 % CI −0.06 to 0.33, n = 100)" in by_key["b"].explanation
    assert "higher risk awareness goes with fewer errors (r = 0.45" in by_key["c"].explanation
    assert "higher sales drive goes with higher sales" in by_key["a"].explanation
    assert "loop" not in " ".join(change.explanation for change in proposal.changes)
    assert [item["dimensionKey"] for item in proposal.suggestions] == ["b"]
    assert "no evidence that B predicts sales" in proposal.suggestions[0]["suggestion"]
    assert {change.dimension_key: change.proposed_weight for change in proposal.changes} == {
        "a": 0.4,
        "b": 0.3,
        "c": 0.3,
    }
    assert by_key["b"].validities[0].evidence is rw.Evidence.NONE and by_key["b"].combined_validity == 0.0


def test_direction_words_follow_the_kpi():
    rate = rw.KpiInfo(3, "teller_error_rate", "Teller error rate", "差错率", lower_is_better=True, unit="%")
    customers = rw.KpiInfo(4, "new_customers", "New customers", "客户新增数量", lower_is_better=False, unit="customers")
    assert rw.kpi_direction(rate, better=True) == "lower teller error rate"
    assert rw.kpi_direction(ERRORS, better=True) == "fewer errors"
    assert rw.kpi_direction(ERRORS, better=False) == "more errors"
    assert rw.kpi_direction(customers, better=True) == "more new customers"
    assert rw.kpi_direction(SALES, better=False) == "lower sales"
    against = rw.propose_weights(DIMENSIONS, {**issue_links(), "c": [(ERRORS, corr(-0.45, 100))]})
    words = {change.dimension_key: change.explanation for change in against.changes}["c"]
    assert "runs against errors — higher risk awareness goes with more errors (r = −0.45" in words


def test_kpi_priorities_change_the_outcome():
    equal = rw.propose_weights(DIMENSIONS, issue_links())
    errors_first = rw.propose_weights(DIMENSIONS, issue_links(), {1: 1.0, 2: 3.0})
    weights = {change.dimension_key: change.proposed_weight for change in errors_first.changes}
    assert errors_first.kpi_shares == {1: 0.25, 2: 0.75}
    assert weights == {"a": 0.3, "b": 0.3, "c": 0.4}  # now risk awareness is the more valid for the version
    assert [change.proposed_weight for change in equal.changes] != [
        change.proposed_weight for change in errors_first.changes
    ]
    only_sales = rw.propose_weights(DIMENSIONS, issue_links(), {1: 1.0})  # errors left out: priority 0
    by_key = {change.dimension_key: change for change in only_sales.changes}
    assert by_key["c"].basis is rw.Basis.NO_PRIORITY and by_key["c"].proposed_weight == 0.3
    assert "errors has priority 0" in by_key["c"].explanation
    assert "combined validity" in {change.dimension_key: change.explanation for change in equal.changes}["a"]


def test_not_enough_data_is_a_state_with_reasons_never_nan():
    empty = correlation([], [])
    constant = correlation([50.0] * 30, list(range(30)))
    links = {"a": [(SALES, empty)], "b": [(SALES, empty)], "c": [(ERRORS, constant)]}
    proposal = rw.propose_weights(DIMENSIONS, links)
    assert not proposal.enough_data and proposal.changes == []
    assert "Sales drive → Sales: not enough data (n = 0, need 10)" in proposal.note
    assert "Risk awareness → Errors: no variation in one of the variables" in proposal.note
    assert not rw.propose_weights(DIMENSIONS, {}).enough_data
    assert "no linked KPI" in rw.propose_weights(DIMENSIONS, {}).note
    # One dimension without data keeps its weight; the others are still judged.
    partial = rw.propose_weights(DIMENSIONS, {**issue_links(), "c": [(ERRORS, constant)]})
    by_key = {change.dimension_key: change for change in partial.changes}
    assert by_key["c"].basis is rw.Basis.NOT_ENOUGH_DATA and by_key["c"].proposed_weight == 0.3
    assert "cannot judge risk awareness against errors yet: no variation" in by_key["c"].explanation
    assert all(math.isfinite(change.proposed_weight) for change in partial.changes)
