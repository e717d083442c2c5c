"""Analytics by business line (issue 13, item 4): retail and corporate banking analysed apart.

One competency model version hires through a retail requisition and a corporate one; every analytics query
and the re-weighting proposal narrowed by ``businessLine`` must count exactly that line's applications or
hires, and say so.
"""

from __future__ import annotations

import sqlalchemy as sa

from gateway import models
from gateway.db import unit_of_work
from gateway.models.counting import recount_all
from gateway.models.enums import BusinessLine
from tests.analytics_cohort import build_cohort
from tests.db_helpers import global_id

HIRING = """
query($version: ID, $line: BusinessLine) {
  hiringAnalytics(modelVersionId: $version, businessLine: $line) {
    analytics { requisitionCount applicationCount totals { n } }
    errors { field code message }
  }
}"""
CORRELATIONS = """
query($version: ID!, $line: BusinessLine) {
  dimensionKpiCorrelations(modelVersionId: $version, businessLine: $line) {
    correlations { dimensionKey pearson { n } }
    errors { code }
  }
}"""
PREDICTION = """
query($version: ID!, $kpi: ID!, $line: BusinessLine, $department: String) {
  performancePrediction(modelVersionId: $version, kpiId: $kpi, businessLine: $line, department: $department) {
    prediction { n }
    errors { code message }
  }
}"""
UTILITY = """
query($version: ID!, $kpi: ID!, $line: BusinessLine) {
  selectionUtility(modelVersionId: $version, kpiId: $kpi, businessLine: $line) {
    utility { n }
    errors { code }
  }
}"""
PROPOSE = """
mutation($input: ReweightingProposalCreateInput!) {
  reweightingProposalCreate(input: $input) {
    proposal { cohort { period department businessLine } evidence { dimensionKey n } }
    errors { field code message }
  }
}"""


async def _split_by_line(cohort, corporate: int) -> None:
    """Move the last ``corporate`` applications to a corporate requisition of the same version."""
    async with unit_of_work() as uow:
        session = uow.session
        retail = await session.get(models.Requisition, cohort.requisition_id)
        corporate_requisition = models.Requisition(
            title="Corporate relationship teller",
            department=retail.department,
            business_line=BusinessLine.CORPORATE,
            headcount=5,
            competency_model_version_id=retail.competency_model_version_id,
            hiring_manager_subject=retail.hiring_manager_subject,
        )
        session.add(corporate_requisition)
        await session.flush()
        moved = cohort.application_ids[-corporate:]
        connection = await session.connection()
        for table in (models.Application, models.InterviewReport):
            column = table.__table__.c.id if table is models.Application else table.__table__.c.application_id
            await connection.execute(
                sa.update(table.__table__).where(column.in_(moved)).values(requisition_id=corporate_requisition.id)
            )
        await recount_all(connection)


async def test_every_analytic_narrows_by_business_line(gql):
    cohort = await build_cohort(48, seed=35)
    await _split_by_line(cohort, corporate=18)
    version = global_id("CompetencyModelVersion", cohort.version_id)
    kpi = global_id("KpiDefinition", cohort.kpi_id)

    everyone = (await gql(HIRING, version=version))["hiringAnalytics"]["analytics"]
    retail = (await gql(HIRING, version=version, line="RETAIL"))["hiringAnalytics"]["analytics"]
    corporate = (await gql(HIRING, version=version, line="CORPORATE"))["hiringAnalytics"]["analytics"]
    assert (everyone["applicationCount"], retail["applicationCount"], corporate["applicationCount"]) == (48, 30, 18)
    assert (retail["requisitionCount"], corporate["requisitionCount"]) == (1, 1)
    assert retail["totals"]["n"] + corporate["totals"]["n"] == everyone["totals"]["n"] == 48
    wealth = (await gql(HIRING, version=version, line="WEALTH"))["hiringAnalytics"]["analytics"]
    assert wealth["applicationCount"] == 0 and wealth["totals"]["n"] == 0

    def pairs(answer: dict) -> set[int]:
        return {item["pearson"]["n"] for item in answer["dimensionKpiCorrelations"]["correlations"]}

    assert pairs(await gql(CORRELATIONS, version=version)) == {48}
    assert pairs(await gql(CORRELATIONS, version=version, line="RETAIL")) == {30}
    assert pairs(await gql(CORRELATIONS, version=version, line="CORPORATE")) == {18}

    def hires(answer: dict, field: str, inner: str) -> int:
        return answer[field][inner]["n"]

    assert (
        hires(await gql(PREDICTION, version=version, kpi=kpi, line="RETAIL"), "performancePrediction", "prediction")
        == 30
    )
    assert (
        hires(await gql(PREDICTION, version=version, kpi=kpi, line="CORPORATE"), "performancePrediction", "prediction")
        == 18
    )
    nobody = (await gql(PREDICTION, version=version, kpi=kpi, department="Treasury"))["performancePrediction"]
    assert nobody["prediction"] is None or nobody["prediction"]["n"] == 0
    assert hires(await gql(UTILITY, version=version, kpi=kpi, line="CORPORATE"), "selectionUtility", "utility") == 18


async def test_a_proposal_keeps_the_business_line_it_was_measured_on(gql):
    cohort = await build_cohort(60, seed=36)
    await _split_by_line(cohort, corporate=20)
    version = global_id("CompetencyModelVersion", cohort.version_id)
    answer = (await gql(PROPOSE, input={"modelVersionId": version, "businessLine": "RETAIL", "period": "2026"}))[
        "reweightingProposalCreate"
    ]
    assert answer["errors"] == []
    proposal = answer["proposal"]
    assert proposal["cohort"] == {"period": "2026", "department": None, "businessLine": "RETAIL"}
    assert {item["n"] for item in proposal["evidence"]} == {40}
