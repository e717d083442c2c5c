"""Adverse impact: selection rates by self-reported group, the four-fifths rule and a significance test.

Pure statistics over plain records (no database); scipy is imported inside the function that computes, so
the gateway loads it on the first adverse-impact request only.

Small groups. A group of fewer applicants than the minimum group size (``HRGATE_ANALYTICS_MIN_GROUP_SIZE``)
is "too few to judge": its number of applicants is given, but not how many were selected, its rate, ratio or
p-value (with one applicant, those would be that candidate's outcome). Because the selections of a line of
groups add up to a total that may be known (another key over the same applicants, the margin of an
intersection, a requisition's pass rates), withholding one group alone would let its selections be worked
out by subtraction: in every line that withholds anything, at least two groups holding together at least the
minimum number of applicants are withheld, the smallest others first (complementary suppression). The
reference group is chosen among the groups shown, so a withheld group's rate never reaches another's ratio.

Significance, each group against the reference group: Fisher's exact test (two-sided) always, reported as
``fisher_p_value``; ``p_value`` is the pooled two-proportion z-test when both groups are large enough for its
normal approximation (every expected count, n·p̂ and n·(1 − p̂) with the pooled rate p̂, at least 5; the
"two standard deviations" rule of US adverse-impact practice reads |z| > 2), and Fisher's exact test otherwise;
``significance_test`` says which.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations

from resolvers.analytics.statistics import MIN_SAMPLE_SIZE

FOUR_FIFTHS = 0.8
MIN_EXPECTED_COUNT = 5
"""The z-test's normal approximation holds when every expected cell count is at least this (Cochran)."""
FISHER_EXACT = "fisher_exact"
TWO_PROPORTION_Z = "two_proportion_z"


@dataclass(frozen=True)
class GroupSelection:
    group_key: str
    """One group key (``gender``) or an intersection (``gender×age_band``)."""
    group_value: str
    """The value, or the values joined by ``×`` for an intersection."""
    applicants: int
    selected: int | None
    """None when withheld."""
    selection_rate: float | None
    impact_ratio: float | None
    """This group's rate ÷ the reference group's rate."""
    flagged: bool
    """Impact ratio under four fifths (0.8); false when withheld."""
    small_sample: bool
    """Fewer applicants than the minimum n: read the ratio with care."""
    fisher_p_value: float | None = None
    """Two-sided Fisher's exact test of this group's selections against the reference group's (None for the
    reference itself, or when withheld)."""
    reference_value: str | None = None
    """The reference group: the highest selection rate among the groups of the key that are shown."""
    enough_data: bool = True
    """False: fewer applicants than the minimum group size, too few to judge."""
    note: str | None = None
    withheld: bool = False
    """True: selections, rate, ratio and p-values withheld (too few to judge, or to protect such a group)."""
    z_statistic: float | None = None
    """Pooled two-proportion z of this group's rate minus the reference's, when both groups are large enough."""
    p_value: float | None = None
    """The test ``significance_test`` names: the z-test's for large groups, else Fisher's exact."""
    significance_test: str | None = None
    """``two_proportion_z`` or ``fisher_exact``."""


Values = tuple[str, ...]
"""One value per key of a combination: ``("f",)`` or, for an intersection, ``("f", "40+")``."""
Cell = tuple[tuple[str, ...], Values]
"""(keys, values): one group of one key or one intersection."""


def _tally(records: Sequence[tuple[dict[str, str], bool]], combo: tuple[str, ...]) -> dict[Values, list[int]]:
    """[applicants, selected] per group; the groups in the order of their displayed value."""
    tallies: dict[Values, list[int]] = {}
    for groups, selected in records:
        if not all(groups.get(key) for key in combo):
            continue
        tally = tallies.setdefault(tuple(str(groups[key]) for key in combo), [0, 0])
        tally[0] += 1
        tally[1] += int(bool(selected))
    return dict(sorted(tallies.items(), key=lambda item: "×".join(item[0])))


def _lines(combo: tuple[str, ...], values: Iterable[Values]) -> list[list[Cell]]:
    """Groups whose selections add up to a total that may be known: all of one key; a row or column of a pair."""
    cells = [(combo, value) for value in values]
    if len(combo) == 1:
        return [cells]
    lines: dict[tuple[int, str], list[Cell]] = {}
    for cell in cells:
        for position, part in enumerate(cell[1]):
            lines.setdefault((position, part), []).append(cell)
    return list(lines.values())


def _withhold(tallies: dict[tuple[str, ...], dict[Values, list[int]]], min_group_size: int) -> dict[Cell, str]:
    """Which groups to withhold and why (``small`` or ``complement``), until no line gives one away."""
    withheld: dict[Cell, str] = {
        (combo, value): "small"
        for combo, groups in tallies.items()
        for value, (applicants, _) in groups.items()
        if applicants < min_group_size
    }
    lines = [line for combo, groups in tallies.items() for line in _lines(combo, groups)]
    changed = bool(withheld)
    while changed:
        changed = False
        for line in lines:
            hidden = [cell for cell in line if cell in withheld]
            shown = [cell for cell in line if cell not in withheld]
            if not hidden or not shown:
                continue
            if len(hidden) >= 2 and sum(tallies[combo][value][0] for combo, value in hidden) >= min_group_size:
                continue
            smallest = min(shown, key=lambda cell: (tallies[cell[0]][cell[1]][0], "×".join(cell[1])))
            withheld[smallest] = "complement"
            changed = True
    return withheld


def _z_test(selected: int, applicants: int, ref_selected: int, ref_applicants: int) -> tuple[float, float] | None:
    """Pooled two-proportion z and its two-sided p, or None when an expected count is under the minimum."""
    from scipy.stats import norm

    pooled = (selected + ref_selected) / (applicants + ref_applicants)
    expected = [size * share for size in (applicants, ref_applicants) for share in (pooled, 1 - pooled)]
    if min(expected) < MIN_EXPECTED_COUNT:
        return None
    spread = math.sqrt(pooled * (1 - pooled) * (1 / applicants + 1 / ref_applicants))
    z = (selected / applicants - ref_selected / ref_applicants) / spread
    return z, float(2 * norm.sf(abs(z)))


def _note(reason: str | None, applicants: int, min_group_size: int) -> str | None:
    if reason == "small":
        return (
            f"too few to judge: {applicants} applicants, fewer than the minimum group size {min_group_size}; "
            "selections withheld so that no candidate's outcome can be read"
        )
    if reason == "complement":
        return (
            "selections withheld so that those of a group under the minimum group size "
            f"({min_group_size}) cannot be worked out by subtraction"
        )
    return None


def adverse_impact(
    records: Sequence[tuple[dict[str, str], bool]],
    group_keys: Sequence[str],
    *,
    intersections: bool = True,
    min_n: int = MIN_SAMPLE_SIZE,
    min_group_size: int = 1,
) -> list[GroupSelection]:
    """Selection rate and impact ratio per group of each key and (optionally) of every pair of keys.

    ``records``: per applicant, their self-reported groups (missing keys = declined, left out of that key)
    and whether they were selected. Group data is used only here, never by scoring. Groups under
    ``min_group_size`` (and the groups that would give them away) are withheld, see the module docstring.
    """
    from scipy.stats import fisher_exact

    combos: list[tuple[str, ...]] = [(key,) for key in group_keys]
    if intersections:
        combos += list(combinations(group_keys, 2))
    tallies = {combo: _tally(records, combo) for combo in combos}
    withheld = _withhold(tallies, min_group_size)
    results: list[GroupSelection] = []
    for combo, groups in tallies.items():
        shown = {value: tally for value, tally in groups.items() if (combo, value) not in withheld}
        rates = {value: selected / applicants for value, (applicants, selected) in shown.items()}
        reference = max(rates, key=lambda value: rates[value], default=None)
        reference_rate = rates.get(reference) if reference is not None else None
        reference_value = "×".join(reference) if reference is not None else None
        for value, (applicants, selected) in groups.items():
            reason = withheld.get((combo, value))
            common = {
                "group_key": "×".join(combo),
                "group_value": "×".join(value),
                "applicants": applicants,
                "small_sample": applicants < min_n,
                "enough_data": applicants >= min_group_size,
                "note": _note(reason, applicants, min_group_size),
            }
            if reason is not None:
                results.append(
                    GroupSelection(
                        **common,
                        selected=None,
                        selection_rate=None,
                        impact_ratio=None,
                        flagged=False,
                        reference_value=reference_value,
                        withheld=True,
                    )
                )
                continue
            rate = rates[value]
            ratio = rate / reference_rate if reference_rate else None
            fisher_p = z = p_value = test = None
            if reference is not None and value != reference:
                ref_applicants, ref_selected = groups[reference]
                table = [[selected, applicants - selected], [ref_selected, ref_applicants - ref_selected]]
                fisher_p = float(fisher_exact(table, alternative="two-sided").pvalue)
                z_test = _z_test(selected, applicants, ref_selected, ref_applicants)
                if z_test is not None:
                    (z, p_value), test = z_test, TWO_PROPORTION_Z
                else:
                    p_value, test = fisher_p, FISHER_EXACT
            results.append(
                GroupSelection(
                    **common,
                    selected=selected,
                    selection_rate=rate,
                    impact_ratio=ratio,
                    flagged=ratio is not None and ratio < FOUR_FIFTHS,
                    fisher_p_value=fisher_p,
                    reference_value=reference_value,
                    z_statistic=z,
                    p_value=p_value,
                    significance_test=test,
                )
            )
    return results
