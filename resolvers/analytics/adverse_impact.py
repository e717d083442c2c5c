"""Adverse impact: selection rates by self-reported group, the four-fifths rule and Fisher's exact test.

Pure statistics over plain records (no database); scipy is imported inside the function that
computes, so the gateway loads it on the first adverse-impact request only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from resolvers.analytics.statistics import MIN_SAMPLE_SIZE

FOUR_FIFTHS = 0.8


@dataclass(frozen=True)
class GroupSelection:
    group_key: str
    """One group key (``gender``) or an intersection (``gender×age_band``)."""
    group_value: str
    """The value, or the values joined by ``×`` for an intersection."""
    applicants: int
    selected: int
    selection_rate: float | None
    impact_ratio: float | None
    """This group's rate ÷ the highest rate among the groups of the same key."""
    flagged: bool
    """Impact ratio under four fifths (0.8)."""
    small_sample: bool
    """Fewer applicants than the minimum n: read the ratio with care."""
    fisher_p_value: float | None = None
    """Two-sided Fisher's exact test of this group's selections against the reference group's (None for the
    reference itself, or when either group is too small to judge)."""
    reference_value: str | None = None
    """The reference group: the highest selection rate among the groups of the key large enough to judge."""
    enough_data: bool = True
    """False: fewer applicants than the minimum group size, too few to judge (no p-value)."""
    note: str | None = None


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
    and whether they were selected. Group data is used only here, never by scoring. Each group of at least
    ``min_group_size`` applicants is tested against the reference group with Fisher's exact test; a smaller
    group is "too few to judge" (``enough_data`` False, no p-value).
    """
    from itertools import combinations

    from scipy.stats import fisher_exact

    combos: list[tuple[str, ...]] = [(key,) for key in group_keys]
    if intersections:
        combos += [pair for pair in combinations(group_keys, 2)]
    results: list[GroupSelection] = []
    for combo in combos:
        tallies: dict[str, list[int]] = {}
        for groups, selected in records:
            if not all(groups.get(key) for key in combo):
                continue
            tally = tallies.setdefault("×".join(str(groups[key]) for key in combo), [0, 0])
            tally[0] += 1
            tally[1] += int(bool(selected))
        rates = {value: selected / applicants for value, (applicants, selected) in tallies.items() if applicants}
        best = max(rates.values(), default=0.0)
        judged = {value: rate for value, rate in rates.items() if tallies[value][0] >= min_group_size}
        reference = max(sorted(judged), key=lambda value: judged[value], default=None)
        for value in sorted(tallies):
            applicants, selected = tallies[value]
            rate = rates.get(value)
            ratio = rate / best if rate is not None and best > 0 else None
            enough = applicants >= min_group_size
            p_value = None
            if enough and reference is not None and value != reference:
                ref_applicants, ref_selected = tallies[reference]
                table = [[selected, applicants - selected], [ref_selected, ref_applicants - ref_selected]]
                p_value = float(fisher_exact(table, alternative="two-sided").pvalue)
            note = (
                None
                if enough
                else f"too few to judge: {applicants} applicants, fewer than the minimum group size {min_group_size}"
            )
            results.append(
                GroupSelection(
                    group_key="×".join(combo),
                    group_value=value,
                    applicants=applicants,
                    selected=selected,
                    selection_rate=rate,
                    impact_ratio=ratio,
                    flagged=ratio is not None and ratio < FOUR_FIFTHS,
                    small_sample=applicants < min_n,
                    fisher_p_value=p_value,
                    reference_value=reference,
                    enough_data=enough,
                    note=note,
                )
            )
    return results
