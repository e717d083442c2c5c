"""The candidate side: invitation token only, consent, streamed uploads, submit; every refusal typed."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

import workers.actors
from gateway.db import read_session
from gateway.models import Answer, Application, Interview
from gateway.models.base import utcnow
from gateway.models.enums import ApplicationStage
from gateway.settings import get_settings
from gateway.storage import get_media_store
from tests import factories
from tests.db_helpers import fetch, global_id, insert, node_id, row_count
from tests.interview_helpers import (
    INVITATION,
    RESCORE,
    SUBMIT,
    give_consent,
    invited_candidate,
    multipart_upload,
    put_answer,
    wav_bytes,
)


async def _stored_answer(interview_id: str, question_id: str) -> Answer:
    async with read_session() as session:
        return (
            await session.exec(
                select(Answer).where(
                    Answer.interview_id == node_id(interview_id), Answer.question_id == node_id(question_id)
                )
            )
        ).one()


async def test_candidate_sees_prompts_but_not_the_rubric(gql):
    invited = await invited_candidate(gql)
    view = (await gql(INVITATION, token=invited.token))["invitation"]
    assert view["status"] == "INVITED" and view["requisitionTitle"] == "Branch Teller"
    assert view["consent"] == {"aiProcessing": False, "biometric": False}
    assert [q["questionId"] for q in view["questions"]] == invited.question_ids
    assert view["questions"][0]["promptZh"].startswith("请描述")
    leak = await gql.execute(
        "query($t: String!) { invitation(token: $t) { questions { rubricKeywords } } }", t=invited.token
    )
    assert leak.errors and "rubricKeywords" in leak.errors[0].message


async def test_bad_tokens_are_refused_with_a_code(gql):
    invited = await invited_candidate(gql)
    forged = await gql.execute(INVITATION, token="forged-token")
    assert forged.errors[0].extensions == {"code": "BAD_USER_INPUT", "reason": "INVITATION_INVALID"}
    interview = await fetch(Interview, invited.interview_id)
    interview.expires_at = utcnow() - timedelta(minutes=1)
    await insert(interview)
    expired = await gql.execute(INVITATION, token=invited.token)
    assert expired.errors[0].extensions == {"code": "BAD_USER_INPUT", "reason": "INVITATION_EXPIRED"}
    consent = await gql(
        "mutation($i: InterviewConsentRecordInput!) { interviewConsentRecord(input: $i) { consent { aiProcessing } errors { code field } } }",
        i={"invitationToken": invited.token, "aiProcessing": True, "biometric": True, "noticeVersion": "2026-01"},
    )
    assert consent["interviewConsentRecord"]["errors"] == [{"code": "INVITATION_EXPIRED", "field": "invitationToken"}]


async def test_rejected_application_revokes_the_invitation(gql):
    invited = await invited_candidate(gql)
    await factories.move(gql, invited.application_id, "REJECTED")
    revoked = await gql.execute(INVITATION, token=invited.token)
    assert revoked.errors[0].extensions == {"code": "BAD_USER_INPUT", "reason": "INVITATION_REVOKED"}


async def test_upload_needs_consent_then_streams_to_the_media_store(gql, http):
    invited = await invited_candidate(gql)
    no_consent = await put_answer(http, invited.token, invited.question_ids[0], wav_bytes())
    assert no_consent.status_code == 403 and no_consent.json()["errors"][0]["code"] == "CONSENT_REQUIRED"
    assert await row_count(Answer) == 0
    assert (await give_consent(gql, invited.token, biometric=False))["consent"] == {
        "aiProcessing": True,
        "biometric": False,
    }
    body = wav_bytes()
    response = await put_answer(http, invited.token, invited.question_ids[0], body)
    assert response.status_code == 201, response.text
    assert response.json()["answer"]["contentType"] == "audio/wav" and response.json()["answer"]["bytes"] == len(body)
    answer = await _stored_answer(invited.interview_id, invited.question_ids[0])
    assert get_media_store().local_path(answer.media_uri).read_bytes() == body
    view = (await gql(INVITATION, token=invited.token))["invitation"]
    assert view["status"] == "IN_PROGRESS"
    assert [q["answered"] for q in view["questions"]] == [True, False, False]


async def test_multipart_upload_through_graphql(gql, http):
    invited = await invited_candidate(gql)
    await give_consent(gql, invited.token)
    result = await multipart_upload(http, invited.token, invited.question_ids[1], wav_bytes(), "answer.webm")
    payload = result["data"]["interviewAnswerUpload"]
    assert payload["errors"] == []
    question = payload["invitation"]["questions"][1]
    assert question == {
        "questionId": invited.question_ids[1],
        "answered": True,
        "answerContentType": "audio/wav",
        "answerBytes": len(wav_bytes()),
    }
    not_media = await multipart_upload(
        http, invited.token, invited.question_ids[1], b"hello, this is text" * 10, "a.mp4"
    )
    assert not_media["data"]["interviewAnswerUpload"]["errors"][0]["code"] == "UNSUPPORTED_MEDIA"


async def test_refused_uploads_keep_what_was_uploaded(gql, http, monkeypatch):
    invited = await invited_candidate(gql)
    await give_consent(gql, invited.token)
    first = wav_bytes(0.2)
    assert (await put_answer(http, invited.token, invited.question_ids[0], first)).status_code == 201
    media_dir = get_media_store().root
    files_before = sorted(path for path in media_dir.rglob("*") if path.is_file())

    wrong_content = await put_answer(http, invited.token, invited.question_ids[0], b"<html>not a video</html>" * 4)
    assert wrong_content.status_code == 415 and wrong_content.json()["errors"][0]["code"] == "UNSUPPORTED_MEDIA"
    empty = await put_answer(http, invited.token, invited.question_ids[0], b"")
    assert empty.status_code == 400 and empty.json()["errors"][0]["code"] == "EMPTY_UPLOAD"
    other_model = await factories.create_model(gql)
    foreign = await put_answer(http, invited.token, other_model["question_ids"][0], first)
    assert foreign.status_code == 404 and foreign.json()["errors"][0]["code"] == "QUESTION_NOT_IN_INTERVIEW"
    not_a_question = await put_answer(http, invited.token, invited.interview_id, first)
    assert not_a_question.status_code == 404 and not_a_question.json()["errors"][0]["code"] == "INVALID_ID"
    forged = await put_answer(http, "forged", invited.question_ids[0], first)
    assert forged.status_code == 401 and forged.json()["errors"][0]["code"] == "INVITATION_INVALID"
    monkeypatch.setattr(get_settings(), "max_upload_bytes", 4_000)
    too_large = await put_answer(http, invited.token, invited.question_ids[0], wav_bytes(1.0))
    assert too_large.status_code == 413 and too_large.json()["errors"][0]["code"] == "UPLOAD_TOO_LARGE"

    assert sorted(path for path in media_dir.rglob("*") if path.is_file()) == files_before
    answer = await _stored_answer(invited.interview_id, invited.question_ids[0])
    assert get_media_store().local_path(answer.media_uri).read_bytes() == first


async def test_reupload_replaces_the_recording_and_removes_the_old_file(gql, http):
    invited = await invited_candidate(gql)
    await give_consent(gql, invited.token)
    await put_answer(http, invited.token, invited.question_ids[0], wav_bytes(0.2))
    old = (await _stored_answer(invited.interview_id, invited.question_ids[0])).media_uri
    await put_answer(http, invited.token, invited.question_ids[0], wav_bytes(0.3))
    new = (await _stored_answer(invited.interview_id, invited.question_ids[0])).media_uri
    assert new != old and not get_media_store().local_path(old).exists()
    assert get_media_store().local_path(new).stat().st_size == len(wav_bytes(0.3))
    assert await row_count(Answer) == 1


async def test_submit_needs_every_answer_then_queues_one_job(gql, http):
    invited = await invited_candidate(gql)
    await give_consent(gql, invited.token)
    await put_answer(http, invited.token, invited.question_ids[0], wav_bytes())
    missing = (await gql(SUBMIT, input={"invitationToken": invited.token}))["interviewSubmit"]
    assert [(e["field"], e["code"]) for e in missing["errors"]] == [("answers", "ANSWERS_MISSING")] * 2
    assert "question 2" in missing["errors"][0]["message"]
    assert workers.actors.broker.queues["scoring"].qsize() == 0
    for question_id in invited.question_ids[1:]:
        await put_answer(http, invited.token, question_id, wav_bytes())
    submitted = (await gql(SUBMIT, input={"invitationToken": invited.token}))["interviewSubmit"]
    assert submitted["errors"] == [] and submitted["invitation"]["status"] == "QUEUED"
    queue = workers.actors.broker.queues["scoring"]
    assert queue.qsize() == 1
    interview = await fetch(Interview, invited.interview_id)
    assert interview.submitted_at is not None
    again = (await gql(SUBMIT, input={"invitationToken": invited.token}))["interviewSubmit"]
    assert again["errors"] == [] and again["invitation"]["status"] == "QUEUED"  # the same submit: success again
    assert queue.qsize() == 1 and (await fetch(Interview, invited.interview_id)).submitted_at == interview.submitted_at
    late_upload = await put_answer(http, invited.token, invited.question_ids[0], wav_bytes())
    assert late_upload.status_code == 409


async def test_submit_without_consent(gql):
    invited = await invited_candidate(gql)
    refused = (await gql(SUBMIT, input={"invitationToken": invited.token}))["interviewSubmit"]
    assert refused["errors"][0]["code"] == "CONSENT_REQUIRED"


async def test_rescore_only_scored_or_failed_interviews(gql):
    invited = await invited_candidate(gql)
    early = (await gql(RESCORE, input={"interviewId": invited.interview_id}))["interviewRescore"]
    assert early["errors"][0]["code"] == "NOT_RESCORABLE"
    missing = (await gql(RESCORE, input={"interviewId": global_id("Interview", 999)}))["interviewRescore"]
    assert missing["errors"][0]["code"] == "NOT_FOUND"
    assert (await fetch(Application, invited.application_id)).stage is ApplicationStage.AI_INTERVIEW
