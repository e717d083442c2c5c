"""Privacy (PIPL art. 24, 28, 29, 47; Illinois AI Video Interview Act): explanation, human review, erasure, retention.

Until ``PrivacyQuery``/``PrivacyMutations`` join the root schema, the privacy operations run on a
schema of their own (``privacy``); once they do, on the root schema. Test data is made through the
root schema (``gql``) as elsewhere.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
import strawberry
from click.testing import CliRunner
from sqlmodel import col, select

from gateway.cli import main as hrgate_cli
from gateway.db import read_session, unit_of_work
from gateway.models import (
    Answer,
    Application,
    AuditEvent,
    Candidate,
    ConsentRecord,
    DimensionScore,
    Employee,
    Interview,
    InterviewQuestion,
    InterviewReport,
    OnboardingArchive,
    Question,
    Requisition,
    ReviewRequest,
)
from gateway.models.base import utcnow
from gateway.models.enums import ApplicationStage, InterviewStatus, ReviewRequestKind
from gateway.storage import get_media_store
from resolvers.services.audit import Actor, person
from resolvers.services.explanation import Bilingual, explain_dimension, explain_not_used
from resolvers.services.retention import run_retention
from schema.context import Context
from schema.mutations.privacy import PrivacyMutations, PrivacyQuery
from schema.root import schema as root_schema
from tests import factories
from tests.assertions import codes, refused
from tests.db_helpers import all_row_counts, fetch, global_id, insert, node_id
from tests.graphql_client import GraphQLClient
from tests.interview_helpers import InvitedCandidate, give_consent, invited_candidate, put_answer, wav_bytes
from workers.retention import retention_run, schedule_daily


def _privacy_schema() -> strawberry.Schema:
    """The root schema once the privacy operations are wired into it; until then, a schema of their own."""
    sdl = root_schema.as_str()
    if "interviewExplanationRequest(" in sdl and "reviewRequests(" in sdl:
        return root_schema
    return strawberry.Schema(query=PrivacyQuery, mutation=PrivacyMutations)


PRIVACY_SCHEMA = _privacy_schema()
ERRORS = "errors { field message code }"

EXPLAIN = f"""
mutation($input: InterviewExplanationRequestInput!) {{
  interviewExplanationRequest(input: $input) {{
    explanation {{
      interviewId reviewRequestId
      summary {{ zh en }}
      dimensions {{ key nameZh nameEn text {{ zh en }} }}
      notUsed {{ zh en }}
      ownReport {{ total dimensionScores {{ key nameEn score }} radar {{ key labelZh labelEn value }} }}
    }}
    {ERRORS}
  }}
}}"""

HUMAN_REVIEW = f"""
mutation($input: InterviewHumanReviewRequestInput!) {{
  interviewHumanReviewRequest(input: $input) {{
    reviewRequest {{ reviewRequestId kind status message requestedAt }} {ERRORS}
  }}
}}"""

REVIEW_REQUESTS = """
query($status: ReviewRequestStatus, $kind: ReviewRequestKind) {
  reviewRequests(first: 10, status: $status, kind: $kind) {
    totalCount
    edges { node { id kind status candidateMessage resolution resolvedBy interview { id } } }
  }
}"""

RESOLVE = f"""
mutation($input: ReviewRequestResolveInput!) {{
  reviewRequestResolve(input: $input) {{
    reviewRequest {{ id status resolution resolvedBy resolvedAt }} {ERRORS}
  }}
}}"""

ERASE = f"""
mutation($input: CandidateEraseInput!) {{
  candidateErase(input: $input) {{
    erasure {{
      candidateId erasedAt alreadyErased employeeRecordKept mediaFilesDeleted answersCleared reportsCleared
    }}
    candidate {{ id fullName email phone resumeText }}
    {ERRORS}
  }}
}}"""

SERVICE_EVIDENCE = [
    {"feature": "relevance", "value": 0.9, "contribution": 18.2},
    {"feature": "concept_coverage", "value": 0.75, "contribution": 15.0},
    {"feature": "structure", "value": 0.6, "contribution": 6.1},
    {"feature": "pause_control", "value": 0.2, "contribution": 1.4},
]
VISION_EVIDENCE = [
    {"feature": "eye_contact", "value": 0.8, "contribution": 3.0},
    {"feature": "smile", "value": 0.1, "contribution": 0.0},
    {"feature": "gesture_activity", "value": 0.05, "contribution": 0.0},
]
"""Only with biometric consent; smiles and gestures carry no weight, so they are never named."""


class PrivacyClient(GraphQLClient):
    """The privacy operations on their own schema, with the same context and actor as ``gql``."""

    async def execute(self, query: str, **variables: Any) -> Any:
        return await PRIVACY_SCHEMA.execute(query, variable_values=variables, context_value=Context(actor=self.actor))


@pytest.fixture
def privacy(gql) -> PrivacyClient:
    return PrivacyClient(gql.actor)


async def _scored(gql, *, visible: bool, biometric: bool = False) -> tuple[InvitedCandidate, InterviewReport]:
    """An invited candidate whose interview has a stored report (as a worker would have written it)."""
    model = await factories.create_model(gql)
    invited = await invited_candidate(gql, model)
    await give_consent(gql, invited.token, biometric=biometric)
    application = await fetch(Application, invited.application_id)
    async with unit_of_work() as uow:
        requisition = await uow.session.get(Requisition, application.requisition_id)
        requisition.candidate_report_visible = visible
        uow.session.add(requisition)
    report = (
        await insert(
            InterviewReport(
                interview_id=node_id(invited.interview_id),
                requisition_id=application.requisition_id,
                total=64.4,
                percentile=50.0,
                strengths=["service"],
                weaknesses=["risk_awareness"],
                tags=[{"zh": "回答切题", "en": "on-topic answers", "reason": "mean 0.8"}],
                radar=[
                    {"key": "numeracy", "label_zh": "numeracy维度", "label_en": "Numeracy", "value": None},
                    {"key": "service", "label_zh": "service维度", "label_en": "Service", "value": 72.0},
                ],
                models={"vision": "mediapipe face mesh + pose" if biometric else None},
                pipeline_version="test",
                scored_at=utcnow(),
            )
        )
    )[0]
    dimension_ids = {key: node_id(value) for key, value in model["dimension_ids"].items()}
    await insert(
        DimensionScore(
            report_id=report.id,
            dimension_id=dimension_ids["numeracy"],
            pipeline_version="test",
            score=None,
            insufficient_evidence_reason="question 1: only 1.2 s of speech (minimum 3 s)",
        ),
        DimensionScore(
            report_id=report.id,
            dimension_id=dimension_ids["service"],
            pipeline_version="test",
            score=72.0,
            confidence=0.8,
            evidence=SERVICE_EVIDENCE + (VISION_EVIDENCE if biometric else []),
        ),
    )
    return invited, report


async def _audit_actions() -> list[str]:
    async with read_session() as session:
        return list((await session.exec(select(AuditEvent.action).order_by(col(AuditEvent.id)))).all())


async def test_explanation_in_chinese_and_english_reflects_the_stored_evidence(gql, privacy):
    invited, report = await _scored(gql, visible=True, biometric=True)
    payload = await privacy.mutate(EXPLAIN, "interviewExplanationRequest", input={"invitationToken": invited.token})
    explanation = payload["explanation"]
    assert explanation["interviewId"] == invited.interview_id
    assert explanation["summary"]["en"].startswith(
        "Your interview was scored 64.4/100 overall, the weighted mean of the 1 scored"
    )
    assert explanation["summary"]["zh"].startswith("您的面试总分为 64.4/100，是以下 1 项已评分能力得分的加权平均")
    numeracy, service = explanation["dimensions"]
    assert (service["key"], service["nameEn"]) == ("service", "Service")
    assert service["text"]["en"] == (
        "Your answers to the Service questions were scored 72/100, mostly from relevance to the question (+18.2) "
        "and coverage of the rubric concepts (+15); pauses lowered it."
    )
    assert service["text"]["zh"] == (
        "您对“service维度”相关问题的回答得分为 72/100，主要来自回答与问题的相关性（+18.2）和评分要点概念的覆盖（+15）；停顿拉低了得分。"
    )
    assert "smil" not in service["text"]["en"] and "gesture" not in service["text"]["en"]
    assert "微笑" not in service["text"]["zh"] and "手势" not in service["text"]["zh"]
    assert "could not be scored" in numeracy["text"]["en"] and "未能评分" in numeracy["text"]["zh"]
    not_used_en = " ".join(note["en"] for note in explanation["notUsed"])
    not_used_zh = " ".join(note["zh"] for note in explanation["notUsed"])
    assert "With your separate consent to biometric analysis, the video was used only for eye contact" in not_used_en
    assert "Facial expressions (such as smiling) and hand gestures carry no weight" in not_used_en
    assert "生物识别" in not_used_zh and "面部表情" in not_used_zh and "人工复核" in not_used_zh
    own = explanation["ownReport"]
    assert own["total"] == 64.4
    assert own["dimensionScores"] == [
        {"key": "numeracy", "nameEn": "Numeracy", "score": None},
        {"key": "service", "nameEn": "Service", "score": 72.0},
    ]
    assert [axis["value"] for axis in own["radar"]] == [None, 72.0]
    request = await fetch(ReviewRequest, explanation["reviewRequestId"])
    assert request.kind is ReviewRequestKind.EXPLANATION and request.interview_id == node_id(invited.interview_id)
    assert "review_request.explanation" in await _audit_actions()


async def test_report_visibility_follows_the_requisition_policy(gql, privacy):
    invited, _ = await _scored(gql, visible=False)
    hidden = (await privacy.mutate(EXPLAIN, "interviewExplanationRequest", input={"invitationToken": invited.token}))[
        "explanation"
    ]
    assert hidden["ownReport"] is None
    texts = [hidden["summary"], *(dimension["text"] for dimension in hidden["dimensions"])]
    for text in texts:
        assert "/100" not in text["en"] + text["zh"] and "+" not in text["en"] + text["zh"]
    service = hidden["dimensions"][1]["text"]
    assert service["en"] == (
        "Your answers to the Service questions were assessed mostly on relevance to the question and coverage of "
        "the rubric concepts; pauses lowered the result."
    )
    assert "回答与问题的相关性" in service["zh"] and "停顿拉低了结果" in service["zh"]
    not_used_en = " ".join(note["en"] for note in hidden["notUsed"])
    assert "Your video image was not analysed: you did not give separate consent to biometric analysis" in not_used_en
    assert "carry no weight" in not_used_en
    assert "未分析您的视频画面" in " ".join(note["zh"] for note in hidden["notUsed"])
    application = await fetch(Application, invited.application_id)
    async with unit_of_work() as uow:
        requisition = await uow.session.get(Requisition, application.requisition_id)
        requisition.candidate_report_visible = True
        uow.session.add(requisition)
    shown = (await privacy.mutate(EXPLAIN, "interviewExplanationRequest", input={"invitationToken": invited.token}))[
        "explanation"
    ]
    assert shown["ownReport"]["total"] == 64.4


async def test_explanation_refusals_are_typed_and_write_nothing(gql, privacy):
    forged = await refused(privacy, EXPLAIN, "interviewExplanationRequest", input={"invitationToken": "forged"})
    assert codes(forged) == ["INVITATION_INVALID"] and forged[0]["field"] == "invitationToken"
    invited = await invited_candidate(gql)
    not_scored = await refused(
        privacy, EXPLAIN, "interviewExplanationRequest", input={"invitationToken": invited.token}
    )
    assert codes(not_scored) == ["REPORT_NOT_READY"]
    review = await refused(
        privacy, HUMAN_REVIEW, "interviewHumanReviewRequest", input={"invitationToken": "forged", "message": "x"}
    )
    assert codes(review) == ["INVITATION_INVALID"]


async def test_explanation_outlives_the_answering_window(gql, privacy):
    """Rights over the result do not expire with the link's answering window or the application's stage."""
    invited, _ = await _scored(gql, visible=False)
    async with unit_of_work() as uow:
        interview = await uow.session.get(Interview, node_id(invited.interview_id))
        interview.expires_at = utcnow() - timedelta(days=30)
        uow.session.add(interview)
    await factories.move(gql, invited.application_id, "REJECTED")
    payload = await privacy.mutate(EXPLAIN, "interviewExplanationRequest", input={"invitationToken": invited.token})
    assert payload["explanation"]["dimensions"]


async def test_human_review_is_requested_listed_resolved_and_audited(gql, privacy):
    invited, _ = await _scored(gql, visible=False)
    requested = await privacy.mutate(
        HUMAN_REVIEW,
        "interviewHumanReviewRequest",
        input={"invitationToken": invited.token, "message": "我的网络当时很卡，请人工复核。"},
    )
    request = requested["reviewRequest"]
    assert (request["kind"], request["status"]) == ("HUMAN_REVIEW", "OPEN")
    duplicate = await refused(
        privacy, HUMAN_REVIEW, "interviewHumanReviewRequest", input={"invitationToken": invited.token}
    )
    assert codes(duplicate) == ["ALREADY_EXISTS"]

    listed = (await privacy(REVIEW_REQUESTS, status="OPEN"))["reviewRequests"]
    assert listed["totalCount"] == 1
    node = listed["edges"][0]["node"]
    assert node["id"] == request["reviewRequestId"] and node["candidateMessage"] == "我的网络当时很卡，请人工复核。"
    assert node["interview"]["id"] == invited.interview_id

    resolved = await privacy.mutate(
        RESOLVE,
        "reviewRequestResolve",
        input={"reviewRequestId": node["id"], "resolution": "A recruiter watched the recordings: result confirmed."},
    )
    assert resolved["reviewRequest"]["status"] == "RESOLVED"
    assert resolved["reviewRequest"]["resolvedBy"] == gql.actor.name and resolved["reviewRequest"]["resolvedAt"]
    assert (await privacy(REVIEW_REQUESTS, status="OPEN"))["reviewRequests"]["totalCount"] == 0
    assert (await privacy(REVIEW_REQUESTS, kind="HUMAN_REVIEW"))["reviewRequests"]["totalCount"] == 1

    actions = await _audit_actions()
    for action in ("review_request.create", "review_request.list", "review_request.resolve"):
        assert action in actions
    async with read_session() as session:
        resolve_event = (
            await session.exec(select(AuditEvent).where(AuditEvent.action == "review_request.resolve"))
        ).one()
    assert resolve_event.actor == gql.actor.name and resolve_event.entity_id == node_id(node["id"])

    again = await refused(
        privacy, RESOLVE, "reviewRequestResolve", input={"reviewRequestId": node["id"], "resolution": "again"}
    )
    assert codes(again) == ["ALREADY_RESOLVED"] and again[0]["field"] == "reviewRequestId"
    reopened = await privacy.mutate(
        HUMAN_REVIEW, "interviewHumanReviewRequest", input={"invitationToken": invited.token, "message": "still"}
    )
    assert reopened["reviewRequest"]["status"] == "OPEN"


async def test_resolve_refusals_are_typed_and_write_nothing(gql, privacy):
    invited, _ = await _scored(gql, visible=False)
    request = (
        await privacy.mutate(HUMAN_REVIEW, "interviewHumanReviewRequest", input={"invitationToken": invited.token})
    )["reviewRequest"]
    cases = [
        ({"reviewRequestId": global_id("ReviewRequest", 99_999), "resolution": "ok"}, "NOT_FOUND"),
        ({"reviewRequestId": invited.interview_id, "resolution": "ok"}, "WRONG_TYPE"),
        ({"reviewRequestId": "not-an-id", "resolution": "ok"}, "INVALID_ID"),
        ({"reviewRequestId": request["reviewRequestId"], "resolution": "  "}, "REQUIRED"),
    ]
    for review_input, code in cases:
        assert codes(await refused(privacy, RESOLVE, "reviewRequestResolve", input=review_input)) == [code]


async def test_erasure_deletes_media_clears_answers_anonymises_and_keeps_the_audit_trail(gql, privacy, http):
    invited, report = await _scored(gql, visible=True)
    body = wav_bytes(0.3)
    response = await put_answer(http, invited.token, invited.question_ids[0], body)
    assert response.status_code == 201, response.text
    store = get_media_store()
    async with unit_of_work() as uow:
        answer = (await uow.session.exec(select(Answer).where(Answer.interview_id == report.interview_id))).one()
        answer.transcript = "I would recount the cash with the customer."
        answer.language = "en"
        answer.features = {"speech": {"speaking_rate": 130.0}}
        uow.session.add(answer)
    media_path = store.local_path(answer.media_uri)
    assert media_path.read_bytes() == body
    await privacy.mutate(
        HUMAN_REVIEW, "interviewHumanReviewRequest", input={"invitationToken": invited.token, "message": "电话 138…"}
    )
    application = await fetch(Application, invited.application_id)
    candidate_gid = global_id("Candidate", application.candidate_id)
    audit_before = await _audit_actions()

    erased = await privacy.mutate(
        ERASE, "candidateErase", input={"candidateId": candidate_gid, "reason": "candidate's request of 2026-11-20"}
    )
    erasure = erased["erasure"]
    assert erasure["alreadyErased"] is False and erasure["employeeRecordKept"] is False
    assert (erasure["mediaFilesDeleted"], erasure["answersCleared"], erasure["reportsCleared"]) == (1, 1, 1)
    assert erased["candidate"] == {
        "id": candidate_gid,
        "fullName": "erased",
        "email": f"erased-{application.candidate_id}@invalid",
        "phone": None,
        "resumeText": "",
    }
    assert not media_path.exists()
    async with read_session() as session:
        answer = await session.get(Answer, answer.id)
        stored_report = await session.get(InterviewReport, report.id)
        scores = (await session.exec(select(DimensionScore).where(DimensionScore.report_id == report.id))).all()
        requests = (await session.exec(select(ReviewRequest))).all()
        candidate = await session.get(Candidate, application.candidate_id)
        consents = (
            await session.exec(select(ConsentRecord).where(ConsentRecord.candidate_id == application.candidate_id))
        ).all()
    assert answer.media_uri is None and answer.media_sha256 is None
    assert answer.transcript is None and answer.features == {}
    assert candidate.erased_at is not None
    assert stored_report.total == 64.4 and stored_report.percentile == 50.0
    assert (stored_report.strengths, stored_report.weaknesses, stored_report.tags) == ([], [], [])
    assert sorted((score.score, score.evidence) for score in scores if score.score) == [(72.0, [])]
    assert all(request.candidate_message == "" for request in requests)
    assert len(consents) == 2
    assert (await fetch(Application, invited.application_id)).stage is ApplicationStage.WITHDRAWN
    audit_after = await _audit_actions()
    assert audit_after[: len(audit_before)] == audit_before and "candidate.erase" in audit_after

    gone = await refused(privacy, EXPLAIN, "interviewExplanationRequest", input={"invitationToken": invited.token})
    assert codes(gone) == ["INVITATION_INVALID"]

    before = await all_row_counts()
    again = await privacy.mutate(ERASE, "candidateErase", input={"candidateId": candidate_gid, "reason": "again"})
    assert again["erasure"]["alreadyErased"] is True and again["erasure"]["mediaFilesDeleted"] == 0
    assert again["erasure"]["erasedAt"] == erasure["erasedAt"]
    assert await all_row_counts() == before


async def test_erasing_an_employee_keeps_the_employee_record(gql, privacy):
    model = await factories.create_model(gql)
    requisition_id = await factories.create_requisition(gql, model["version_id"])
    application_id = await factories.application_at_offer(gql, requisition_id)
    employee = await factories.hire(gql, application_id)
    application = await fetch(Application, application_id)
    erased = await privacy.mutate(
        ERASE,
        "candidateErase",
        input={"candidateId": global_id("Candidate", application.candidate_id), "reason": "request"},
    )
    assert erased["erasure"]["employeeRecordKept"] is True
    assert erased["candidate"]["fullName"] == "erased"
    kept = await fetch(Employee, employee["id"])
    assert kept.full_name.startswith("王小明")
    async with read_session() as session:
        archive = (await session.exec(select(OnboardingArchive).where(OnboardingArchive.employee_id == kept.id))).one()
    assert archive.resume_text == "3 years as teller"
    assert (await fetch(Application, application_id)).stage is ApplicationStage.HIRED


async def test_erase_refusals_are_typed_and_write_nothing(gql, privacy):
    candidate_id = await factories.create_candidate(gql)
    cases = [
        ({"candidateId": global_id("Candidate", 99_999), "reason": "request"}, "NOT_FOUND", "candidateId"),
        ({"candidateId": global_id("Employee", 1), "reason": "request"}, "WRONG_TYPE", "candidateId"),
        ({"candidateId": "bm9wZQ==", "reason": "request"}, "INVALID_ID", "candidateId"),
        ({"candidateId": candidate_id, "reason": " "}, "REQUIRED", "reason"),
    ]
    for erase_input, code, field in cases:
        errors = await refused(privacy, ERASE, "candidateErase", input=erase_input)
        assert codes(errors) == [code] and errors[0]["field"] == field
    assert (await fetch(Candidate, candidate_id)).erased_at is None


async def _age_candidate(candidate_id: str, days: int) -> None:
    """Move a candidate's whole history ``days`` into the past."""
    past = utcnow() - timedelta(days=days)
    async with unit_of_work() as uow:
        candidate = await uow.session.get(Candidate, node_id(candidate_id))
        candidate.created_at = past
        uow.session.add(candidate)
        for application in (
            await uow.session.exec(select(Application).where(Application.candidate_id == candidate.id))
        ).all():
            application.created_at = application.updated_at = past
            uow.session.add(application)
            for interview in (
                await uow.session.exec(select(Interview).where(Interview.application_id == application.id))
            ).all():
                interview.created_at = past
                uow.session.add(interview)


async def test_retention_erases_only_old_candidates_who_were_not_hired(gql):
    model = await factories.create_model(gql)
    requisition_id = await factories.create_requisition(gql, model["version_id"], headcount=5)
    old = await factories.create_candidate(gql)
    await factories.apply(gql, old, requisition_id)
    old_without_application = await factories.create_candidate(gql)
    recent = await factories.create_candidate(gql)
    await factories.apply(gql, recent, requisition_id)
    hired_application = await factories.application_at_offer(gql, requisition_id)
    await factories.hire(gql, hired_application)
    hired = global_id("Candidate", (await fetch(Application, hired_application)).candidate_id)
    old_but_active = await factories.create_candidate(gql)
    active_application = await factories.apply(gql, old_but_active, requisition_id)
    for candidate_id in (old, old_without_application, hired, old_but_active):
        await _age_candidate(candidate_id, 800)
    await factories.invite(gql, active_application)  # a new interview: recent application activity

    result = await run_retention()
    assert sorted(result.erased_candidate_ids) == sorted(node_id(c) for c in (old, old_without_application))
    for candidate_id in (old, old_without_application):
        assert (await fetch(Candidate, candidate_id)).full_name == "erased"
    for candidate_id in (recent, hired, old_but_active):
        assert (await fetch(Candidate, candidate_id)).erased_at is None
    async with read_session() as session:
        events = (await session.exec(select(AuditEvent).where(AuditEvent.action == "candidate.erase"))).all()
    assert {event.actor for event in events} == {"system:retention"} and len(events) == 2
    assert (await run_retention()).erased_candidate_ids == []
    shorter = await run_retention(retention_days=1, now=utcnow() + timedelta(days=2))
    assert sorted(shorter.erased_candidate_ids) == sorted(node_id(c) for c in (recent, old_but_active))


async def test_retention_runs_as_an_actor_and_from_the_cli(gql):
    first = await factories.create_candidate(gql)
    await _age_candidate(first, 800)
    await asyncio.to_thread(retention_run.fn)
    assert (await fetch(Candidate, first)).erased_at is not None
    assert retention_run.queue_name == "maintenance"

    second = await factories.create_candidate(gql)
    await _age_candidate(second, 40)
    kept = await asyncio.to_thread(CliRunner().invoke, hrgate_cli, ["retention-run"])
    assert kept.exit_code == 0, kept.output
    assert "erased 0 candidate(s)" in kept.output
    erased = await asyncio.to_thread(CliRunner().invoke, hrgate_cli, ["retention-run", "--days", "30"])
    assert erased.exit_code == 0, erased.output
    assert "erased 1 candidate(s)" in erased.output
    assert (await fetch(Candidate, second)).erased_at is not None
    bad = await asyncio.to_thread(CliRunner().invoke, hrgate_cli, ["retention-run", "--days", "0"])
    assert bad.exit_code == 2


async def test_erasure_stops_scoring_that_has_not_finished(gql, privacy):
    """An interview still queued for scoring is failed, so no worker writes transcripts after the erasure."""
    invited = await invited_candidate(gql)
    async with unit_of_work() as uow:
        interview = await uow.session.get(Interview, node_id(invited.interview_id))
        interview.status = InterviewStatus.QUEUED
        uow.session.add(interview)
    application = await fetch(Application, invited.application_id)
    await privacy.mutate(
        ERASE,
        "candidateErase",
        input={"candidateId": global_id("Candidate", application.candidate_id), "reason": "request"},
    )
    interview = await fetch(Interview, invited.interview_id)
    assert interview.status is InterviewStatus.FAILED and interview.status_reason == "personal data erased on request"


async def test_hr_operations_need_an_hr_principal(gql):
    invited = await invited_candidate(gql)
    application = await fetch(Application, invited.application_id)
    erase_input = {"candidateId": global_id("Candidate", application.candidate_id), "reason": "request"}
    for actor, code in (
        (Actor("anonymous", None, kind="anonymous"), "UNAUTHENTICATED"),
        (Actor("candidate:interview:1", "candidate", kind="candidate", interview_id=1), "FORBIDDEN"),
    ):
        client = PrivacyClient(actor)
        listed = await client.execute(REVIEW_REQUESTS)
        assert listed.errors[0].extensions["code"] == code
        erased = await client.execute(ERASE, input=erase_input)
        assert erased.errors[0].extensions["code"] == code
    assert (await fetch(Candidate, erase_input["candidateId"])).erased_at is None


async def test_a_hiring_manager_lists_only_requests_under_their_requisitions(gql):
    mine, _ = await _scored(gql, visible=False)
    other, _ = await _scored(gql, visible=False)
    application = await fetch(Application, mine.application_id)
    async with unit_of_work() as uow:
        requisition = await uow.session.get(Requisition, application.requisition_id)
        requisition.hiring_manager_subject = "hm-1"
        uow.session.add(requisition)
    hr = PrivacyClient(gql.actor)
    for invited in (mine, other):
        await hr.mutate(HUMAN_REVIEW, "interviewHumanReviewRequest", input={"invitationToken": invited.token})
    assert (await hr(REVIEW_REQUESTS))["reviewRequests"]["totalCount"] == 2
    manager = PrivacyClient(person("hm-1", ["hiring_manager"]))
    listed = (await manager(REVIEW_REQUESTS))["reviewRequests"]
    assert listed["totalCount"] == 1
    assert listed["edges"][0]["node"]["interview"]["id"] == mine.interview_id


def test_plain_words_name_only_what_carried_weight():
    service = Bilingual("服务意识", "Service awareness")
    evidence = [
        {"feature": "filler_control", "value": 0.1, "contribution": 0.4},
        {"feature": "smile", "value": 0.2, "contribution": 0.0},
        {"feature": "structure", "value": 0.8, "contribution": 12.4},
    ]
    text = explain_dimension(service, 55.0, evidence, with_numbers=True)
    assert text.en == (
        "Your answers to the Service awareness questions were scored 55/100, mostly from a clear structure (+12.4); "
        "filler words (um, uh) lowered it."
    )
    assert (
        text.zh
        == "您对“服务意识”相关问题的回答得分为 55/100，主要来自回答的条理结构（+12.4）；口头禅（嗯、呃）拉低了得分。"
    )
    weighted_smile = [{"feature": "smile", "value": 0.9, "contribution": 6.0}]
    assert "smiling (+6)" in explain_dimension(service, 60.0, weighted_smile, with_numbers=True).en
    notes = explain_not_used(vision_used=True, biometric_consent=True, expressions_weighted=True)
    assert not any("carry no weight" in note.en for note in notes)
    hidden = explain_dimension(service, None, [], with_numbers=False)
    assert (
        hidden.en
        == "Your answers to the Service awareness questions could not be scored: there was not enough evidence."
    )


async def test_the_embedded_schedule_enqueues_the_retention_job():
    from workers.broker import broker

    queue = broker.queues[retention_run.queue_name]
    task = schedule_daily(first_delay_seconds=0, interval_seconds=3600)
    try:
        for _ in range(100):
            if queue.qsize():
                break
            await asyncio.sleep(0.01)
        assert queue.qsize() == 1
    finally:
        task.cancel()


async def test_explanation_says_what_was_not_asked_and_what_was_not_judged(gql, privacy):
    """Built from the interview's own questions and the report's quality notes: a competency none of whose
    questions was in this interview is "not asked", an answer the audio-quality gate refused is named by its
    question number and never called a low score."""
    invited, report = await _scored(gql, visible=True)
    async with unit_of_work() as uow:
        numeracy_id = (
            await uow.session.exec(
                select(DimensionScore.dimension_id).where(
                    DimensionScore.report_id == report.id, col(DimensionScore.score).is_(None)
                )
            )
        ).one()
        numeracy_questions = select(Question.id).where(Question.dimension_id == numeracy_id)
        await uow.session.exec(
            sa.delete(InterviewQuestion).where(
                col(InterviewQuestion.interview_id) == node_id(invited.interview_id),
                col(InterviewQuestion.question_id).in_(numeracy_questions),
            )
        )
        stored = await uow.session.get(InterviewReport, report.id)
        zh = "第 1 题的录音噪声太大，无法听清；请在安静的环境中重新录制"
        en = "the recording of question 1 is too noisy to understand; please record it again in a quieter place"
        stored.models = {"vision": None, "quality_notes": [{"question": 1, "zh": zh, "en": en}]}
        uow.session.add(stored)
    payload = await privacy.mutate(EXPLAIN, "interviewExplanationRequest", input={"invitationToken": invited.token})
    explanation = payload["explanation"]
    numeracy, service = explanation["dimensions"]
    assert numeracy["text"] == {
        "en": "No Numeracy questions were asked in this interview, so it is not part of the result.",
        "zh": "本次面试没有提问“numeracy维度”相关问题，该项不计入结果。",
    }
    assert service["text"]["en"].endswith(
        "; question 1 was not judged and did not lower the result: the recording of question 1 is too noisy to "
        "understand; please record it again in a quieter place."
    )
    assert service["text"]["zh"].endswith(
        "；第 1 题未予评判，也没有拉低结果：第 1 题的录音噪声太大，无法听清；请在安静的环境中重新录制。"
    )
    assert explanation["summary"]["en"] == (
        "Your interview was scored 64.4/100 overall, the weighted mean of the 1 scored competency below. "
        "Insufficient evidence: the recording of question 1 is too noisy to understand; please record it again "
        "in a quieter place. That answer was left out of the result, not scored low."
    )
