"""The human decision on an interview report (``interviewReportDecide``) next to the AI recommendation:
the recommendation rule, following it, overriding it (reason required), re-deciding, audit, who may decide."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from gateway.db import read_session
from gateway.models import Application, AuditEvent, Interview, InterviewReport
from gateway.models.base import utcnow
from gateway.models.enums import HumanDecision
from resolvers.services.audit import person, service
from resolvers.services.decisions import ai_recommendation
from tests import factories
from tests.assertions import codes, refused
from tests.db_helpers import all_row_counts, fetch, global_id, insert
from tests.feedback_schema import error_codes
from tests.graphql_client import GraphQLClient

DECIDE = f"""
mutation($input: InterviewReportDecideInput!) {{
  interviewReportDecide(input: $input) {{
    report {{ id total percentile aiRecommendation humanDecision overrideReason decidedBy decidedAt }}
    {factories.ERRORS}
  }}
}}"""

RECRUITER = person("recruiter-1", ["recruiter"], name="li.recruiter@bank.example")


async def _report(gql, *, total: float | None, percentile: float | None = None, insufficient: bool = False) -> str:
    """A scored report, written directly (scoring itself is tested elsewhere)."""
    model = await factories.create_model(gql)
    requisition_id = await factories.create_requisition(gql, model["version_id"])
    application_id = await factories.apply(gql, await factories.create_candidate(gql), requisition_id)
    interview = await fetch(Interview, (await factories.invite(gql, application_id))["interview"]["id"])
    application = await fetch(Application, application_id)
    (report,) = await insert(
        InterviewReport(
            interview_id=interview.id,
            requisition_id=application.requisition_id,
            total=total,
            percentile=percentile,
            insufficient_evidence=insufficient,
            pipeline_version="test",
            scored_at=utcnow() - timedelta(minutes=1),
        )
    )
    return global_id("InterviewReport", report.id)


@pytest.mark.parametrize(
    ("total", "percentile", "insufficient", "expected"),
    [
        (70.0, None, False, HumanDecision.ADVANCE),
        (69.9, 60.0, False, HumanDecision.ADVANCE),
        (69.9, 59.9, False, HumanDecision.HOLD),
        (40.0, None, False, HumanDecision.HOLD),
        (39.9, 95.0, False, HumanDecision.REJECT),
        (0.0, None, False, HumanDecision.REJECT),
        (None, None, True, None),
        (85.0, 90.0, True, None),
    ],
)
def test_ai_recommendation_rule(total, percentile, insufficient, expected):
    report = InterviewReport(
        interview_id=1,
        requisition_id=1,
        total=total,
        percentile=percentile,
        insufficient_evidence=insufficient,
        pipeline_version="test",
    )
    assert ai_recommendation(report) is expected


async def test_following_the_recommendation_needs_no_reason_and_is_audited(gql):
    report_id = await _report(gql, total=78.0, percentile=81.0)
    payload = await GraphQLClient(RECRUITER).mutate(
        DECIDE, "interviewReportDecide", input={"reportId": report_id, "decision": "ADVANCE"}
    )
    report = payload["report"]
    assert report["aiRecommendation"] == "ADVANCE" and report["humanDecision"] == "ADVANCE"
    assert report["overrideReason"] is None and report["decidedBy"] == "li.recruiter@bank.example"
    assert report["decidedAt"] is not None
    async with read_session() as session:
        (event,) = (await session.exec(select(AuditEvent).where(AuditEvent.action == "report.decide"))).all()
    assert event.actor == "li.recruiter@bank.example" and event.entity_type == "InterviewReport"
    assert event.details == {
        "decision": "advance",
        "ai_recommendation": "advance",
        "override": False,
        "previous_decision": None,
    }


async def test_overriding_the_recommendation_needs_a_reason(gql):
    report_id = await _report(gql, total=52.0, percentile=30.0)
    client = GraphQLClient()
    for reason in (None, "   "):
        errors = await refused(
            client,
            DECIDE,
            "interviewReportDecide",
            input={"reportId": report_id, "decision": "REJECT", "overrideReason": reason},
        )
        assert codes(errors) == ["REQUIRED"] and errors[0]["field"] == "overrideReason"
        assert "HOLD" in errors[0]["message"]
    reason = "二面表现与AI评估不符：风险意识不足 / second interview showed weak risk awareness"
    payload = await client.mutate(
        DECIDE, "interviewReportDecide", input={"reportId": report_id, "decision": "REJECT", "overrideReason": reason}
    )
    assert payload["report"]["aiRecommendation"] == "HOLD"
    assert (payload["report"]["humanDecision"], payload["report"]["overrideReason"]) == ("REJECT", reason)
    stored = await fetch(InterviewReport, report_id)
    assert stored.human_decision is HumanDecision.REJECT and stored.override_reason == reason

    # Deciding again, now as the AI recommends: the old override reason goes.
    payload = await client.mutate(DECIDE, "interviewReportDecide", input={"reportId": report_id, "decision": "HOLD"})
    assert (payload["report"]["humanDecision"], payload["report"]["overrideReason"]) == ("HOLD", None)
    async with read_session() as session:
        events = (
            await session.exec(select(AuditEvent).where(AuditEvent.action == "report.decide").order_by(AuditEvent.id))
        ).all()
    assert [(event.details["override"], event.details["previous_decision"]) for event in events] == [
        (True, None),
        (False, "reject"),
    ]


async def test_without_a_recommendation_any_decision_stands_without_a_reason(gql):
    report_id = await _report(gql, total=None, insufficient=True)
    payload = await GraphQLClient().mutate(
        DECIDE, "interviewReportDecide", input={"reportId": report_id, "decision": "HOLD"}
    )
    assert payload["report"]["aiRecommendation"] is None and payload["report"]["humanDecision"] == "HOLD"


async def test_decide_errors(gql):
    report_id = await _report(gql, total=75.0)
    client = GraphQLClient()
    missing = await refused(
        client,
        DECIDE,
        "interviewReportDecide",
        input={"reportId": global_id("InterviewReport", 999), "decision": "ADVANCE"},
    )
    assert codes(missing) == ["NOT_FOUND"] and missing[0]["field"] == "reportId"
    wrong_type = await refused(
        client, DECIDE, "interviewReportDecide", input={"reportId": global_id("Interview", 1), "decision": "ADVANCE"}
    )
    assert codes(wrong_type) == ["WRONG_TYPE"]
    too_long = await refused(
        client,
        DECIDE,
        "interviewReportDecide",
        input={"reportId": report_id, "decision": "REJECT", "overrideReason": "x" * 5001},
    )
    assert codes(too_long) == ["INVALID"] and too_long[0]["field"] == "overrideReason"


async def test_who_may_decide(gql):
    report_id = await _report(gql, total=75.0)
    for principal in (
        person("hm-1", ["hiring_manager"]),
        person("auditor-1", ["auditor"]),
        service("ats", ["candidates:write", "reports:read"]),
        service("sap-hr", ["kpi:write"]),
    ):
        before = await all_row_counts()
        result = await GraphQLClient(principal).execute(DECIDE, input={"reportId": report_id, "decision": "ADVANCE"})
        assert error_codes(result) == ["FORBIDDEN"], principal
        assert await all_row_counts() == before
    for principal in (RECRUITER, person("hr-admin-2", ["hr_admin"])):
        await GraphQLClient(principal).mutate(
            DECIDE, "interviewReportDecide", input={"reportId": report_id, "decision": "ADVANCE"}
        )
