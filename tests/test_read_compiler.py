"""The read compiler gives the same answers as the DataLoader path: data, errors, nulls and audit rows.

Every operation of the corpus runs twice on the same data, once through the compiled path (one SQL
statement) and once through the DataLoader path (the reference), for every role and connector
scope; results and the audit events each run wrote are compared. Operations the compiler must
answer are also checked to compile (and to cost at most two statements, audit included).
"""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import pytest
from graphql import parse
from sqlmodel import col, select

from gateway.db import read_session
from gateway.models import (
    Application,
    AuditEvent,
    Candidate,
    DimensionScore,
    Interview,
    InterviewReport,
    Requisition,
)
from gateway.models.base import utcnow
from gateway.models.enums import ApplicationStage, BusinessLine, InterviewStatus, RequisitionStatus
from resolvers.demo_data import load_demo_data
from resolvers.services.audit import Actor, person, service
from schema.context import Context
from schema.read_planner import plan_operation
from schema.root import schema
from tests import factories
from tests.db_helpers import insert, node_id
from tests.graphql_client import GraphQLClient

HIRING_MANAGER_SUBJECT = "hm-differential"

ACTORS: dict[str, Actor] = {
    "hr_admin": person("hr-1", ["hr_admin"]),
    "recruiter": person("rec-1", ["recruiter"]),
    "auditor": person("aud-1", ["auditor"]),
    "hiring_manager": person(HIRING_MANAGER_SUBJECT, ["hiring_manager"]),
    "other_hiring_manager": person("hm-nobody", ["hiring_manager"]),
    "requisitions_read": service("erp-req", ["requisitions:read"]),
    "candidates_read": service("erp-cand", ["candidates:read"]),
    "reports_read": service("erp-rep", ["requisitions:read", "candidates:read", "reports:read"]),
    "employees_read": service("erp-emp", ["employees:read"]),
    "kpi_write": service("erp-kpi", ["kpi:write"]),
}

ANCHOR = """
query Portal($first: Int = 20) {
  requisitions(first: $first) {
    edges { node {
      id title
      applications(first: 5) {
        edges { node {
          candidate { fullName email }
          latestInterview { status report { total percentile } }
        } }
      }
    } }
  }
}"""

NESTED = """
query($first: Int!) {
  requisitions(first: $first) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node {
      id __typename title department businessLine headcount status createdAt updatedAt closedAt closeReason
      hiringManagerSubject
      competencyModelVersion { id version notes frozen frozenAt model { key nameZh }
        dimensions(first: 3) { totalCount edges { node { key weight position nameZh } } } }
      applications(first: 3) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges { cursor node {
          id stage createdAt
          candidate { id fullName email phone resumeText createdAt }
          requisition { id title }
          stageHistory(first: 5) { edges { node { fromStage toStage reason actor } } }
          interviews(first: 2) { totalCount edges { node { id status expiresAt submittedAt } } }
          latestInterview { id status statusReason
            report { id total percentile insufficientEvidence strengths weaknesses pipelineVersion scoredAt
                     humanDecision models aiRecommendation
                     dimensionScores(first: 3) { edges { node { id score confidence pipelineVersion
                                                                 dimension { key } } } } } }
        } }
      }
    } }
  }
}"""

FRAGMENTS = """
fragment Person on Candidate { name: fullName mail: email }
fragment Latest on Application { latestInterview { ... on Interview { status } report { ...Score } } }
fragment Score on InterviewReport { total percentile __typename }
query Fragments($withCandidate: Boolean!, $skipRequisitions: Boolean = false) {
  __typename
  open: requisitions(first: 4, status: OPEN) @skip(if: $skipRequisitions) {
    edges { node { ... on Requisition { id title } applications(first: 2) { edges { node { ...Latest
      candidate @include(if: $withCandidate) { ...Person } } } } } }
  }
  retail: requisitions(first: 3, businessLine: RETAIL, department: "Retail") { totalCount edges { node { id } } }
}"""

ROOT_LISTS = """
query Roots($search: String) {
  candidates(first: 7, search: $search) { totalCount edges { node { id fullName
    applications(first: 2) { totalCount edges { node { stage requisition { title } } } }
    consents(first: 3) { edges { node { kind granted noticeVersion } } } } } }
  applications(first: 6, stage: AI_INTERVIEW) { totalCount edges { node { id stage candidate { email } } } }
  competencyModels(first: 5) { edges { node { key nameEn versions(first: 2) { edges { node { version
    dimensions(first: 5) { edges { node { key weight questions(first: 2) { edges { node { id } } }
      kpiLinks(first: 2) { edges { node { kpi { key } dimension { key } } } } } } } } } } } } }
  kpiDefinitions(first: 4) { edges { node { key direction periodKind } } }
}"""

WORKFORCE = """
{ employees(first: 5) { totalCount edges { node { id employeeNumber department startDate hiredAt
    candidate { fullName } application { stage }
    kpiAssignments(first: 3) { edges { node { target kpi { key } dimension { key }
      records(first: 3) { edges { node { period actual target } } } } } } } } } }"""

AUDIT_TRAIL = (
    """{ auditEvents(first: 10, entityType: "Application") { totalCount edges { node { id action actor } } } }"""
)

SYNC = """
query Sync($since: DateTime!) {
  requisitions(first: 3, updatedSince: $since) { totalCount pageInfo { hasNextPage endCursor startCursor }
    edges { cursor node { id title updatedAt applications(first: 2) { edges { cursor node { stage } } } } } }
  applications(first: 4, updatedSince: $since) { totalCount edges { cursor node { id stage updatedAt
    candidate { email } } } }
  candidates(first: 4, updatedSince: $since) { edges { cursor node { id fullName updatedAt } } }
  kpiDefinitions(first: 2, updatedSince: $since) { edges { node { key updatedAt } } }
}"""

README_PORTAL_QUERY = """
{
  requisitions(first: 10, status: OPEN) {
    totalCount
    edges { node {
      id title department businessLine headcount
      competencyModelVersion { version frozen dimensions(first: 5) { edges { node { key nameZh nameEn weight } } } }
      applications(first: 10) {
        edges { node { stage candidate { fullName email } latestInterview { status report { total percentile } } } }
      }
    } }
  }
}"""

CORPUS: list[tuple[str, str, dict[str, Any]]] = [
    ("readme", README_PORTAL_QUERY, {}),
    ("anchor", ANCHOR, {}),
    ("nested", NESTED, {"first": 6}),
    ("fragments", FRAGMENTS, {"withCandidate": True}),
    ("fragments-skip", FRAGMENTS, {"withCandidate": False, "skipRequisitions": True}),
    ("roots", ROOT_LISTS, {"search": "候选"}),
    ("roots-no-search", ROOT_LISTS, {}),
    ("workforce", WORKFORCE, {}),
    ("audit-trail", AUDIT_TRAIL, {}),
    ("typename", "{ __typename }", {}),
    ("sync", SYNC, {"since": "2000-01-01T00:00:00Z"}),
]


async def _populate(gql: GraphQLClient) -> dict[str, Any]:
    """The demo bank (models, KPIs, hires) plus requisitions with scored interviews and dimension scores."""
    await load_demo_data()
    model = await factories.create_model(gql)
    version_id = node_id(model["version_id"])
    dimension_ids = [node_id(dimension_id) for dimension_id in model["dimension_ids"].values()]
    requisitions = await insert(
        *[
            Requisition(
                title=f"Teller {index}",
                department="Retail" if index % 2 else "Operations",
                business_line=BusinessLine.RETAIL if index % 3 else BusinessLine.OPERATIONS,
                headcount=2,
                status=RequisitionStatus.OPEN if index % 4 else RequisitionStatus.ON_HOLD,
                competency_model_version_id=version_id,
                hiring_manager_subject=HIRING_MANAGER_SUBJECT if index < 3 else None,
            )
            for index in range(8)
        ]
    )
    candidates = await insert(
        *[Candidate(full_name=f"候选人{index}", email=f"c{index}@mail.example") for index in range(8 * 4)]
    )
    applications = await insert(
        *[
            Application(
                candidate_id=candidate.id,
                requisition_id=requisitions[index // 4].id,
                stage=ApplicationStage.AI_INTERVIEW if index % 2 else ApplicationStage.SCREENING,
            )
            for index, candidate in enumerate(candidates)
        ]
    )
    interviews = await insert(
        *[
            Interview(
                application_id=application.id,
                token_hash=f"{application.id:060d}{repeat:04d}",
                expires_at=utcnow() + timedelta(days=1),
                status=InterviewStatus.SCORED if repeat else InterviewStatus.FAILED,
            )
            for application in applications[:-3]
            for repeat in range(2)
        ]
    )
    reports = await insert(
        *[
            InterviewReport(
                interview_id=interview.id,
                requisition_id=requisitions[0].id,
                total=40 + index % 50 + 0.25,
                percentile=float(index % 100),
                strengths=["numeracy"],
                pipeline_version="v1",
                scored_at=utcnow(),
            )
            for index, interview in enumerate(interviews)
            if index % 5 != 0
        ]
    )
    await insert(
        *[
            DimensionScore(
                report_id=report.id, dimension_id=dimension_id, pipeline_version=version, score=60.5, confidence=0.8
            )
            for report in reports
            for dimension_id in dimension_ids
            for version in ("v1", "v0")
        ]
    )
    return {"requisitions": requisitions}


async def _audit_rows_since(last_id: int) -> list[tuple[Any, ...]]:
    async with read_session() as session:
        rows = (await session.exec(select(AuditEvent).where(col(AuditEvent.id) > last_id))).all()
    return sorted((row.actor, row.role, row.action, row.entity_type, row.entity_id) for row in rows)


async def _last_audit_id() -> int:
    async with read_session() as session:
        rows = (await session.exec(select(col(AuditEvent.id)).order_by(col(AuditEvent.id).desc()).limit(1))).all()
    return rows[0] if rows else 0


def _errors(result: Any) -> list[tuple[Any, ...]]:
    return [
        (error.message, tuple(error.path or ()), (error.extensions or {}).get("code")) for error in result.errors or []
    ]


async def _run(actor: Actor, query: str, variables: dict[str, Any], *, compiled: bool) -> tuple[Any, Any]:
    before = await _last_audit_id()
    result = await schema.execute(
        query, variable_values=variables, context_value=Context(actor=actor, compiled_reads=compiled)
    )
    return result, await _audit_rows_since(before)


def _compiles(actor: Actor, query: str, variables: dict[str, Any]) -> bool:
    return plan_operation(schema, Context(actor=actor), parse(query), None, variables) is not None


async def _compare(actor: Actor, query: str, variables: dict[str, Any]) -> Any:
    reference, reference_audit = await _run(actor, query, variables, compiled=False)
    compiled, compiled_audit = await _run(actor, query, variables, compiled=True)
    assert compiled.data == reference.data
    assert _errors(compiled) == _errors(reference)
    assert compiled_audit == reference_audit
    return compiled


@pytest.fixture
async def populated(gql):
    return await _populate(gql)


async def test_corpus_gives_the_same_answers_for_every_principal(populated):
    compiled_for_hr = 0
    for (name, query, variables), (role, actor) in itertools.product(CORPUS, ACTORS.items()):
        result = await _compare(actor, query, variables)
        if role == "hr_admin":
            assert result.errors is None, (name, result.errors)
            assert _compiles(actor, query, variables), name
            compiled_for_hr += 1
    assert compiled_for_hr == len(CORPUS)


async def test_nested_pages_follow_after_cursors(populated):
    actor = ACTORS["hr_admin"]
    query = """query($after: String, $nestedAfter: String) {
      requisitions(first: 3, after: $after) { pageInfo { hasNextPage endCursor } edges { node { id
        applications(first: 2, after: $nestedAfter) { pageInfo { hasNextPage hasPreviousPage endCursor }
          edges { cursor node { id } } } } } } }"""
    first_page = await _compare(actor, query, {})
    after = first_page.data["requisitions"]["pageInfo"]["endCursor"]
    nested_after = first_page.data["requisitions"]["edges"][0]["node"]["applications"]["pageInfo"]["endCursor"]
    second_page = await _compare(actor, query, {"after": after, "nestedAfter": nested_after})
    assert second_page.data["requisitions"]["edges"][0]["node"]["id"] not in {
        edge["node"]["id"] for edge in first_page.data["requisitions"]["edges"]
    }
    assert _compiles(actor, query, {"after": after, "nestedAfter": nested_after})


async def test_reads_the_compiler_leaves_alone_fall_back_with_the_same_errors(populated):
    cases = [
        (ACTORS["hr_admin"], "{ requisitions(first: 500) { totalCount } }", {}),
        (ACTORS["hr_admin"], '{ requisitions(first: 2, after: "bm90LWEtY3Vyc29y") { totalCount } }', {}),
        (ACTORS["hr_admin"], "{ applications(first: 2, minScore: 10) { totalCount } }", {}),
        (ACTORS["hr_admin"], '{ applications(first: 2, requisitionId: "bad") { totalCount } }', {}),
        (
            ACTORS["requisitions_read"],
            "{ requisitions(first: 2) { edges { node { applications(first: 1) { "
            "edges { node { candidate { fullName } } } } } } } }",
            {},
        ),
        (Actor(name="anonymous", kind="anonymous"), "{ requisitions(first: 2) { totalCount } }", {}),
        (ACTORS["hr_admin"], '{ requisitions(first: 2) { edges { node { id } } } node(id: "x") { id } }', {}),
    ]
    for actor, query, variables in cases:
        await _compare(actor, query, variables)
        assert not _compiles(actor, query, variables), query


async def test_one_statement_answers_the_portal_query_and_one_insert_audits_it(populated, count_statements):
    actor = ACTORS["hr_admin"]
    before = count_statements.count
    result = await schema.execute(ANCHOR, context_value=Context(actor=actor, compiled_reads=True))
    assert result.errors is None
    statements = count_statements.statements[before:]
    assert len(statements) <= 2, statements
    reports_read = [
        app["node"]["latestInterview"]["report"]
        for req in result.data["requisitions"]["edges"]
        for app in req["node"]["applications"]["edges"]
        if app["node"]["latestInterview"] and app["node"]["latestInterview"]["report"]
    ]
    assert reports_read


async def test_prepared_reads_over_http_answer_as_the_full_path(populated, http, count_statements):
    """The second request of a document skips graphql-core: same body, same audit, two statements."""
    from tests.tokens import bearer, person_token, service_token

    cases = [
        (bearer(person_token("hr-http", "hr_admin")), ANCHOR, {}),
        (bearer(person_token(HIRING_MANAGER_SUBJECT, "hiring_manager")), FRAGMENTS, {"withCandidate": True}),
        (bearer(service_token("erp-http", "requisitions:read")), ANCHOR, {}),  # refused: never prepared
        (
            bearer(person_token("hr-http", "hr_admin")),
            "query($n: Int!) { requisitions(first: $n) { totalCount } }",
            {"n": 100},
        ),
        ({}, ANCHOR, {}),  # anonymous
    ]
    for headers, query, variables in cases:
        body = {"query": query, "variables": variables}
        bodies, audits, statements = [], [], []
        for _ in range(3):  # full path (learns the document), then prepared, then prepared from the plan cache
            before_audit, before_statements = await _last_audit_id(), count_statements.count
            response = await http.post("/graphql", json=body, headers=headers)
            statements.append(count_statements.count - before_statements)
            bodies.append(response.json())
            audits.append(await _audit_rows_since(before_audit))
            assert response.status_code == 200
        assert bodies[0] == bodies[1] == bodies[2], query
        assert audits[0] == audits[1] == audits[2]
        if "errors" not in bodies[0]:
            assert statements[1] <= 2 and statements[2] <= 2, statements


async def test_prepared_reads_still_price_each_request(populated, http):
    headers = bearer_hr()
    query = "query($n: Int!) { requisitions(first: $n) { edges { node { applications(first: $n) { totalCount } } } } }"
    small = await http.post("/graphql", json={"query": query, "variables": {"n": 2}}, headers=headers)
    assert small.json()["extensions"]["cost"]["requested"] <= 1000 and "errors" not in small.json()
    again = await http.post("/graphql", json={"query": query, "variables": {"n": 2}}, headers=headers)
    assert again.json() == small.json()
    costly = await http.post("/graphql", json={"query": query, "variables": {"n": 100}}, headers=headers)
    assert costly.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"
    nul = await http.post("/graphql", json={"query": query, "variables": {"n": 2, "x": "a\u0000"}}, headers=headers)
    assert nul.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def bearer_hr() -> dict[str, str]:
    from tests.tokens import bearer, person_token

    return bearer(person_token("hr-http", "hr_admin"))


async def test_a_prepared_read_skips_parsing_validation_and_execution(populated, http, monkeypatch):
    headers = bearer_hr()
    first = await http.post("/graphql", json={"query": ANCHOR}, headers=headers)

    async def full_path(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("the prepared read took the full path")

    monkeypatch.setattr(schema, "execute", full_path)
    second = await http.post("/graphql", json={"query": ANCHOR}, headers=headers)
    assert second.json() == first.json()
    assert second.json()["data"]["requisitions"]["edges"]


def _queries_written_in_the_tests() -> list[tuple[str, str, dict[str, Any]]]:
    """Every query document the suite (and this corpus) spells out, with values for scalar variables."""
    import ast
    from pathlib import Path

    from graphql import GraphQLSyntaxError, NonNullTypeNode, OperationDefinitionNode

    samples = {"Int": 3, "Float": 50.0, "String": "Teller", "Boolean": True}
    documents: dict[str, tuple[str, str, dict[str, Any]]] = {}
    for path in sorted(Path(__file__).parent.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
                continue
            text = node.value.strip()
            if not text.startswith(("query", "{", "fragment")) or text in documents:
                continue
            try:
                document = parse(text)
            except GraphQLSyntaxError:
                continue
            operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
            if len(operations) != 1 or operations[0].operation.value != "query":
                continue
            variables: dict[str, Any] = {}
            for definition in operations[0].variable_definitions or ():
                if not isinstance(definition.type, NonNullTypeNode) or definition.default_value is not None:
                    continue
                type_name = getattr(definition.type.type, "name", None)
                if type_name is None or type_name.value not in samples:
                    break
                variables[definition.variable.name.value] = samples[type_name.value]
            else:
                documents[text] = (f"{path.name}:{node.lineno}", text, variables)
    return list(documents.values())


async def test_every_query_in_the_tests_gives_the_same_answers_on_both_paths(populated):
    documents = _queries_written_in_the_tests()
    assert len(documents) > 70
    actors = [ACTORS[name] for name in ("hr_admin", "hiring_manager", "reports_read", "requisitions_read")]
    compiled = 0
    for (_where, query, variables), actor in itertools.product(documents, actors):
        await _compare(actor, query, variables)
        compiled += _compiles(actor, query, variables)
    assert compiled > 40
