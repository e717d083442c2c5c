"""Selection utility (Brogden–Cronbach–Gleser) over GraphQL, checked against numpy/scipy on the planted data.

``selectionUtility`` and ``dimensionKpiCorrelations { selectionUtility }`` on ``tests.utility_cohort``: every
figure equals an independent computation to 1e-6, the typed "not enough data" states come back instead of
NaN or an error, and the data access sends a fixed number of statements with a handful of parameters each,
whatever the cohort's size (no id lists).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from scipy import stats
from sqlalchemy import event

from gateway import db, models
from resolvers.analytics.utility import KpiFacts, PairedMoments, UtilityStatus, selection_utility
from resolvers.analytics.utility_queries import UtilityScope, selection_utilities
from resolvers.services.audit import person
from tests.analytics_cohort import build_cohort
from tests.assertions import codes
from tests.db_helpers import global_id, insert, row_count
from tests.graphql_client import GraphQLClient
from tests.utility_cohort import build_utility_cohort

FIELDS = """kpiId kpiKey kpiName unit direction status enoughData note n applicants hires selectionRatio
  selectionRatioGiven validity validityCiLower validityCiUpper validityPValue kpiMean kpiStandardDeviation cutoffZ
  meanSelectedZ gainPerHire gainCiLower gainCiUpper explanation explanationZh"""
UTILITY = f"""
query($version: ID!, $kpi: ID!, $ratio: Float, $period: String) {{
  selectionUtility(modelVersionId: $version, kpiId: $kpi, selectionRatio: $ratio, period: $period) {{
    utility {{ {FIELDS} }}
    errors {{ field message code }}
  }}
}}"""
CORRELATIONS = f"""
query($version: ID!, $ratio: Float, $period: String) {{
  dimensionKpiCorrelations(modelVersionId: $version, selectionRatio: $ratio, period: $period) {{
    correlations {{ dimensionKey kpiKey }}
    selectionUtility {{ {FIELDS} }}
    errors {{ field message code }}
  }}
}}"""


@pytest.fixture
def gql() -> GraphQLClient:
    return GraphQLClient()


def expected_utility(totals: np.ndarray, kpi: np.ndarray, ratio: float, *, lower_is_better: bool) -> dict[str, float]:
    """Brogden–Cronbach–Gleser straight from the arrays with numpy and scipy."""
    r, p_value = stats.pearsonr(totals, kpi)
    r = -r if lower_is_better else r
    n = totals.size
    z, half = np.arctanh(r), stats.norm.ppf(0.975) / np.sqrt(n - 3)
    r_lower, r_upper = np.tanh(z - half), np.tanh(z + half)
    sd = np.std(kpi, ddof=1)
    cutoff = stats.norm.ppf(1 - ratio)
    ordinate = stats.norm.pdf(cutoff)
    return {
        "validity": r,
        "validityCiLower": r_lower,
        "validityCiUpper": r_upper,
        "validityPValue": p_value,
        "kpiMean": float(np.mean(kpi)),
        "kpiStandardDeviation": sd,
        "cutoffZ": cutoff,
        "meanSelectedZ": ordinate / ratio,
        "gainPerHire": r * sd * ordinate / ratio,
        "gainCiLower": r_lower * sd * ordinate / ratio,
        "gainCiUpper": r_upper * sd * ordinate / ratio,
    }


def assert_matches(answer: dict[str, Any], expected: dict[str, float]) -> None:
    for name, value in expected.items():
        assert answer[name] == pytest.approx(value, rel=1e-6, abs=1e-6), name


def assert_no_nan(answer: dict[str, Any]) -> None:
    assert all(not (isinstance(value, float) and not math.isfinite(value)) for value in answer.values()), answer


async def test_gain_per_hire_matches_an_independent_computation(gql):
    cohort = await build_utility_cohort()
    version = global_id("CompetencyModelVersion", cohort.base.version_id)
    ratio = cohort.hires / cohort.applicants
    assert 0.1 < ratio < 0.2 and cohort.totals.size == 144

    sales = (await gql(UTILITY, version=version, kpi=global_id("KpiDefinition", cohort.sales_kpi_id), period="2026"))[
        "selectionUtility"
    ]
    assert sales["errors"] == []
    answer = sales["utility"]
    assert (answer["status"], answer["enoughData"], answer["note"]) == ("OK", True, "")
    assert (answer["n"], answer["applicants"], answer["hires"]) == (144, cohort.applicants, cohort.hires)
    assert answer["selectionRatio"] == pytest.approx(ratio, abs=1e-12) and not answer["selectionRatioGiven"]
    assert_matches(answer, expected_utility(cohort.totals, cohort.sales, ratio, lower_is_better=False))
    assert answer["validity"] > 0.3 and answer["gainCiLower"] > 0
    assert answer["explanation"].startswith(
        f"Selecting by the interview total at a selection ratio of {ratio * 100:.3g} %"
    )
    assert "gains about" in answer["explanation"] and "sales per hire on Monthly sales" in answer["explanation"]
    assert "每位录用者的月销售笔数比随机选拔平均高约" in answer["explanationZh"]

    # Lower is better: r is oriented (more total, fewer errors), the gain is "lower error rate" in %.
    errors = (await gql(UTILITY, version=version, kpi=global_id("KpiDefinition", cohort.base.kpi_id), period="2026"))[
        "selectionUtility"
    ]["utility"]
    expected = expected_utility(cohort.totals, cohort.error_rate, ratio, lower_is_better=True)
    assert_matches(errors, expected)
    assert errors["validity"] > 0 and errors["direction"] == "LOWER_IS_BETTER"
    assert "lowers Error rate by about" in errors["explanation"] and "(lower is better)" in errors["explanation"]
    assert "差错率比随机选拔平均低约" in errors["explanationZh"]

    # The caller's selection ratio replaces the requisitions' own.
    given = (
        await gql(
            UTILITY, version=version, kpi=global_id("KpiDefinition", cohort.sales_kpi_id), ratio=0.1, period="2026"
        )
    )["selectionUtility"]["utility"]
    assert given["selectionRatio"] == 0.1 and given["selectionRatioGiven"]
    assert_matches(given, expected_utility(cohort.totals, cohort.sales, 0.1, lower_is_better=False))
    assert "at a selection ratio of 10 % gains about" in given["explanation"]
    # Three reads, three audit events naming the 144 hires' latest reports.
    events = await _events("selection_utility.read")
    assert len(events) == 3 and all(len(event.details["report_ids"]) == 144 for event in events)
    assert events[0].details["kpi_ids"] == [cohort.sales_kpi_id] and events[0].details["n"] == 144


async def test_a_large_offset_is_summed_again_around_the_mean(gql):
    """Balances of 10⁹ ± 40: Σy² − (Σy)²/n would keep no digit of the spread; the centred pass keeps them all."""
    cohort = await build_utility_cohort(hires=60, applicants=300, seed=8)
    answer = (
        await gql(
            UTILITY,
            version=global_id("CompetencyModelVersion", cohort.base.version_id),
            kpi=global_id("KpiDefinition", cohort.wide_kpi_id),
            period="2026",
        )
    )["selectionUtility"]["utility"]
    ratio = cohort.hires / cohort.applicants
    assert answer["status"] == "OK"
    assert_matches(answer, expected_utility(cohort.totals, cohort.balance, ratio, lower_is_better=False))


async def test_utility_beside_the_correlations(gql):
    cohort = await build_utility_cohort(hires=60, applicants=300, seed=9)
    version = global_id("CompetencyModelVersion", cohort.base.version_id)
    result = (await gql(CORRELATIONS, version=version, ratio=0.25, period="2026"))["dimensionKpiCorrelations"]
    assert result["errors"] == [] and len(result["correlations"]) == 3
    # One figure per linked KPI, in the order of the links (error rate first, then sales).
    assert [item["kpiKey"] for item in result["selectionUtility"]] == ["error_rate_9", "sales_9"]
    error_rate, sales = result["selectionUtility"]
    assert_matches(sales, expected_utility(cohort.totals, cohort.sales, 0.25, lower_is_better=False))
    assert_matches(error_rate, expected_utility(cohort.totals, cohort.error_rate, 0.25, lower_is_better=True))
    assert len(await _events("selection_utility.read")) == 1
    # Not asked for, not computed (nor audited).
    plain = "query($v: ID!) { dimensionKpiCorrelations(modelVersionId: $v) { correlations { kpiKey } } }"
    await gql(plain, v=version)
    assert len(await _events("selection_utility.read")) == 1
    bad = (await gql(CORRELATIONS, version=version, ratio=0.0))["dimensionKpiCorrelations"]
    assert bad["correlations"] is None and bad["selectionUtility"] is None
    assert [(error["field"], error["code"]) for error in bad["errors"]] == [("selectionRatio", "INVALID")]


async def test_not_enough_data_states_are_typed(gql):
    # A version with no hires at all.
    empty = await build_cohort(0, seed=21)
    answer = await _utility(gql, empty.version_id, empty.kpi_id)
    assert (answer["status"], answer["enoughData"], answer["gainPerHire"]) == ("NO_HIRES", False, None)
    assert answer["selectionRatio"] is None and answer["n"] == 0

    # Hires, but no KPI actuals in the period asked for.
    few = await build_cohort(6, seed=22)
    await _rejected_applicants(few.requisition_id, 30)
    answer = await _utility(gql, few.version_id, few.kpi_id, period="2024")
    assert answer["status"] == "NO_KPI_RESULTS" and answer["hires"] == 6 and answer["applicants"] == 36
    # Six hires with results: under the minimum n.
    answer = await _utility(gql, few.version_id, few.kpi_id)
    assert (answer["status"], answer["n"], answer["validity"]) == ("TOO_FEW_HIRES", 6, None)
    assert "n = 6, need 10" in answer["note"] and answer["selectionRatio"] == pytest.approx(6 / 36)

    # Every hire with the same total: no variation, no validity.
    flat = await build_cohort(20, seed=23)
    await _rejected_applicants(flat.requisition_id, 30)
    await _set_totals(flat.application_ids, 70.0)
    answer = await _utility(gql, flat.version_id, flat.kpi_id)
    assert answer["status"] == "NO_VARIATION" and "interview totals" in answer["note"]
    # Every hire with the same KPI result.
    same = await build_cohort(20, seed=24)
    await _rejected_applicants(same.requisition_id, 30)
    await _set_actuals(same.kpi_id, 1.5)
    answer = await _utility(gql, same.version_id, same.kpi_id)
    assert answer["status"] == "NO_VARIATION" and "Error rate results" in answer["note"]

    # Everyone hired: a selection ratio of 1 gains nothing (the validity is still measured).
    everyone = await build_cohort(30, seed=25)
    answer = await _utility(gql, everyone.version_id, everyone.kpi_id)
    assert (answer["status"], answer["enoughData"], answer["selectionRatio"]) == ("NO_SELECTION", True, 1.0)
    assert (answer["gainPerHire"], answer["gainCiLower"], answer["gainCiUpper"]) == (0.0, 0.0, 0.0)
    assert answer["validity"] is not None and answer["cutoffZ"] is None
    assert "everyone is hired" in answer["explanation"]
    for state in await _all_states(gql, [empty, few, flat, same, everyone]):
        assert_no_nan(state)


async def test_bad_input_and_permissions(gql):
    cohort = await build_cohort(12, seed=31)
    version = global_id("CompetencyModelVersion", cohort.version_id)
    kpi = global_id("KpiDefinition", cohort.kpi_id)
    for ratio in (0.0, -0.2, 1.5):
        result = (await gql(UTILITY, version=version, kpi=kpi, ratio=ratio))["selectionUtility"]
        assert result["utility"] is None and [(e["field"], e["code"]) for e in result["errors"]] == [
            ("selectionRatio", "INVALID")
        ]
    for variables, field, code in [
        ({"version": version, "kpi": global_id("KpiDefinition", 999_999)}, "kpiId", "NOT_FOUND"),
        ({"version": global_id("CompetencyModelVersion", 999_999), "kpi": kpi}, "modelVersionId", "NOT_FOUND"),
        ({"version": version, "kpi": version}, "kpiId", "WRONG_TYPE"),
        ({"version": "nonsense", "kpi": kpi}, "modelVersionId", "INVALID_ID"),
    ]:
        result = (await gql(UTILITY, **variables))["selectionUtility"]
        assert result["utility"] is None and [(e["field"], e["code"]) for e in result["errors"]] == [(field, code)]
    assert codes((await gql(UTILITY, version=version, kpi=kpi, ratio=1.0))["selectionUtility"]["errors"]) == []
    recruiter = GraphQLClient(person("rec-1", ["recruiter"]))
    refused = await recruiter.execute(UTILITY, version=version, kpi=kpi)
    assert [(error.extensions or {}).get("code") for error in refused.errors or []] == ["FORBIDDEN"]
    assert await row_count(models.AuditEvent) == 1  # the one read that answered; refusals are not reads


async def _statements(scope: UtilityScope) -> tuple[list[UtilityStatus], list[tuple[str, int]]]:
    """The statuses ``selection_utilities`` answers, and each statement it sent with its parameter count."""
    seen: list[tuple[str, int]] = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, len(parameters or ())))

    engine = db.get_engine().sync_engine
    event.listen(engine, "before_cursor_execute", listener)
    try:
        async with db.read_session() as session:
            answer = await selection_utilities(scope, session=session)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return [item.status for item in answer.utilities], seen


async def test_data_access_is_a_few_aggregates_whatever_the_size():
    """The same statements, each with a handful of parameters, for 25 hires or 100: sums, never id lists."""
    shapes = []
    for hires, applicants, seed in ((25, 120, 41), (100, 500, 43)):
        cohort = await build_utility_cohort(hires=hires, applicants=applicants, seed=seed)
        statuses, seen = await _statements(UtilityScope(cohort.base.version_id, None, None, "2026", None))
        assert statuses == [UtilityStatus.OK, UtilityStatus.OK]
        assert max(count for _, count in seen) <= 12, seen
        shapes.append([count for _, count in seen])
    assert shapes[0] == shapes[1] and len(shapes[0]) == 5
    # A KPI whose raw sums lose the spread costs one more aggregate (the centred pass), no more.
    wide, seen = await _statements(UtilityScope(cohort.base.version_id, cohort.wide_kpi_id, None, "2026", None))
    sales, seen_sales = await _statements(UtilityScope(cohort.base.version_id, cohort.sales_kpi_id, None, "2026", None))
    assert wide == sales == [UtilityStatus.OK] and len(seen) == len(seen_sales) + 1


def test_wording_of_a_loss_and_of_an_interval_through_zero():
    kpi = KpiFacts(1, "errors", "Error rate", "差错率", "%", lower_is_better=True)
    # Totals that go with MORE errors: the oriented validity is negative, the selection costs.
    moments = PairedMoments(n=50, mean_x=60, mean_y=2, sxx=5000, syy=20, sxy=60, x_constant=False, y_constant=False)
    result = selection_utility(kpi, moments, applicants=500, hires=50)
    assert result.validity is not None and result.validity < 0 and result.gain_per_hire < 0
    assert "raises Error rate by about" in result.explanation and "worse than random" in result.explanation
    assert "差错率比随机选拔平均高约" in result.explanation_zh
    assert result.gain_ci_lower < 0 < result.gain_ci_upper
    assert "The interval includes zero" in result.explanation
    with pytest.raises(ValueError):
        selection_utility(kpi, moments, applicants=500, hires=50, selection_ratio=0.0)
    # A narrow interval gets the decimals its ends need to differ.
    sales = KpiFacts(2, "sales", "Monthly sales", "月销售笔数", "sales", lower_is_better=False)
    sxy = 0.3 * math.sqrt(1.44e7 * 1.6e6)
    large = PairedMoments(100_000, 60, 20, 1.44e7, 1.6e6, sxy, x_constant=False, y_constant=False)
    result = selection_utility(sales, large, applicants=1_000_000, hires=100_000)
    lower, upper = f"{result.gain_ci_lower:.2f}", f"{result.gain_ci_upper:.2f}"
    assert lower != upper and f"(95 % CI {lower} to {upper})" in result.explanation
    assert f"gains about {result.gain_per_hire:.2f} sales per hire on Monthly sales" in result.explanation


async def _utility(gql: GraphQLClient, version_id: int, kpi_id: int, period: str | None = None) -> dict[str, Any]:
    result = (
        await gql(
            UTILITY,
            version=global_id("CompetencyModelVersion", version_id),
            kpi=global_id("KpiDefinition", kpi_id),
            period=period,
        )
    )["selectionUtility"]
    assert result["errors"] == []
    return result["utility"]


async def _all_states(gql: GraphQLClient, cohorts: list) -> list[dict[str, Any]]:
    return [await _utility(gql, cohort.version_id, cohort.kpi_id) for cohort in cohorts]


async def _rejected_applicants(requisition_id: int, count: int) -> None:
    """``count`` scored applicants who were not hired (so that the selection ratio is under 1)."""
    from datetime import timedelta

    from gateway.models.base import utcnow
    from gateway.models.enums import ApplicationStage

    candidates = [models.Candidate(full_name=f"R{i}", email=f"r{requisition_id}-{i}@example.com") for i in range(count)]
    await insert(*candidates)
    applications = [
        models.Application(candidate_id=c.id, requisition_id=requisition_id, stage=ApplicationStage.REJECTED)
        for c in candidates
    ]
    await insert(*applications)
    interviews = [
        models.Interview(
            application_id=a.id, token_hash=f"r{requisition_id:08d}{a.id:055d}", expires_at=utcnow() + timedelta(days=1)
        )
        for a in applications
    ]
    await insert(*interviews)
    await insert(
        *[
            models.InterviewReport(
                interview_id=i.id, requisition_id=requisition_id, total=40.0 + index % 30, pipeline_version="p2"
            )
            for index, i in enumerate(interviews)
        ]
    )


async def _set_totals(application_ids: list[int], total: float) -> None:
    from sqlalchemy import update
    from sqlmodel import col, select

    async with db.unit_of_work() as uow:
        interviews = select(models.Interview.id).where(col(models.Interview.application_id).in_(application_ids))
        await uow.session.exec(
            update(models.InterviewReport)
            .where(col(models.InterviewReport.interview_id).in_(interviews))
            .values(total=total)
        )


async def _set_actuals(kpi_id: int, actual: float) -> None:
    from sqlalchemy import update
    from sqlmodel import col, select

    async with db.unit_of_work() as uow:
        assignments = select(models.KpiAssignment.id).where(models.KpiAssignment.kpi_id == kpi_id)
        await uow.session.exec(
            update(models.KpiRecord).where(col(models.KpiRecord.assignment_id).in_(assignments)).values(actual=actual)
        )


async def _events(action: str) -> list[models.AuditEvent]:
    from sqlmodel import select

    async with db.read_session() as session:
        return list((await session.exec(select(models.AuditEvent).where(models.AuditEvent.action == action))).all())
