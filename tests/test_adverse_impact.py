"""Adverse impact over GraphQL: small groups withheld everywhere, references that leak nothing, which test when.

A group under ``HRGATE_ANALYTICS_MIN_GROUP_SIZE`` applicants shows its size only; where withholding it alone
would let its selections be worked out by subtraction (from a key's total, or an intersection's row or
column), the smallest other group of that line is withheld too. The reference group is always one shown.
p-values are checked against scipy's own tests on the same tables.
"""

from __future__ import annotations

import math
from itertools import groupby
from typing import Any

import pytest
from scipy.stats import fisher_exact, norm

from gateway import models
from gateway.models.enums import ApplicationStage, BusinessLine
from gateway.settings import get_settings
from tests.analytics_cohort import build_cohort
from tests.db_helpers import global_id, insert
from tests.graphql_client import GraphQLClient

ADVERSE_IMPACT = """
query($id: ID!, $keys: [String!]!) {
  adverseImpact(requisitionId: $id, groupKeys: $keys) {
    groups {
      groupKey groupValue applicants selected selectionRate impactRatio flagged smallSample
      fisherPValue referenceValue enoughData note withheld zStatistic pValue significanceTest
    }
    errors { field message code }
  }
}"""
OUTCOME_FIELDS = ("selected", "selectionRate", "impactRatio", "fisherPValue", "zStatistic", "pValue")


@pytest.fixture
def gql() -> GraphQLClient:
    return GraphQLClient()


@pytest.fixture
def min_group_size() -> int:
    size = get_settings().analytics_min_group_size
    assert size == 5, "these cohorts are sized for the default minimum group size"
    return size


Applicant = tuple[dict[str, str], bool]


def applicants(groups: dict[str, str], count: int, selected: int) -> list[Applicant]:
    return [(dict(groups), index < selected) for index in range(count)]


async def requisition_with(people: list[Applicant], *, seed: int) -> str:
    """A requisition whose applicants passed the AI interview (second_interview) or were rejected."""
    cohort = await build_cohort(0, seed=seed)
    (requisition,) = await insert(
        models.Requisition(
            title="Teller",
            department="Retail Ops",
            business_line=BusinessLine.RETAIL,
            headcount=5,
            competency_model_version_id=cohort.version_id,
        )
    )
    candidates = [models.Candidate(full_name=f"A{i}", email=f"a{seed}-{i}@example.com") for i in range(len(people))]
    await insert(*candidates)
    rows: list[Any] = []
    for candidate, (groups, passed) in zip(candidates, people, strict=True):
        stage = ApplicationStage.SECOND_INTERVIEW if passed else ApplicationStage.REJECTED
        rows.append(models.Application(candidate_id=candidate.id, requisition_id=requisition.id, stage=stage))
        rows.append(models.CandidateSelfReport(candidate_id=candidate.id, groups=groups))
    await insert(*rows)
    return global_id("Requisition", requisition.id)


async def impact(gql: GraphQLClient, requisition: str, keys: list[str]) -> dict[tuple[str, str], dict[str, Any]]:
    result = (await gql(ADVERSE_IMPACT, id=requisition, keys=keys))["adverseImpact"]
    assert result["errors"] == []
    return {(row["groupKey"], row["groupValue"]): row for row in result["groups"]}


def assert_withheld(row: dict[str, Any]) -> None:
    assert row["withheld"] and not row["flagged"] and row["significanceTest"] is None, row
    assert all(row[name] is None for name in OUTCOME_FIELDS), row


def assert_no_line_gives_one_away(rows: dict[tuple[str, str], dict[str, Any]], min_group_size: int) -> None:
    """In every line (a key; a row or a column of an intersection) the withheld groups are none, all, or at
    least two holding together at least the minimum number of applicants: subtraction yields no one's outcome."""
    lines: dict[tuple[str, int, str], list[dict[str, Any]]] = {}
    for (key, value), row in rows.items():
        parts = value.split("×")
        for position, part in enumerate(parts if len(parts) > 1 else [""]):
            lines.setdefault((key, position, part), []).append(row)
    for line in lines.values():
        hidden = [row for row in line if row["withheld"]]
        if hidden and len(hidden) < len(line):
            assert len(hidden) >= 2 and sum(row["applicants"] for row in hidden) >= min_group_size, line


async def test_a_small_group_is_withheld_with_its_complement_and_never_is_the_reference(gql, min_group_size):
    people = (
        applicants({"gender": "m"}, 100, 50)
        + applicants({"gender": "f"}, 100, 35)
        + applicants({"gender": "y"}, 30, 12)
        + applicants({"gender": "x"}, 2, 2)  # both selected: the highest rate, but two candidates' outcomes
    )
    rows = await impact(gql, await requisition_with(people, seed=61), ["gender"])
    x, y, m, f = (rows[("gender", value)] for value in ("x", "y", "m", "f"))
    # Too few to judge: the size only.
    assert_withheld(x)
    assert (x["applicants"], x["enoughData"], x["smallSample"]) == (2, False, True)
    assert "too few to judge: 2 applicants" in x["note"]
    # The smallest other group is withheld too, or m + f + y + x selected (known elsewhere) − the rest = x's.
    assert_withheld(y)
    assert y["enoughData"] and "worked out by subtraction" in y["note"]
    assert_no_line_gives_one_away(rows, min_group_size)
    # The reference is the best group shown (m), not x: f's ratio is 0.35 / 0.5, not 0.35 / 1.0.
    assert {row["referenceValue"] for row in rows.values()} == {"m"}
    assert m["impactRatio"] == 1.0 and m["pValue"] is None and m["significanceTest"] is None
    assert f["impactRatio"] == pytest.approx(0.7) and f["flagged"]
    # Large groups: the pooled two-proportion z-test, checked by hand; Fisher's exact p beside it.
    pooled = (35 + 50) / 200
    z = (0.35 - 0.5) / math.sqrt(pooled * (1 - pooled) * (2 / 100))
    assert f["significanceTest"] == "two_proportion_z"
    assert f["zStatistic"] == pytest.approx(z, rel=1e-9) and f["pValue"] == pytest.approx(2 * norm.sf(abs(z)))
    assert f["fisherPValue"] == pytest.approx(fisher_exact([[35, 65], [50, 50]]).pvalue)
    # Whatever is shown, x's selections stay unknown: the shown counts sum to less than the total by y + x.
    shown = sum(row["selected"] for row in rows.values() if not row["withheld"])
    assert shown == 85 and all(row["selected"] != 2 for row in rows.values())


async def test_fisher_for_small_groups_and_a_lone_small_group_shows_nothing(gql, min_group_size):
    people = applicants({"gender": "m"}, 20, 18) + applicants({"gender": "f"}, 12, 4)
    rows = await impact(gql, await requisition_with(people, seed=62), ["gender"])
    f = rows[("gender", "f")]
    # Expected non-selections among women: 12 × 10/32 = 3.75 < 5, so the z-test's approximation does not hold.
    assert f["significanceTest"] == "fisher_exact" and f["zStatistic"] is None
    assert f["pValue"] == f["fisherPValue"] == pytest.approx(fisher_exact([[4, 8], [18, 2]]).pvalue)
    assert f["impactRatio"] == pytest.approx((4 / 12) / (18 / 20)) and f["flagged"]

    # Two groups, one too small: showing the other would give the small one away (the key's total is known).
    people = applicants({"gender": "m"}, 40, 20) + applicants({"gender": "f"}, 3, 0)
    rows = await impact(gql, await requisition_with(people, seed=63), ["gender"])
    assert all(row["withheld"] for row in rows.values())
    assert rows[("gender", "m")]["enoughData"] and not rows[("gender", "f")]["enoughData"]
    assert {row["referenceValue"] for row in rows.values()} == {None}
    assert [row["applicants"] for row in rows.values()] == [3, 40]


async def test_intersections_withhold_rows_and_columns_that_would_give_a_cell_away(gql, min_group_size):
    people: list[Applicant] = []
    for gender, sizes in (("f", (50, 47, 3)), ("m", (40, 30, 30))):
        for band, size in zip(("<30", "30-50", "50+"), sizes, strict=True):
            people += applicants({"gender": gender, "age_band": band}, size, size // 2)
    rows = await impact(gql, await requisition_with(people, seed=64), ["gender", "age_band"])
    withheld = sorted(value for (key, value), row in rows.items() if row["withheld"])
    # f×50+ (3) is too few; its row (f×30-50, the smallest other) and column (m×50+) follow, then m×30-50 so
    # that the 30-50 column does not withhold f×30-50 alone.
    assert withheld == ["f×30-50", "f×50+", "m×30-50", "m×50+"]
    assert not rows[("gender×age_band", "f×50+")]["enoughData"]
    assert all(rows[key]["enoughData"] for key in rows if key[1] != "f×50+")
    assert_no_line_gives_one_away(rows, min_group_size)
    # The single keys are all large: shown, with their reference and tests.
    for key, group in groupby(sorted(rows), key=lambda item: item[0]):
        if "×" not in key:
            assert all(not rows[item]["withheld"] and rows[item]["referenceValue"] for item in group)
    shown = [row for row in rows.values() if row["groupKey"] == "gender×age_band" and not row["withheld"]]
    assert [row["groupValue"] for row in shown] == ["f×<30", "m×<30"]
    assert {row["referenceValue"] for row in rows.values() if row["groupKey"] == "gender×age_band"} == {"f×<30"}


async def test_groups_over_the_minimum_are_untouched(gql, min_group_size):
    people = applicants({"gender": "m"}, 100, 50) + applicants({"gender": "f"}, 100, 35)
    rows = await impact(gql, await requisition_with(people, seed=65), ["gender"])
    assert not any(row["withheld"] or row["note"] for row in rows.values())
    assert rows[("gender", "f")]["selected"] == 35 and rows[("gender", "f")]["selectionRate"] == 0.35
