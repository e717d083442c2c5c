"""Re-weighting proposals and analytics services on the real tables, with a planted cohort."""

from __future__ import annotations

import math

import pytest
from sqlmodel import select

from gateway import models
from gateway.db import read_session, unit_of_work
from gateway.models.enums import KpiDirection, PeriodKind, ProposalStatus
from resolvers.analytics import reports
from resolvers.errors import DomainError, ErrorCode
from resolvers.services import reweighting
from resolvers.services.audit import person
from tests.analytics_cohort import PLANTED_R, build_cohort, build_planted_cohort
from tests.assertions import refused
from tests.db_helpers import all_row_counts, global_id
from tests.graphql_client import GraphQLClient

HR = person("hr-1", ["hr_admin"], name="hr@bank.example")


async def test_correlations_recover_planted_validity():
    cohort = await build_cohort(120)
    async with read_session() as session:
        correlations = await reports.dimension_kpi_correlations(cohort.version_id, session=session)
    by_key = {item.dimension_key: item for item in correlations}
    numeracy, service = by_key["numeracy"].pearson, by_key["service"].pearson
    assert numeracy.n == 120 and service.n == 120
    assert numeracy.ci_lower < PLANTED_R < numeracy.ci_upper  # oriented: fewer errors = better
    assert service.ci_lower < 0 < service.ci_upper


async def test_proposal_raises_predictive_dimension_and_apply_creates_version():
    cohort = await build_cohort(120)
    async with unit_of_work() as uow:
        proposal = await reweighting.create_proposal(cohort.version_id, session=uow.session, actor=HR)
    assert proposal.status is ProposalStatus.PROPOSED
    assert proposal.proposed_weights["numeracy"] > 0.3 and proposal.proposed_weights["service"] < 0.7
    assert abs(sum(proposal.proposed_weights.values()) - 1) < 1e-6
    assert proposal.kpi_id == cohort.kpi_id
    explanations = {entry["dimensionKey"]: entry["explanation"] for entry in proposal.evidence}
    assert "predicts error rate — higher numeracy goes with lower error rate (r = 0." in explanations["numeracy"]
    assert "30 % → 40 % (+10 points" in explanations["numeracy"]
    assert "no evidence that service predicts error rate (r = " in explanations["service"]
    assert [item["dimensionKey"] for item in proposal.question_suggestions] == ["service"]

    async with unit_of_work() as uow:
        applied, version = await reweighting.apply_proposal(proposal.id, session=uow.session, actor=HR)
    assert version.version == 2 and version.id != cohort.version_id
    async with read_session() as session:
        dimensions = (
            await session.exec(select(models.Dimension).where(models.Dimension.model_version_id == version.id))
        ).all()
        weights = {dimension.key: dimension.weight for dimension in dimensions}
        assert weights == applied.proposed_weights
        questions = (
            await session.exec(
                select(models.Question).where(models.Question.dimension_id.in_([d.id for d in dimensions]))
            )
        ).all()
        assert len(questions) == 2
        links = (
            await session.exec(
                select(models.DimensionKpiLink).where(
                    models.DimensionKpiLink.dimension_id.in_([d.id for d in dimensions])
                )
            )
        ).all()
        assert len(links) == 2
        requisition = await session.get(models.Requisition, cohort.requisition_id)
        assert requisition.competency_model_version_id == cohort.version_id  # running requisitions keep their pin
        actions = (await session.exec(select(models.AuditEvent.action))).all()
        assert {"reweighting_proposal.create", "reweighting_proposal.apply", "competency_model.version_create"} <= set(
            actions
        )

    # Applying twice is an idempotent replay: the same version, nothing written.
    before = await all_row_counts()
    async with unit_of_work() as uow:
        _, again = await reweighting.apply_proposal(proposal.id, session=uow.session, actor=HR)
    assert again.id == version.id
    assert await all_row_counts() == before

    with pytest.raises(DomainError) as refused:
        async with unit_of_work() as uow:
            await reweighting.reject_proposal(proposal.id, "no", session=uow.session, actor=HR)
    assert refused.value.errors[0].code is ErrorCode.ILLEGAL_TRANSITION


async def test_reject_then_apply_is_illegal():
    cohort = await build_cohort(30)
    async with unit_of_work() as uow:
        proposal = await reweighting.create_proposal(cohort.version_id, session=uow.session, actor=HR)
    async with unit_of_work() as uow:
        rejected = await reweighting.reject_proposal(proposal.id, "wait a year", session=uow.session, actor=HR)
    assert rejected.status is ProposalStatus.REJECTED and rejected.notes == "wait a year"
    with pytest.raises(DomainError) as refused:
        async with unit_of_work() as uow:
            await reweighting.apply_proposal(proposal.id, session=uow.session, actor=HR)
    assert refused.value.errors[0].code is ErrorCode.ILLEGAL_TRANSITION


async def test_proposal_refused_without_enough_data():
    cohort = await build_cohort(8)
    with pytest.raises(DomainError) as refused:
        async with unit_of_work() as uow:
            await reweighting.create_proposal(cohort.version_id, session=uow.session, actor=HR)
    assert refused.value.errors[0].code is ErrorCode.NOT_ENOUGH_DATA
    assert "Numeracy → Error rate: not enough data (n = 8, need 10)" in refused.value.errors[0].message
    with pytest.raises(DomainError) as unknown:
        async with unit_of_work() as uow:
            await reweighting.create_proposal(999_999, session=uow.session, actor=HR)
    assert unknown.value.errors[0].code is ErrorCode.NOT_FOUND


async def test_prediction_and_ability_map_from_tables():
    cohort = await build_cohort(80, with_targets=False)
    async with read_session() as session:
        prediction = await reports.performance_prediction(
            cohort.version_id, cohort.kpi_id, {"numeracy": 90.0, "service": 60.0}, session=session
        )
        average = await reports.performance_prediction(
            cohort.version_id, cohort.kpi_id, {"numeracy": 40.0, "service": 60.0}, session=session
        )
        ability = await reports.employee_ability_performance(cohort.employee_ids[0], session=session)
    assert prediction.enough_data and prediction.beats_baseline and prediction.n == 80
    assert prediction.prediction < average.prediction  # better numeracy, fewer errors
    assert prediction.prediction_lower < prediction.prediction < prediction.prediction_upper
    assert set(ability.scores) == {"numeracy", "service"} and ability.scores["numeracy"] > 0
    assert ability.kpis[0].periods == 2 and ability.kpis[0].attainment is None
    assert ability.gaps[0].flag == "unknown"  # no target: no gap claimed


# ---------------------------------------------------------------------------------------------
# The issue-11 cohort through the GraphQL API: uncertainty, KPI names, priorities, the exact step
# ---------------------------------------------------------------------------------------------

ERRORS = "errors { field message code }"
PROPOSE = f"""
mutation($input: ReweightingProposalCreateInput!) {{
  reweightingProposalCreate(input: $input) {{
    proposal {{
      id
      proposedWeights {{ dimensionKey weight }}
      evidence {{
        dimensionKey currentWeight proposedWeight change basis combinedValidity explanation kpiKeys r n enoughData
        kpis {{
          kpiId kpiKey kpiName kpiNameZh direction priorityShare r n ciLower ciUpper pValue conservativeR
          evidence explanation
        }}
      }}
      questionSuggestions {{ dimensionKey suggestion }}
    }}
    {ERRORS}
  }}
}}"""
SET_PRIORITIES = f"""
mutation($input: CompetencyModelVersionKpiPrioritiesSetInput!) {{
  competencyModelVersionKpiPrioritiesSet(input: $input) {{
    version {{ id frozen kpiPriorities {{ priority share isDefault kpi {{ key nameEn nameZh }} }} }}
    {ERRORS}
  }}
}}"""
APPLY = f"""
mutation($input: ReweightingProposalApplyInput!) {{
  reweightingProposalApply(input: $input) {{
    version {{ id kpiPriorities {{ priority isDefault kpi {{ key }} }} }}
    {ERRORS}
  }}
}}"""
WEIGHT_UNITS = 10_000


def units(weight: float) -> int:
    return round(weight * WEIGHT_UNITS)


async def propose(gql, version_id: int) -> dict:
    payload = await gql.mutate(
        PROPOSE, "reweightingProposalCreate", input={"modelVersionId": global_id("CompetencyModelVersion", version_id)}
    )
    return payload["proposal"]


def by_dimension(proposal: dict) -> dict[str, dict]:
    return {entry["dimensionKey"]: entry for entry in proposal["evidence"]}


def assert_bounded_and_monotone(proposal: dict) -> None:
    """Every step within ±10 points exactly, weights summing to exactly 1, the more valid never gaining less."""
    evidence = proposal["evidence"]
    assert sum(units(entry["proposedWeight"]) for entry in evidence) == WEIGHT_UNITS
    for entry in evidence:
        step = units(entry["proposedWeight"]) - units(entry["currentWeight"])
        assert abs(step) <= 1000 and units(entry["change"]) == step
        assert entry["proposedWeight"] >= 0.05
    measured = [entry for entry in evidence if entry["basis"] == "MEASURED"]
    for more in measured:
        for less in measured:
            if more["combinedValidity"] > less["combinedValidity"]:
                assert more["change"] >= less["change"], (more, less)


async def test_planted_cohort_noise_gets_no_evidence_and_the_step_holds_exactly(gql):
    cohort = await build_planted_cohort()
    proposal = await propose(gql, cohort.version_id)
    evidence = by_dimension(proposal)
    a, b, c = evidence["a"], evidence["b"], evidence["c"]

    # B is noise: its interval includes 0, so its validity counts 0 and the words say so.
    link_b = b["kpis"][0]
    assert link_b["r"] == pytest.approx(0.14, abs=0.005) and link_b["pValue"] > 0.05  # "weakly predicts" before
    assert link_b["ciLower"] < 0 < link_b["ciUpper"] and link_b["evidence"] == "NONE"
    assert link_b["conservativeR"] == 0 and b["combinedValidity"] == 0
    statistics = f"r = {link_b['r']:.2f}, 95 % CI −{abs(link_b['ciLower']):.2f} to {link_b['ciUpper']:.2f}, n = 100"
    assert f"no evidence that B predicts sales ({statistics})" in b["explanation"]
    assert [item["dimensionKey"] for item in proposal["questionSuggestions"]] == ["b"]
    assert "no evidence that B predicts sales" in proposal["questionSuggestions"][0]["suggestion"]

    # A and C have evidence, each against its own KPI, named and oriented.
    assert a["kpis"][0]["evidence"] == "SUPPORTS" and 0 < a["kpis"][0]["conservativeR"] < a["kpis"][0]["r"]
    assert "higher sales drive goes with higher sales (r = 0." in a["explanation"]
    link_c = c["kpis"][0]
    assert (link_c["kpiName"], link_c["kpiNameZh"], link_c["direction"]) == ("Errors", "差错", "LOWER_IS_BETTER")
    assert link_c["evidence"] == "SUPPORTS" and link_c["r"] > 0  # oriented: fewer errors is better
    assert "risk awareness goes with fewer errors (r = 0." in c["explanation"]
    assert not any("loop_" in entry["explanation"] for entry in proposal["evidence"])
    assert {link["priorityShare"] for entry in proposal["evidence"] for link in entry["kpis"]} == {0.5}

    # The step holds exactly after renormalising; the most valid dimension gains the most.
    assert_bounded_and_monotone(proposal)
    assert a["combinedValidity"] > c["combinedValidity"] > 0
    assert (a["change"], b["change"]) == (0.1, -0.1) and a["change"] >= c["change"]
    assert "(+10 points, the step limit)" in a["explanation"]


async def test_kpi_priorities_steer_the_proposal_and_travel_with_applied_versions(gql):
    cohort = await build_planted_cohort(seed=8)
    version = global_id("CompetencyModelVersion", cohort.version_id)
    sales, errors = (global_id("KpiDefinition", cohort.kpi_ids[key]) for key in ("x", "y"))
    equal = await propose(gql, cohort.version_id)
    defaults = await gql(
        f'{{ node(id: "{version}") {{ ... on CompetencyModelVersion {{ kpiPriorities {{ share isDefault }} }} }} }}'
    )
    assert defaults["node"]["kpiPriorities"] == [{"share": 0.5, "isDefault": True}] * 2

    # Frozen (pinned by a requisition) and still accepted: priorities steer proposals only.
    payload = await gql.mutate(
        SET_PRIORITIES,
        "competencyModelVersionKpiPrioritiesSet",
        input={
            "modelVersionId": version,
            "priorities": [{"kpiId": sales, "priority": 1}, {"kpiId": errors, "priority": 3}],
        },
    )
    assert payload["version"]["frozen"]
    assert payload["version"]["kpiPriorities"] == [
        {
            "priority": 1.0,
            "share": 0.25,
            "isDefault": False,
            "kpi": {"key": "loop_x_sales_8", "nameEn": "Sales", "nameZh": "销售额"},
        },
        {
            "priority": 3.0,
            "share": 0.75,
            "isDefault": False,
            "kpi": {"key": "loop_y_errors_p1_8", "nameEn": "Errors", "nameZh": "差错"},
        },
    ]
    errors_first = await propose(gql, cohort.version_id)
    before, after = by_dimension(equal), by_dimension(errors_first)
    assert after["c"]["combinedValidity"] > after["a"]["combinedValidity"]  # errors now count three times as much
    assert after["c"]["change"] > before["c"]["change"] and after["a"]["change"] < before["a"]["change"]
    assert_bounded_and_monotone(errors_first)
    assert "KPI priorities sales 25 %, errors 75 %" in after["c"]["explanation"]

    async with read_session() as session:
        audit = (
            await session.exec(
                select(models.AuditEvent).where(
                    models.AuditEvent.action == "competency_model_version.kpi_priorities_set"
                )
            )
        ).one()
    assert audit.entity_id == cohort.version_id and audit.details["before"] is None
    assert audit.details["after"] == {str(cohort.kpi_ids["x"]): 1.0, str(cohort.kpi_ids["y"]): 3.0}

    applied = await gql.mutate(APPLY, "reweightingProposalApply", input={"proposalId": errors_first["id"]})
    assert [item["priority"] for item in applied["version"]["kpiPriorities"]] == [1.0, 3.0]

    # Sales only (errors left out counts 0): C keeps its weight, A and B are judged on sales.
    await gql.mutate(
        SET_PRIORITIES,
        "competencyModelVersionKpiPrioritiesSet",
        input={"modelVersionId": version, "priorities": [{"kpiId": sales, "priority": 2}]},
    )
    sales_only = by_dimension(await propose(gql, cohort.version_id))
    assert sales_only["c"]["basis"] == "NO_PRIORITY" and sales_only["c"]["change"] == 0
    assert "errors has priority 0 on this version" in sales_only["c"]["explanation"]
    # An empty list restores equal priorities.
    reset = await gql.mutate(
        SET_PRIORITIES, "competencyModelVersionKpiPrioritiesSet", input={"modelVersionId": version, "priorities": []}
    )
    assert {item["isDefault"] for item in reset["version"]["kpiPriorities"]} == {True}


async def test_kpi_priorities_bad_input_is_typed_and_writes_nothing(gql):
    cohort = await build_planted_cohort(applications=12, hires=10, seed=9)
    version = global_id("CompetencyModelVersion", cohort.version_id)
    sales, errors = (global_id("KpiDefinition", cohort.kpi_ids[key]) for key in ("x", "y"))
    async with unit_of_work() as uow:
        unlinked = models.KpiDefinition(
            key="unlinked",
            name_zh="未关联",
            name_en="Unlinked",
            unit="%",
            direction=KpiDirection.HIGHER_IS_BETTER,
            period_kind=PeriodKind.QUARTER,
        )
        uow.session.add(unlinked)
        await uow.session.flush()
        unlinked_id = global_id("KpiDefinition", unlinked.id)
    cases = [
        ([{"kpiId": global_id("KpiDefinition", 999_999), "priority": 1}], [("priorities.0.kpiId", "NOT_FOUND")]),
        ([{"kpiId": unlinked_id, "priority": 1}], [("priorities.0.kpiId", "KPI_NOT_LINKED")]),
        ([{"kpiId": sales, "priority": -1}], [("priorities.0.priority", "INVALID")]),
        ([{"kpiId": sales, "priority": 1e9}], [("priorities.0.priority", "INVALID")]),
        ([{"kpiId": sales, "priority": 0}, {"kpiId": errors, "priority": 0}], [("priorities", "INVALID")]),
        ([{"kpiId": sales, "priority": 1}, {"kpiId": sales, "priority": 2}], [("priorities.1.kpiId", "INVALID")]),
        ([{"kpiId": version, "priority": 1}], [("priorities.0.kpiId", "WRONG_TYPE")]),
        (
            [{"kpiId": unlinked_id, "priority": -2}, {"kpiId": errors, "priority": 1}],
            [("priorities.0.kpiId", "KPI_NOT_LINKED"), ("priorities.0.priority", "INVALID")],
        ),
    ]
    for priorities, expected in cases:
        errors_found = await refused(
            gql,
            SET_PRIORITIES,
            "competencyModelVersionKpiPrioritiesSet",
            input={"modelVersionId": version, "priorities": priorities},
        )
        assert [(error["field"], error["code"]) for error in errors_found] == expected, priorities
    unknown = await refused(
        gql,
        SET_PRIORITIES,
        "competencyModelVersionKpiPrioritiesSet",
        input={"modelVersionId": global_id("CompetencyModelVersion", 999_999), "priorities": []},
    )
    assert [(error["field"], error["code"]) for error in unknown] == [("modelVersionId", "NOT_FOUND")]
    recruiter = GraphQLClient(person("rec-1", ["recruiter"]))
    result = await recruiter.execute(SET_PRIORITIES, input={"modelVersionId": version, "priorities": []})
    assert [(error.extensions or {}).get("code") for error in result.errors] == ["FORBIDDEN"]


async def test_not_enough_data_is_a_typed_state_with_the_reason(gql):
    no_hires = await build_planted_cohort(applications=20, hires=0, seed=10)
    too_few = await build_planted_cohort(applications=12, hires=8, seed=11)
    for cohort, reason in [
        (no_hires, "Sales drive → Sales: not enough data (n = 0, need 10)"),
        (too_few, "Risk awareness → Errors: not enough data (n = 8, need 10)"),
    ]:
        found = await refused(
            gql,
            PROPOSE,
            "reweightingProposalCreate",
            input={"modelVersionId": global_id("CompetencyModelVersion", cohort.version_id)},
        )
        assert [error["code"] for error in found] == ["NOT_ENOUGH_DATA"] and found[0]["field"] == "modelVersionId"
        assert reason in found[0]["message"]

    # Constant C scores and a KPI without actuals: C is not judged and keeps its weight; A and B still are.
    constant = await build_planted_cohort(seed=12, constant_c=True, extra_kpi_without_actuals=True)
    proposal = await propose(gql, constant.version_id)
    c = by_dimension(proposal)["c"]
    assert c["basis"] == "NOT_ENOUGH_DATA" and c["change"] == 0 and c["combinedValidity"] is None
    assert [link["evidence"] for link in c["kpis"]] == ["NOT_ENOUGH_DATA", "NOT_ENOUGH_DATA"]
    assert "cannot judge risk awareness against errors yet: no variation in one of the variables" in c["explanation"]
    assert "cannot judge risk awareness against complaints yet: not enough data (n = 0, need 10)" in c["explanation"]
    assert by_dimension(proposal)["a"]["basis"] == "MEASURED"
    assert_bounded_and_monotone(proposal)
    for entry in proposal["evidence"]:
        for link in entry["kpis"]:
            assert all(value is None or math.isfinite(value) for value in (link["r"], link["ciLower"], link["pValue"]))
