"""Hiring analytics over a cohort: per competency model version, department and period."""

from __future__ import annotations

from tests.analytics_cohort import build_cohort
from tests.db_helpers import global_id

QUERY = """
query($version: ID, $department: String, $period: String) {
  hiringAnalytics(modelVersionId: $version, department: $department, period: $period) {
    analytics {
      requisitionCount applicationCount
      passRates { stage reached shareOfApplications }
      totals { n median bins { lower upper count } }
      strongestDimensions { dimensionKey mean }
    }
    errors { field code message }
  }
}"""


async def test_cohort_by_version_department_and_period(gql):
    cohort = await build_cohort(40, seed=3)
    other = await build_cohort(10, seed=4)
    version = global_id("CompetencyModelVersion", cohort.version_id)

    by_version = (await gql(QUERY, version=version))["hiringAnalytics"]
    assert by_version["errors"] == []
    analytics = by_version["analytics"]
    assert analytics["requisitionCount"] == 1 and analytics["applicationCount"] == 40
    assert analytics["totals"]["n"] == 40 and sum(b["count"] for b in analytics["totals"]["bins"]) == 40
    stages = {rate["stage"]: rate for rate in analytics["passRates"]}
    assert stages["hired"]["reached"] == 40 and stages["hired"]["shareOfApplications"] == 1.0
    assert analytics["strongestDimensions"][0]["dimensionKey"] in {"numeracy", "service"}

    everyone = (await gql(QUERY))["hiringAnalytics"]["analytics"]
    assert everyone["requisitionCount"] == 2 and everyone["applicationCount"] == 50
    department = (await gql(QUERY, department="Retail Ops"))["hiringAnalytics"]["analytics"]
    assert department["applicationCount"] == 50
    assert (await gql(QUERY, department="Treasury"))["hiringAnalytics"]["analytics"]["applicationCount"] == 0
    this_year = (await gql(QUERY, period="2026"))["hiringAnalytics"]["analytics"]
    assert this_year["applicationCount"] == 50
    assert (await gql(QUERY, period="2019-Q1"))["hiringAnalytics"]["analytics"]["totals"]["n"] == 0
    assert other.version_id != cohort.version_id


async def test_cohort_bad_input(gql):
    bad_period = (await gql(QUERY, period="last year"))["hiringAnalytics"]
    assert bad_period["analytics"] is None and bad_period["errors"][0]["code"] == "INVALID_PERIOD"
    unknown = (await gql(QUERY, version=global_id("CompetencyModelVersion", 999)))["hiringAnalytics"]
    assert unknown["errors"][0]["code"] == "NOT_FOUND"
    wrong_type = (await gql(QUERY, version=global_id("Requisition", 1)))["hiringAnalytics"]
    assert wrong_type["errors"][0]["code"] == "WRONG_TYPE"
