"""Analytics over GraphQL on the real tables: each query and mutation, permissions and bad input.

Until ``schema.root`` includes ``AnalyticsQuery`` and ``AnalyticsMutations`` the tests run against a
local schema built from the root types plus these mixins (the root schema once it carries them).
"""

from __future__ import annotations

from datetime import timedelta
from functools import cache
from typing import Any

import pytest
import strawberry

from gateway import models
from gateway.models.base import utcnow
from gateway.models.enums import ApplicationStage, BusinessLine
from resolvers.services.audit import Actor, person
from resolvers.services.invitations import hash_token
from schema.analytics_query import AnalyticsQuery
from schema.context import Context
from schema.mutations.analytics import AnalyticsMutations
from schema.root import NODE_TYPES, Mutation, RootQuery
from schema.root import schema as root_schema
from schema.types.reweighting import ReweightingProposal
from tests.analytics_cohort import Cohort, build_cohort
from tests.assertions import codes, refused
from tests.db_helpers import fetch, global_id, insert, row_count
from tests.graphql_client import HR_ADMIN, GraphQLClient

ERRORS = "errors { field message code }"


@cache
def analytics_schema() -> strawberry.Schema:
    if issubclass(RootQuery, AnalyticsQuery) and issubclass(Mutation, AnalyticsMutations):
        return root_schema

    @strawberry.type(name="Query")
    class Query(RootQuery, AnalyticsQuery):
        pass

    @strawberry.type(name="Mutation")
    class AnalyticsMutation(Mutation, AnalyticsMutations):
        pass

    return strawberry.Schema(query=Query, mutation=AnalyticsMutation, types=[*NODE_TYPES, ReweightingProposal])


class AnalyticsClient(GraphQLClient):
    async def execute(self, query: str, **variables: Any) -> Any:
        return await analytics_schema().execute(
            query, variable_values=variables, context_value=Context(actor=self.actor)
        )


@pytest.fixture
def client() -> AnalyticsClient:
    return AnalyticsClient()


def top_level_codes(result: Any) -> list[str | None]:
    return [(error.extensions or {}).get("code") for error in result.errors or []]


REQUISITION_ANALYTICS = f"""
query($id: ID!) {{
  requisitionAnalytics(requisitionId: $id) {{
    analytics {{
      requisitionId
      passRates {{ stage reached shareOfApplications rateFromPrevious }}
      totals {{ n mean median bins {{ lower upper count }} }}
      strongestDimensions {{ dimensionKey mean n }}
      weakestDimensions {{ dimensionKey mean }}
    }}
    {ERRORS}
  }}
}}"""


async def test_requisition_analytics(client):
    cohort = await build_cohort(20)
    requisition_id = global_id("Requisition", cohort.requisition_id)
    result = (await client(REQUISITION_ANALYTICS, id=requisition_id))["requisitionAnalytics"]
    assert result["errors"] == []
    analytics = result["analytics"]
    rates = {rate["stage"]: rate for rate in analytics["passRates"]}
    assert rates["hired"]["reached"] == 20 and rates["hired"]["shareOfApplications"] == 1.0
    assert analytics["totals"]["n"] == 20 and sum(b["count"] for b in analytics["totals"]["bins"]) == 20
    # Planted means 65 vs 60; two dimensions: one is the strongest, the other the weakest, never both.
    assert [item["dimensionKey"] for item in analytics["strongestDimensions"]] == ["numeracy"]
    assert [item["dimensionKey"] for item in analytics["weakestDimensions"]] == ["service"]

    for bad_id, code in [
        (global_id("Requisition", 999_999), "NOT_FOUND"),
        (global_id("Candidate", cohort.requisition_id), "WRONG_TYPE"),
        ("not-an-id", "INVALID_ID"),
    ]:
        answer = (await client(REQUISITION_ANALYTICS, id=bad_id))["requisitionAnalytics"]
        assert answer["analytics"] is None and codes(answer["errors"]) == [code]

    # A hiring manager sees only their own requisitions: others are "not found", never numbers.
    manager = AnalyticsClient(person("hm-2", ["hiring_manager"]))
    answer = (await manager(REQUISITION_ANALYTICS, id=requisition_id))["requisitionAnalytics"]
    assert codes(answer["errors"]) == ["NOT_FOUND"]


CORRELATIONS = f"""
query($id: ID!, $period: String) {{
  dimensionKpiCorrelations(modelVersionId: $id, period: $period) {{
    correlations {{ dimensionKey kpiKey pearson {{ n r ciLower ciUpper pValue enoughData note }} spearman {{ r }} }}
    {ERRORS}
  }}
}}"""


async def test_dimension_kpi_correlations_and_permissions(client):
    cohort = await build_cohort(60)
    version_id = global_id("CompetencyModelVersion", cohort.version_id)
    result = (await client(CORRELATIONS, id=version_id, period="2026"))["dimensionKpiCorrelations"]
    by_key = {item["dimensionKey"]: item for item in result["correlations"]}
    assert by_key["numeracy"]["pearson"]["r"] > 0.3 and by_key["numeracy"]["pearson"]["n"] == 60
    assert by_key["numeracy"]["pearson"]["ciLower"] > 0
    # No records in 2025: "not enough data", never a number.
    empty = (await client(CORRELATIONS, id=version_id, period="2025"))["dimensionKpiCorrelations"]
    assert all(not item["pearson"]["enoughData"] and item["pearson"]["r"] is None for item in empty["correlations"])
    recruiter = AnalyticsClient(person("rec-1", ["recruiter"]))
    assert top_level_codes(await recruiter.execute(CORRELATIONS, id=version_id)) == ["FORBIDDEN"]
    unknown = (await client(CORRELATIONS, id=global_id("CompetencyModelVersion", 999)))["dimensionKpiCorrelations"]
    assert codes(unknown["errors"]) == ["NOT_FOUND"]


ABILITY = f"""
query($id: ID!) {{
  employeeAbilityPerformance(employeeId: $id) {{
    abilityPerformance {{
      dimensionScores {{ dimensionKey score }}
      kpis {{ kpiKey direction periods actual target attainment }}
      gaps {{ dimensionKey kpiKey flag explanation }}
    }}
    {ERRORS}
  }}
}}"""


async def test_employee_ability_performance(client):
    cohort = await build_cohort(12)
    result = (await client(ABILITY, id=global_id("Employee", cohort.employee_ids[0])))["employeeAbilityPerformance"]
    data = result["abilityPerformance"]
    assert {item["dimensionKey"] for item in data["dimensionScores"]} == {"numeracy", "service"}
    assert data["kpis"][0]["direction"] == "LOWER_IS_BETTER" and data["kpis"][0]["periods"] == 2
    # Both dimensions are linked to error_rate (the assignment names numeracy only): both are compared.
    assert [(gap["dimensionKey"], gap["kpiKey"]) for gap in data["gaps"]] == [
        ("numeracy", "error_rate_0"),
        ("service", "error_rate_0"),
    ]
    assert data["gaps"][0]["flag"] in {"high_score_low_kpi", "low_score_high_kpi", "low_score_low_kpi", "consistent"}
    assert await row_count(models.AuditEvent) == 1  # the interview report behind the scores was read
    unknown = (await client(ABILITY, id=global_id("Employee", 999_999)))["employeeAbilityPerformance"]
    assert codes(unknown["errors"]) == ["NOT_FOUND"]


PREDICTION = f"""
query($version: ID!, $kpi: ID!, $scores: [DimensionScoreInput!]) {{
  performancePrediction(modelVersionId: $version, kpiId: $kpi, dimensionScores: $scores) {{
    prediction {{ n enoughData note cvRmse baselineRmse beatsBaseline prediction predictionLower predictionUpper
                  coefficients {{ dimensionKey coefficient }} }}
    {ERRORS}
  }}
}}"""


async def test_performance_prediction(client):
    cohort = await build_cohort(60)
    version = global_id("CompetencyModelVersion", cohort.version_id)
    kpi = global_id("KpiDefinition", cohort.kpi_id)
    scores = [{"dimensionKey": "numeracy", "score": 85.0}, {"dimensionKey": "service", "score": 60.0}]
    result = (await client(PREDICTION, version=version, kpi=kpi, scores=scores))["performancePrediction"]
    prediction = result["prediction"]
    assert prediction["enoughData"] and prediction["beatsBaseline"] and prediction["n"] == 60
    assert prediction["predictionLower"] < prediction["prediction"] < prediction["predictionUpper"]
    bad = (await client(PREDICTION, version=version, kpi=kpi, scores=scores[:1]))["performancePrediction"]
    assert bad["prediction"] is None and codes(bad["errors"]) == ["INVALID"]
    wrong = (await client(PREDICTION, version=version, kpi=version, scores=None))["performancePrediction"]
    assert codes(wrong["errors"]) == ["WRONG_TYPE"]


ADVERSE_IMPACT = f"""
query($id: ID!, $keys: [String!]!) {{
  adverseImpact(requisitionId: $id, groupKeys: $keys) {{
    groups {{
      groupKey groupValue applicants selected selectionRate impactRatio flagged smallSample
      fisherPValue referenceValue enoughData note
    }}
    {ERRORS}
  }}
}}"""


async def _impact_requisition(cohort: Cohort) -> int:
    """100 applicants per group: 50 % of men, 35 % of women (0.7) and 45 % of 'x' (0.9) pass the AI interview."""
    (requisition,) = await insert(
        models.Requisition(
            title="Teller B",
            department="Retail Ops",
            business_line=BusinessLine.RETAIL,
            headcount=5,
            competency_model_version_id=cohort.version_id,
        )
    )
    rows: list[Any] = []
    candidates = [models.Candidate(full_name=f"A{i}", email=f"a{i}@example.com") for i in range(300)]
    await insert(*candidates)
    for index, candidate in enumerate(candidates):
        group, position = ("m", "f", "x")[index // 100], index % 100
        passed = position < {"m": 50, "f": 35, "x": 45}[group]
        stage = ApplicationStage.SECOND_INTERVIEW if passed else ApplicationStage.REJECTED
        rows.append(models.Application(candidate_id=candidate.id, requisition_id=requisition.id, stage=stage))
        rows.append(models.CandidateSelfReport(candidate_id=candidate.id, groups={"gender": group}))
    await insert(*rows)
    return requisition.id


async def test_adverse_impact_flags_four_fifths(client):
    cohort = await build_cohort(2)
    requisition_id = await _impact_requisition(cohort)
    result = (await client(ADVERSE_IMPACT, id=global_id("Requisition", requisition_id), keys=["gender"]))[
        "adverseImpact"
    ]
    by_group = {row["groupValue"]: row for row in result["groups"]}
    assert by_group["f"]["impactRatio"] == pytest.approx(0.7) and by_group["f"]["flagged"]
    assert by_group["x"]["impactRatio"] == pytest.approx(0.9) and not by_group["x"]["flagged"]
    assert not by_group["m"]["flagged"]
    # Fisher's exact test against the reference group (men, 50/100), checked against scipy's own table.
    from scipy.stats import fisher_exact

    assert by_group["m"]["fisherPValue"] is None and by_group["f"]["referenceValue"] == "m"
    assert by_group["f"]["fisherPValue"] == pytest.approx(fisher_exact([[35, 65], [50, 50]]).pvalue)
    assert by_group["x"]["fisherPValue"] == pytest.approx(fisher_exact([[45, 55], [50, 50]]).pvalue)
    assert by_group["f"]["fisherPValue"] < 0.05 < by_group["x"]["fisherPValue"]
    assert all(row["enoughData"] and row["note"] is None for row in result["groups"])
    bad = (await client(ADVERSE_IMPACT, id=global_id("Requisition", requisition_id), keys=["Gender!"]))["adverseImpact"]
    assert codes(bad["errors"]) == ["INVALID"]
    recruiter = AnalyticsClient(person("rec-1", ["recruiter"]))
    forbidden = await recruiter.execute(ADVERSE_IMPACT, id=global_id("Requisition", requisition_id), keys=["gender"])
    assert top_level_codes(forbidden) == ["FORBIDDEN"]


SELF_REPORT = f"""
mutation($input: CandidateSelfReportRecordInput!) {{
  candidateSelfReportRecord(input: $input) {{ recorded groupKeys {ERRORS} }}
}}"""


async def test_candidate_self_report_record(client):
    cohort = await build_cohort(1)
    candidate = global_id("Candidate", cohort.candidate_ids[0])
    payload = await client.mutate(
        SELF_REPORT,
        "candidateSelfReportRecord",
        input={"candidateId": candidate, "groups": [{"key": "gender", "value": "f"}]},
    )
    assert payload["groupKeys"] == ["gender"]
    # The candidate, with their invitation token and no HR login; a second record replaces the first.
    token = "self-report-token"
    await insert(
        models.Interview(
            application_id=cohort.application_ids[0],
            token_hash=hash_token(token),
            expires_at=utcnow() + timedelta(days=1),
        )
    )
    candidate_client = AnalyticsClient(Actor("anonymous", None, kind="anonymous"))
    payload = await candidate_client.mutate(
        SELF_REPORT,
        "candidateSelfReportRecord",
        input={
            "invitationToken": token,
            "groups": [{"key": "gender", "value": "f"}, {"key": "age_band", "value": "40+"}],
        },
    )
    assert payload["groupKeys"] == ["age_band", "gender"]
    assert await row_count(models.CandidateSelfReport) == 1

    for bad_input, code in [
        ({"invitationToken": "wrong", "groups": []}, "INVITATION_INVALID"),
        ({"candidateId": candidate, "groups": [{"key": "Bad Key", "value": "x"}]}, "INVALID"),
        (
            {"candidateId": candidate, "groups": [{"key": "gender", "value": "f"}, {"key": "gender", "value": "m"}]},
            "INVALID",
        ),
        ({"candidateId": global_id("Candidate", 999_999), "groups": []}, "NOT_FOUND"),
        ({"groups": []}, "REQUIRED"),
    ]:
        errors = await refused(client, SELF_REPORT, "candidateSelfReportRecord", input=bad_input)
        assert codes(errors) == [code]
    anonymous = await candidate_client.execute(SELF_REPORT, input={"candidateId": candidate, "groups": []})
    assert top_level_codes(anonymous) == ["UNAUTHENTICATED"]


PROPOSAL_FIELDS = """
  id status notes decidedBy
  currentWeights { dimensionKey weight }
  proposedWeights { dimensionKey weight }
  evidence { dimensionKey kpiKeys r n ciLower ciUpper enoughData explanation }
  questionSuggestions { dimensionKey suggestion }
  modelVersion { id version }
  appliedVersion { id version }
"""
CREATE = f"""
mutation($input: ReweightingProposalCreateInput!) {{
  reweightingProposalCreate(input: $input) {{ proposal {{ {PROPOSAL_FIELDS} }} {ERRORS} }}
}}"""
APPLY = f"""
mutation($input: ReweightingProposalApplyInput!) {{
  reweightingProposalApply(input: $input) {{ proposal {{ id status }} version {{ id version frozen }} {ERRORS} }}
}}"""
REJECT = f"""
mutation($input: ReweightingProposalRejectInput!) {{
  reweightingProposalReject(input: $input) {{ proposal {{ id status notes }} {ERRORS} }}
}}"""
PROPOSALS = """
query($status: ProposalStatus) {
  reweightingProposals(first: 10, status: $status) { totalCount edges { node { id status } } }
}"""


async def test_reweighting_proposal_lifecycle(client):
    cohort = await build_cohort(60)
    version_id = global_id("CompetencyModelVersion", cohort.version_id)
    proposal = (await client.mutate(CREATE, "reweightingProposalCreate", input={"modelVersionId": version_id}))[
        "proposal"
    ]
    weights = {item["dimensionKey"]: item["weight"] for item in proposal["proposedWeights"]}
    assert weights["numeracy"] > 0.3 and weights["service"] < 0.7
    assert proposal["status"] == "PROPOSED" and proposal["appliedVersion"] is None
    assert any("→" in item["explanation"] for item in proposal["evidence"])

    listed = (await client(PROPOSALS, status="PROPOSED"))["reweightingProposals"]
    assert listed["totalCount"] == 1 and listed["edges"][0]["node"]["id"] == proposal["id"]

    applied = await client.mutate(APPLY, "reweightingProposalApply", input={"proposalId": proposal["id"]})
    assert applied["proposal"]["status"] == "APPLIED" and applied["version"]["version"] == 2
    versions_before = await row_count(models.CompetencyModelVersion)
    replay = await client.mutate(APPLY, "reweightingProposalApply", input={"proposalId": proposal["id"]})
    assert replay["version"]["id"] == applied["version"]["id"]
    assert await row_count(models.CompetencyModelVersion) == versions_before
    requisition = await fetch(models.Requisition, global_id("Requisition", cohort.requisition_id))
    assert requisition.competency_model_version_id == cohort.version_id

    errors = await refused(client, REJECT, "reweightingProposalReject", input={"proposalId": proposal["id"]})
    assert codes(errors) == ["ILLEGAL_TRANSITION"]
    assert (await client(PROPOSALS, status="PROPOSED"))["reweightingProposals"]["totalCount"] == 0

    second = (await client.mutate(CREATE, "reweightingProposalCreate", input={"modelVersionId": version_id}))[
        "proposal"
    ]
    rejected = await client.mutate(
        REJECT, "reweightingProposalReject", input={"proposalId": second["id"], "notes": "wait for Q4"}
    )
    assert rejected["proposal"]["status"] == "REJECTED" and rejected["proposal"]["notes"] == "wait for Q4"
    errors = await refused(client, APPLY, "reweightingProposalApply", input={"proposalId": second["id"]})
    assert codes(errors) == ["ILLEGAL_TRANSITION"]


async def test_reweighting_bad_input_and_permissions(client):
    cohort = await build_cohort(5)
    for bad_input, code in [
        ({"modelVersionId": global_id("CompetencyModelVersion", 999_999)}, "NOT_FOUND"),
        ({"modelVersionId": global_id("Requisition", cohort.requisition_id)}, "WRONG_TYPE"),
        ({"modelVersionId": "garbage"}, "INVALID_ID"),
        ({"modelVersionId": global_id("CompetencyModelVersion", cohort.version_id)}, "NOT_ENOUGH_DATA"),  # n = 5
    ]:
        errors = await refused(client, CREATE, "reweightingProposalCreate", input=bad_input)
        assert codes(errors) == [code]
    errors = await refused(
        client, APPLY, "reweightingProposalApply", input={"proposalId": global_id("ReweightingProposal", 12345)}
    )
    assert codes(errors) == ["NOT_FOUND"]
    recruiter = AnalyticsClient(person("rec-1", ["recruiter"]))
    result = await recruiter.execute(
        CREATE, input={"modelVersionId": global_id("CompetencyModelVersion", cohort.version_id)}
    )
    assert top_level_codes(result) == ["FORBIDDEN"]
    assert HR_ADMIN.roles == frozenset({"hr_admin"})
