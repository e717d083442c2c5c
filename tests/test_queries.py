"""Reading the graph: global IDs, node lookup, cursor pagination, page-size cap and HR filters."""

from __future__ import annotations

from gateway.models import Interview, InterviewReport
from gateway.models.base import utcnow
from tests import factories
from tests.db_helpers import global_id, insert, node_id

REQUISITIONS = """
query($first: Int!, $after: String, $status: RequisitionStatus, $department: String, $businessLine: BusinessLine) {
  requisitions(first: $first, after: $after, status: $status, department: $department, businessLine: $businessLine) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id title department status } }
  }
}"""


async def _requisitions(gql, count: int, **overrides) -> tuple[dict, list[str]]:
    model = await factories.create_model(gql)
    ids = [
        await factories.create_requisition(gql, model["version_id"], title=f"Req {i}", **overrides)
        for i in range(count)
    ]
    return model, ids


async def test_cursor_pagination_walks_every_item_once(gql):
    _, ids = await _requisitions(gql, 5)
    seen, after = [], None
    while True:
        page = (await gql(REQUISITIONS, first=2, after=after))["requisitions"]
        assert page["totalCount"] == 5
        seen += [edge["node"]["id"] for edge in page["edges"]]
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == ids


async def test_page_size_is_capped_and_bad_cursors_are_refused(gql):
    too_big = await gql.execute(REQUISITIONS, first=101)
    assert too_big.errors and too_big.errors[0].extensions["code"] == "BAD_USER_INPUT"
    negative = await gql.execute(REQUISITIONS, first=-1)
    assert negative.errors
    bad_cursor = await gql.execute(REQUISITIONS, first=1, after="bm9wZQ==")
    assert bad_cursor.errors and "cursor" in bad_cursor.errors[0].message
    nested = await gql.execute(
        "{ requisitions(first: 1) { edges { node { applications(first: 500) { totalCount } } } } }"
    )
    assert nested.errors is None  # no requisitions: the nested field is never resolved
    await _requisitions(gql, 1)
    nested = await gql.execute(
        "{ requisitions(first: 1) { edges { node { applications(first: 500) { totalCount } } } } }"
    )
    assert nested.errors and nested.errors[0].extensions["code"] == "BAD_USER_INPUT"


async def test_requisition_filters(gql):
    _, retail = await _requisitions(gql, 2)
    _, corporate = await _requisitions(gql, 1, department="Corporate Banking", businessLine="CORPORATE")
    await gql.mutate(factories.REQUISITION_CLOSE, "requisitionClose", input={"id": retail[0]})

    async def ids(**filters) -> list[str]:
        page = (await gql(REQUISITIONS, first=50, **filters))["requisitions"]
        assert page["totalCount"] == len(page["edges"])
        return [edge["node"]["id"] for edge in page["edges"]]

    assert await ids(status="OPEN") == [retail[1], *corporate]
    assert await ids(status="CLOSED") == [retail[0]]
    assert await ids(department="Corporate Banking") == corporate
    assert await ids(businessLine="RETAIL", status="OPEN") == [retail[1]]


async def test_application_filters_by_stage_requisition_and_score(gql):
    model, (requisition_id, other_id) = await _requisitions(gql, 2)
    applications = [await factories.apply(gql, await factories.create_candidate(gql), requisition_id) for _ in range(3)]
    await factories.apply(gql, await factories.create_candidate(gql), other_id)
    await factories.move(gql, applications[2], "REJECTED")
    for application_id, total in zip(applications[:2], (45.0, 88.0), strict=True):
        interview = (
            await insert(
                Interview(
                    application_id=node_id(application_id), token_hash=str(total).rjust(64, "0"), expires_at=utcnow()
                )
            )
        )[0]
        await insert(
            InterviewReport(
                interview_id=interview.id, requisition_id=node_id(requisition_id), total=total, pipeline_version="test"
            )
        )
    query = """
    query($stage: ApplicationStage, $requisitionId: ID, $minScore: Float, $maxScore: Float) {
      applications(first: 50, stage: $stage, requisitionId: $requisitionId, minScore: $minScore, maxScore: $maxScore) {
        totalCount edges { node { id } }
      }
    }"""

    async def ids(**filters) -> list[str]:
        return [edge["node"]["id"] for edge in (await gql(query, **filters))["applications"]["edges"]]

    assert await ids(requisitionId=requisition_id) == applications
    assert await ids(requisitionId=requisition_id, stage="SCREENING") == applications[:2]
    assert await ids(minScore=80) == [applications[1]]
    assert await ids(minScore=40, maxScore=50) == [applications[0]]
    assert await ids(maxScore=100) == applications[:2]
    nested = await gql(
        "query($id: ID!) { node(id: $id) { ... on Requisition { applications(minScore: 50, first: 10) { totalCount } } } }",
        id=requisition_id,
    )
    assert nested["node"]["applications"]["totalCount"] == 1
    wrong = await gql.execute(query, requisitionId=model["model_id"])
    assert wrong.errors and wrong.errors[0].extensions == {"code": "BAD_USER_INPUT", "field": "requisitionId"}


async def test_node_lookup_by_global_id(gql):
    model = await factories.create_model(gql)
    requisition_id = await factories.create_requisition(gql, model["version_id"])
    query = """query($id: ID!) { node(id: $id) { __typename id ... on Requisition { title competencyModelVersion { id } } } }"""
    found = (await gql(query, id=requisition_id))["node"]
    assert found == {
        "__typename": "Requisition",
        "id": requisition_id,
        "title": "Branch Teller",
        "competencyModelVersion": {"id": model["version_id"]},
    }
    for dimension_id in model["dimension_ids"].values():
        assert (await gql(query, id=dimension_id))["node"]["__typename"] == "Dimension"
    assert (await gql(query, id=global_id("Requisition", 999))) == {"node": None}
    unknown_type = await gql.execute(query, id=global_id("Payroll", 1))
    assert unknown_type.errors and "Payroll" in unknown_type.errors[0].message
    nodes = await gql(
        "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
        ids=[requisition_id, model["model_id"], global_id("Requisition", 999)],
    )
    assert nodes["nodes"] == [{"id": requisition_id}, {"id": model["model_id"]}, None]
    malformed = await gql.execute(query, id="definitely-not-an-id")
    assert malformed.errors


async def test_audit_trail_records_every_mutation(gql):
    model = await factories.create_model(gql)
    await factories.create_requisition(gql, model["version_id"])
    events = await gql("{ auditEvents(first: 10) { edges { node { actor role action entityType entityId } } } }")
    actions = [edge["node"] for edge in events["auditEvents"]["edges"]]
    assert [event["action"] for event in actions] == ["competency_model.create", "requisition.create"]
    assert actions[0]["actor"] == "hr.admin@bank.example" and actions[0]["role"] == "hr_admin"
    assert actions[0]["entityId"] == model["model_id"]
