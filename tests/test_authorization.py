"""Who may read and write what, per role and per scope (table-driven), hiring managers' own requisitions,
node(id:) lookups that must not leak, the live-status subscription, and audited report/archive reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlmodel import select

from gateway.db import read_session
from gateway.models import Application, Dimension, DimensionScore, Interview, InterviewReport
from gateway.models.base import utcnow
from resolvers.services.audit import ANONYMOUS, Actor, person, service
from resolvers.services.candidate_interview import candidate_actor
from schema.context import Context
from schema.root import schema
from tests import factories
from tests.db_helpers import fetch, global_id, insert, node_id
from tests.graphql_client import GraphQLClient

HIRING_MANAGER = "hm-1"
OTHER_HIRING_MANAGER = "hm-2"


@dataclass
class World:
    requisition_own: str
    requisition_other: str
    candidate_own: str
    candidate_other: str
    candidate_shared: str
    interview_own: str
    interview_other: str
    report_own: str
    report_other: str
    employee: str


async def _report_for(interview_global_id: str) -> str:
    """A scored report, written directly (scoring itself is tested elsewhere)."""
    interview = await fetch(Interview, interview_global_id)
    application = await fetch(Application, global_id("Application", interview.application_id))
    (report,) = await insert(
        InterviewReport(
            interview_id=interview.id,
            requisition_id=application.requisition_id,
            total=70,
            pipeline_version="test",
            scored_at=utcnow() - timedelta(minutes=1),
        )
    )
    return global_id("InterviewReport", report.id)


@pytest.fixture
async def world(gql) -> World:
    model = await factories.create_model(gql)
    own = await factories.create_requisition(gql, model["version_id"], hiringManagerSubject=HIRING_MANAGER)
    other = await factories.create_requisition(gql, model["version_id"], hiringManagerSubject=OTHER_HIRING_MANAGER)
    candidate_own = await factories.create_candidate(gql)
    candidate_other = await factories.create_candidate(gql)
    candidate_shared = await factories.create_candidate(gql)
    application_own = await factories.apply(gql, candidate_own, own)
    application_other = await factories.apply(gql, candidate_other, other)
    await factories.apply(gql, candidate_shared, own)
    await factories.apply(gql, candidate_shared, other)
    interview_own = (await factories.invite(gql, application_own))["interview"]["id"]
    interview_other = (await factories.invite(gql, application_other))["interview"]["id"]
    employee = await factories.hire(gql, await factories.application_at_offer(gql, own))
    return World(
        requisition_own=own,
        requisition_other=other,
        candidate_own=candidate_own,
        candidate_other=candidate_other,
        candidate_shared=candidate_shared,
        interview_own=interview_own,
        interview_other=interview_other,
        report_own=await _report_for(interview_own),
        report_other=await _report_for(interview_other),
        employee=employee["id"],
    )


# --- reads -------------------------------------------------------------------------------------------

READS = {
    "requisitions": ("{ requisitions(first: 10) { totalCount } }", {}),
    "applications": ("{ applications(first: 10) { totalCount } }", {}),
    "candidates": ("{ candidates(first: 10) { edges { node { email phone resumeText } } } }", {}),
    "consents": (
        "query($id: ID!) { node(id: $id) { ... on Candidate { consents { totalCount } } } }",
        {"id": "candidate_own"},
    ),
    "answers": (
        "query($id: ID!) { node(id: $id) { ... on Interview { answers { totalCount } } } }",
        {"id": "interview_own"},
    ),
    "report": ("query($id: ID!) { node(id: $id) { ... on InterviewReport { total } } }", {"id": "report_own"}),
    "nestedReport": (
        "query($id: ID!) { node(id: $id) { ... on Interview { report { total dimensionScores { totalCount } } } } }",
        {"id": "interview_own"},
    ),
    "employees": ("{ employees(first: 10) { edges { node { employeeNumber fullName } } } }", {}),
    "kpiAssignments": (
        "query($id: ID!) { node(id: $id) { ... on Employee { kpiAssignments { totalCount } } } }",
        {"id": "employee"},
    ),
    "archive": (
        "query($id: ID!) { node(id: $id) { ... on Employee { onboardingArchive { resumeText } } } }",
        {"id": "employee"},
    ),
    "auditEvents": ("{ auditEvents(first: 5) { totalCount } }", {}),
    "competencyModels": ("{ competencyModels(first: 5) { totalCount } }", {}),
    "kpiDefinitions": ("{ kpiDefinitions(first: 5) { totalCount } }", {}),
}
EVERYTHING = set(READS)
RECRUITING = {
    "requisitions",
    "applications",
    "candidates",
    "consents",
    "answers",
    "report",
    "nestedReport",
    "competencyModels",
    "kpiDefinitions",
}
REFERENCE = {"competencyModels", "kpiDefinitions"}

PRINCIPALS: dict[str, tuple[Actor, set[str]]] = {
    "hr_admin": (person("hr-1", ["hr_admin"]), EVERYTHING),
    "auditor": (person("audit-1", ["auditor"]), EVERYTHING),
    "recruiter": (person("rec-1", ["recruiter"]), RECRUITING),
    "hiring_manager": (person(HIRING_MANAGER, ["hiring_manager"]), RECRUITING),
    "person without a role": (person("nobody", []), set()),
    "requisitions:read": (service("erp-1", ["requisitions:read"]), {"requisitions", "applications"} | REFERENCE),
    "candidates:read": (
        service("erp-2", ["candidates:read"]),
        {"applications", "candidates", "consents", "answers"} | REFERENCE,
    ),
    "reports:read": (service("erp-3", ["reports:read"]), {"answers", "report", "nestedReport"} | REFERENCE),
    "employees:read": (service("erp-4", ["employees:read"]), {"employees", "kpiAssignments", "archive"} | REFERENCE),
    "kpi:write": (service("erp-5", ["kpi:write"]), {"employees", "kpiAssignments"} | REFERENCE),
    "competency:write": (service("erp-6", ["competency:write"]), REFERENCE),
}


def _variables(world: World, variables: dict[str, str]) -> dict[str, str]:
    return {name: getattr(world, attribute) for name, attribute in variables.items()}


def _error_codes(result) -> list[str]:
    return [error.extensions.get("code") for error in result.errors or []]


@pytest.mark.parametrize("principal", list(PRINCIPALS))
async def test_reads_by_role_and_scope(world, principal):
    actor, allowed = PRINCIPALS[principal]
    client = GraphQLClient(actor)
    for name, (query, variables) in READS.items():
        result = await client.execute(query, **_variables(world, variables))
        if name in allowed:
            assert result.errors is None, (principal, name, result.errors)
        else:
            assert _error_codes(result) == ["FORBIDDEN"], (principal, name, result.errors)


async def test_anonymous_reads_nothing(world):
    client = GraphQLClient(ANONYMOUS)
    for name, (query, variables) in READS.items():
        result = await client.execute(query, **_variables(world, variables))
        assert _error_codes(result) == ["UNAUTHENTICATED"], (name, result.errors)
        assert not result.data or not any(result.data.values()), (name, result.data)


async def test_a_refused_token_is_reported_as_the_reason(world):
    result = await schema.execute(
        "{ candidates(first: 1) { totalCount } }",
        context_value=Context(actor=ANONYMOUS, authentication_error="token expired"),
    )
    assert _error_codes(result) == ["UNAUTHENTICATED"]
    assert "token expired" in result.errors[0].message


async def test_a_candidate_principal_reads_no_staff_data(world):
    interview = await fetch(Interview, world.interview_own)
    client = GraphQLClient(candidate_actor(interview))
    result = await client.execute("{ candidates(first: 1) { totalCount } }")
    assert _error_codes(result) == ["FORBIDDEN"]


# --- hiring managers: only their own requisitions ----------------------------------------------------


async def test_hiring_manager_lists_contain_only_their_requisitions(world):
    client = GraphQLClient(person(HIRING_MANAGER, ["hiring_manager"]))
    data = await client(
        "{ requisitions(first: 10) { totalCount edges { node { id hiringManagerSubject"
        " applications(first: 10) { edges { node { candidate { id } } } } } } }"
        " applications(first: 10) { totalCount edges { node { requisition { id } } } }"
        " candidates(first: 10) { totalCount edges { node { id } } } }"
    )
    assert [edge["node"]["id"] for edge in data["requisitions"]["edges"]] == [world.requisition_own]
    assert data["requisitions"]["totalCount"] == 1
    assert {edge["node"]["requisition"]["id"] for edge in data["applications"]["edges"]} == {world.requisition_own}
    candidates = {edge["node"]["id"] for edge in data["candidates"]["edges"]}
    assert world.candidate_own in candidates and world.candidate_shared in candidates
    assert world.candidate_other not in candidates
    assert data["candidates"]["totalCount"] == len(candidates)


async def test_hiring_manager_node_lookup_of_another_requisitions_rows_is_null(world):
    client = GraphQLClient(person(HIRING_MANAGER, ["hiring_manager"]))
    for other in (world.requisition_other, world.candidate_other, world.interview_other, world.report_other):
        data = await client("query($id: ID!) { node(id: $id) { id } }", id=other)
        assert data["node"] is None, other
    data = await client("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", ids=[world.report_own, world.report_other])
    assert data["nodes"] == [{"id": world.report_own}, None]


async def test_hiring_manager_sees_only_their_applications_of_a_shared_candidate(world):
    client = GraphQLClient(person(HIRING_MANAGER, ["hiring_manager"]))
    data = await client(
        "query($id: ID!) { node(id: $id) { ... on Candidate { applications { totalCount edges { node {"
        " requisition { id } } } } } } }",
        id=world.candidate_shared,
    )
    applications = data["node"]["applications"]
    assert applications["totalCount"] == 1
    assert [edge["node"]["requisition"]["id"] for edge in applications["edges"]] == [world.requisition_own]
    # with broader rights too, nothing is filtered
    both = GraphQLClient(person("hm-and-recruiter", ["hiring_manager", "recruiter"]))
    data = await both(
        "query($id: ID!) { node(id: $id) { ... on Candidate { applications { totalCount } } } }",
        id=world.candidate_shared,
    )
    assert data["node"]["applications"]["totalCount"] == 2


# --- writes ------------------------------------------------------------------------------------------

WRITES = {
    "dimensionKpiLinkCreate": 'mutation { dimensionKpiLinkCreate(input: {dimensionId: "x", kpiId: "x"}) { errors { code } } }',
    "requisitionUpdate": 'mutation { requisitionUpdate(input: {id: "x"}) { errors { code } } }',
    "candidateCreate": 'mutation { candidateCreate(input: {fullName: "", email: "bad"}) { errors { code } } }',
    "applicationMoveStage": 'mutation { applicationMoveStage(input: {applicationId: "x", stage: SCREENING}) { errors { code } } }',
    "interviewInvite": 'mutation { interviewInvite(input: {applicationId: "x"}) { errors { code } } }',
    "interviewRescore": 'mutation { interviewRescore(input: {interviewId: "x"}) { errors { code } } }',
    "employeeHire": 'mutation { employeeHire(input: {applicationId: "x", employeeNumber: "E1", startDate: "2026-01-01", backgroundCheck: {status: CLEAR}}) { errors { code } } }',
    "kpiRecordCreate": 'mutation { kpiRecordCreate(input: {employeeId: "x", kpiId: "x", period: "2026", actual: 1}) { errors { code } } }',
    "competencyModelVersionKpiPrioritiesSet": 'mutation { competencyModelVersionKpiPrioritiesSet(input: {modelVersionId: "x", priorities: []}) { errors { code } } }',
    "trainingProgrammeUpsert": 'mutation { trainingProgrammeUpsert(input: {key: "FIN-1", nameZh: "x", nameEn: "x", provider: "x", durationHours: 1, deliveryMode: ONLINE, modelVersionId: "x", dimensionIds: []}) { errors { code } } }',
    "trainingCompletionRecord": 'mutation { trainingCompletionRecord(input: {employeeId: "x", programmeId: "x", completedOn: "2026-01-01"}) { errors { code } } }',
    "developmentPlanItemCreate": 'mutation { developmentPlanItemCreate(input: {employeeId: "x", programmeId: "x", dueDate: "2030-01-01"}) { errors { code } } }',
}
RECRUITER_WRITES = {
    "requisitionUpdate",
    "candidateCreate",
    "applicationMoveStage",
    "interviewInvite",
    "interviewRescore",
}
WRITERS: dict[str, tuple[Actor, set[str]]] = {
    "hr_admin": (person("hr-1", ["hr_admin"]), set(WRITES)),
    "recruiter": (person("rec-1", ["recruiter"]), RECRUITER_WRITES),
    "hiring_manager": (person(HIRING_MANAGER, ["hiring_manager"]), set()),
    "auditor": (person("audit-1", ["auditor"]), set()),
    "requisitions:read": (service("erp-1", ["requisitions:read", "candidates:read", "reports:read"]), set()),
    "requisitions:write": (service("erp-7", ["requisitions:write"]), {"requisitionUpdate"}),
    "candidates:write": (
        service("erp-8", ["candidates:write"]),
        {"candidateCreate", "applicationMoveStage", "interviewInvite"},
    ),
    "employees:write": (service("erp-9", ["employees:write"]), {"employeeHire"}),
    "kpi:write": (service("erp-5", ["kpi:write"]), {"kpiRecordCreate"}),
    "competency:write": (
        service("erp-6", ["competency:write"]),
        {"dimensionKpiLinkCreate", "competencyModelVersionKpiPrioritiesSet"},
    ),
    "learning:write": (service("lms-1", ["learning:write"]), {"trainingProgrammeUpsert", "trainingCompletionRecord"}),
}


@pytest.mark.parametrize("principal", list(WRITERS))
async def test_writes_by_role_and_scope(principal):
    actor, allowed = WRITERS[principal]
    client = GraphQLClient(actor)
    for name, mutation in WRITES.items():
        result = await client.execute(mutation)
        if name in allowed:
            assert result.errors is None, (principal, name, result.errors)
            assert result.data[name]["errors"], (principal, name)  # refused as data: the input is invalid
        else:
            assert _error_codes(result) == ["FORBIDDEN"], (principal, name, result.errors)
            assert result.data is None


async def test_anonymous_writes_nothing():
    client = GraphQLClient(ANONYMOUS)
    for name, mutation in WRITES.items():
        result = await client.execute(mutation)
        assert _error_codes(result) == ["UNAUTHENTICATED"], (name, result.errors)


# --- live status -------------------------------------------------------------------------------------

SUBSCRIPTION = "subscription($id: ID!) { interviewStatus(id: $id) { status } }"


async def _first_status(actor: Actor, interview_id: str):
    subscription = await schema.subscribe(
        SUBSCRIPTION, variable_values={"id": interview_id}, context_value=Context(actor=actor)
    )
    if not hasattr(subscription, "__anext__"):
        return subscription
    try:
        return await subscription.__anext__()
    finally:
        await subscription.aclose()


async def test_interview_status_only_for_the_candidate_or_staff_who_may_read_it(world):
    own = await fetch(Interview, world.interview_own)
    candidate = candidate_actor(own)
    assert (await _first_status(candidate, world.interview_own)).data == {"interviewStatus": {"status": "INVITED"}}
    refused = await _first_status(candidate, world.interview_other)
    assert _error_codes(refused) == ["FORBIDDEN"]
    assert _error_codes(await _first_status(ANONYMOUS, world.interview_own)) == ["UNAUTHENTICATED"]
    manager = person(HIRING_MANAGER, ["hiring_manager"])
    assert (await _first_status(manager, world.interview_own)).errors is None
    assert _error_codes(await _first_status(manager, world.interview_other)) == ["FORBIDDEN"]
    assert (await _first_status(person("rec-1", ["recruiter"]), world.interview_other)).errors is None


# --- audited reads -----------------------------------------------------------------------------------

AUDIT = "query($action: String!) { auditEvents(first: 50, action: $action) { edges { node { actor role action entityId details } } } }"


async def _audit(action: str) -> list[dict]:
    data = await GraphQLClient(person("audit-1", ["auditor"]))(AUDIT, action=action)
    return [edge["node"] for edge in data["auditEvents"]["edges"]]


async def test_report_reads_are_audited_with_who_and_under_which_role_or_scope(world):
    recruiter = GraphQLClient(person("rec-1", ["recruiter"], name="rec@bank.example"))
    await recruiter(READS["report"][0], id=world.report_own)
    await recruiter(READS["nestedReport"][0], id=world.interview_own)
    connector = GraphQLClient(service("erp-3", ["reports:read"]))
    await connector(READS["report"][0], id=world.report_other)
    events = await _audit("report.read")
    assert [(event["actor"], event["role"], event["entityId"]) for event in events] == [
        ("rec@bank.example", "recruiter", world.report_own),
        ("rec@bank.example", "recruiter", world.report_own),
        ("client:erp-3", "reports:read", world.report_other),
    ]
    assert events[2]["details"] == {"kind": "service", "subject": "erp-3"}


async def test_archive_reads_are_audited_and_a_page_of_reads_is_one_batch(world, count_statements):
    admin = GraphQLClient(person("hr-1", ["hr_admin"], name="admin@bank.example"))
    await admin(READS["archive"][0], id=world.employee)
    events = await _audit("onboarding_archive.read")
    # the hire itself returned the archive to the HR admin who hired (tests.factories.EMPLOYEE_HIRE)
    assert [(event["actor"], event["role"]) for event in events] == [
        ("hr.admin@bank.example", "hr_admin"),
        ("admin@bank.example", "hr_admin"),
    ]

    before = count_statements.count
    await admin(
        "query($ids: [ID!]!) { nodes(ids: $ids) { ... on InterviewReport { total } } }",
        ids=[world.report_own, world.report_other],
    )
    inserts = [s for s in count_statements.statements[before:] if s.lstrip().upper().startswith("INSERT")]
    assert len(inserts) == 1
    assert len(await _audit("report.read")) == 2


async def test_refused_reads_write_no_audit_event(world):
    result = await GraphQLClient(person("rec-1", ["recruiter"])).execute(READS["archive"][0], id=world.employee)
    assert _error_codes(result) == ["FORBIDDEN"]
    assert [event["actor"] for event in await _audit("onboarding_archive.read")] == ["hr.admin@bank.example"]


async def test_a_dimension_score_looked_up_by_id_audits_its_report(world):
    async with read_session() as session:
        dimension = (await session.exec(select(Dimension))).first()
    (score,) = await insert(
        DimensionScore(
            report_id=node_id(world.report_own),
            dimension_id=dimension.id,
            score=60,
            confidence=0.8,
            pipeline_version="test",
        )
    )
    reader = GraphQLClient(service("erp-3", ["reports:read"]))
    await reader(
        "query($id: ID!) { node(id: $id) { ... on DimensionScore { score } } }",
        id=global_id("DimensionScore", score.id),
    )
    assert [(event["actor"], event["entityId"]) for event in await _audit("report.read")] == [
        ("client:erp-3", world.report_own)
    ]
