"""Whole interviews scored by the real models through the Dramatiq actor (in-process worker).

The scores must move with the evidence: relevant, fluent answers beat off-topic
ones in English and Mandarin; silence is insufficient evidence, never a number;
a recording the decoder cannot open is refused at upload; one damaged in storage afterwards fails the
interview with a reason and can be re-submitted.
"""

from __future__ import annotations

from pathlib import Path

import dramatiq
import pytest
from sqlmodel import select

import workers.actors
from gateway.db import read_session
from gateway.models import Answer, DimensionScore, Interview, InterviewReport
from gateway.storage import get_media_store
from tests.db_helpers import fetch, node_id, row_count
from tests.interview_helpers import (
    RESCORE,
    SUBMIT,
    give_consent,
    invited_candidate,
    put_answer,
    teller_model,
    wait_for_status,
)
from workers.scoring import pipeline_config

REPORT = """
query($id: ID!) {
  node(id: $id) {
    ... on Interview {
      status statusReason
      answers { edges { node { transcript language features error } } }
      report {
        total percentile insufficientEvidence strengths weaknesses pipelineVersion models
        strengthLabels { key zh en }
        scoringConfiguration { version hash pipelineVersion parameters }
        tags { zh en }
        radar { key labelZh labelEn value }
        dimensionScores { edges { node { score confidence insufficientEvidenceReason
          evidence { feature value contribution } dimension { key } } } }
      }
    }
  }
}"""


@pytest.fixture
def scoring_worker():
    worker = dramatiq.Worker(workers.actors.broker, worker_threads=1)
    worker.start()
    yield worker
    worker.stop()


@pytest.fixture
async def teller(gql):
    return await teller_model(gql)


async def interview_answered_with(gql, http, model, recordings: list[Path], *, biometric: bool = False):
    invited = await invited_candidate(gql, model)
    await give_consent(gql, invited.token, biometric=biometric)
    for question_id, recording in zip(invited.question_ids, recordings, strict=True):
        response = await put_answer(http, invited.token, question_id, recording.read_bytes())
        assert response.status_code == 201, response.text
    submitted = (await gql(SUBMIT, input={"invitationToken": invited.token}))["interviewSubmit"]
    assert submitted["errors"] == []
    return invited


async def scored_report(gql, invited) -> dict:
    interview = await wait_for_status(invited.interview_id, "scored", "failed")
    data = (await gql(REPORT, id=invited.interview_id))["node"]
    assert interview.status.value == "scored", data["statusReason"]
    return data


async def test_relevant_answers_outscore_off_topic_ones_in_both_languages(
    gql, http, teller, test_media, scoring_worker
):
    interviews = {
        name: await interview_answered_with(gql, http, teller, [getattr(test_media, name)])
        for name in ("english_relevant_wav", "english_off_topic_wav", "mandarin_relevant_wav", "mandarin_off_topic_wav")
    }
    reports = {name: await scored_report(gql, invited) for name, invited in interviews.items()}
    totals = {name: data["report"]["total"] for name, data in reports.items()}
    assert totals["english_relevant_wav"] > totals["english_off_topic_wav"] + 20, totals
    assert totals["english_off_topic_wav"] <= 15, totals  # content first
    mandarin_off_topic = reports["mandarin_off_topic_wav"]
    if totals["mandarin_off_topic_wav"] is None:
        # The synthetic Mandarin off-topic recording sits at the audio-quality gate's edge (Whisper's confidence
        # about −1.0): one CI run in several refuses it. A refusal must then say why, never guess a score.
        assert mandarin_off_topic["report"]["insufficientEvidence"] is True, mandarin_off_topic["statusReason"]
        assert mandarin_off_topic["statusReason"], mandarin_off_topic
    else:
        assert totals["mandarin_relevant_wav"] > totals["mandarin_off_topic_wav"] + 10, totals
        assert totals["mandarin_off_topic_wav"] <= 15, totals
    assert totals["mandarin_relevant_wav"] is not None and totals["mandarin_relevant_wav"] > 15, totals

    english = reports["english_relevant_wav"]
    answer = english["answers"]["edges"][0]["node"]
    assert answer["language"] == "en" and "count" in answer["transcript"].lower()
    assert answer["features"]["speech"]["speaking_rate_unit"] == "words_per_minute"
    assert answer["features"]["vision"] is None  # no biometric consent, no face analysis
    assert reports["mandarin_relevant_wav"]["answers"]["edges"][0]["node"]["language"] == "zh"

    report = english["report"]
    assert report["insufficientEvidence"] is False and report["pipelineVersion"]
    score = report["dimensionScores"]["edges"][0]["node"]
    assert score["dimension"]["key"] == "service" and score["score"] == pytest.approx(report["total"], abs=0.01)
    assert 0 < score["confidence"] <= 1
    features = {item["feature"] for item in score["evidence"]}
    assert {"relevance", "sample_answer_similarity", "keyword_coverage"} <= features
    assert sum(item["contribution"] for item in score["evidence"]) == pytest.approx(score["score"], abs=0.5)
    assert report["radar"] == [
        {"key": "service", "labelZh": "服务意识", "labelEn": "Service awareness", "value": score["score"]}
    ]
    assert report["strengths"] and all(tag["zh"] and tag["en"] for tag in report["tags"])
    assert report["strengthLabels"] == [{"key": "service", "zh": "服务意识", "en": "Service awareness"}]
    configuration, worker_config = report["scoringConfiguration"], pipeline_config()
    assert configuration == {
        "version": worker_config.version,
        "hash": worker_config.content_hash,
        "pipelineVersion": report["pipelineVersion"],
        "parameters": worker_config.parameters(),
    }
    assert report["models"]["vision"] is None and report["models"]["speech"] == worker_config.speech_model
    percentiles = {  # re-read: each scoring refreshes the standing of the requisition's earlier reports
        name: (await gql(REPORT, id=invited.interview_id))["node"]["report"]["percentile"]
        for name, invited in interviews.items()
    }
    ranked_by_total = sorted(totals, key=totals.get)
    assert sorted(percentiles, key=percentiles.get) == ranked_by_total
    for name, total in totals.items():  # ties (two off-topic answers both scoring 0) share the middle
        below = sum(other < total for other in totals.values())
        tied = sum(other == total for other in totals.values())
        assert percentiles[name] == pytest.approx(100 * (below + tied / 2) / len(totals), abs=0.05), percentiles
    assert percentiles[ranked_by_total[-1]] == 87.5


async def test_face_and_faceless_video_with_biometric_consent(gql, http, teller, test_media, scoring_worker):
    face = await interview_answered_with(gql, http, teller, [test_media.face_video_mp4], biometric=True)
    faceless = await interview_answered_with(gql, http, teller, [test_media.faceless_video_webm], biometric=True)
    face_vision = (await scored_report(gql, face))["answers"]["edges"][0]["node"]["features"]["vision"]
    faceless_data = await scored_report(gql, faceless)
    faceless_vision = faceless_data["answers"]["edges"][0]["node"]["features"]["vision"]
    assert face_vision["face_presence_share"] > 0.8
    assert faceless_vision["face_presence_share"] < 0.2 and faceless_vision["gaze_toward_camera_share"] is None
    assert faceless_data["report"]["total"] is not None  # the spoken answer still counts


async def test_silence_is_insufficient_evidence_not_a_number(gql, http, teller, test_media, scoring_worker):
    silent = await interview_answered_with(gql, http, teller, [test_media.silent_wav])
    data = await scored_report(gql, silent)
    report = data["report"]
    assert report["total"] is None and report["insufficientEvidence"] is True and report["percentile"] is None
    score = report["dimensionScores"]["edges"][0]["node"]
    assert score["score"] is None and score["insufficientEvidenceReason"].startswith("question 1: only ")
    assert report["radar"][0]["value"] is None
    assert data["statusReason"] == "insufficient evidence: see the report"


async def test_noise_at_0_db_is_insufficient_evidence_with_a_reason(gql, http, teller, test_media, scoring_worker):
    noisy = await interview_answered_with(gql, http, teller, [test_media.english_relevant_noise_0db_wav])
    data = await scored_report(gql, noisy)
    report = data["report"]
    assert report["total"] is None and report["insufficientEvidence"] is True
    reason = "the recording of question 1 is too noisy to understand; please record it again"
    assert data["statusReason"].startswith(f"insufficient evidence — {reason}")
    quality = data["answers"]["edges"][0]["node"]["features"]["quality"]
    assert quality["verdict"] == "too_noisy" and quality["reason_en"].startswith(reason)
    assert quality["reason_zh"].startswith("第 1 题的录音噪声太大")
    assert report["models"]["quality_notes"] == [
        {"question": 1, "zh": quality["reason_zh"], "en": quality["reason_en"]}
    ]
    score = report["dimensionScores"]["edges"][0]["node"]
    assert score["score"] is None and "too noisy to understand" in score["insufficientEvidenceReason"]


async def test_corrupt_recording_fails_with_a_reason_and_can_be_resubmitted(
    gql, http, teller, test_media, scoring_worker
):
    invited = await invited_candidate(gql, teller)
    await give_consent(gql, invited.token, biometric=False)
    refused = await put_answer(http, invited.token, invited.question_ids[0], test_media.truncated_mp4.read_bytes())
    assert refused.status_code == 415, refused.text  # the decoder cannot open it: refused at upload
    uploaded = await put_answer(
        http, invited.token, invited.question_ids[0], test_media.english_relevant_wav.read_bytes()
    )
    assert uploaded.status_code == 201, uploaded.text
    async with read_session() as session:
        stored = (await session.exec(select(Answer).where(Answer.interview_id == node_id(invited.interview_id)))).one()
    # Damaged in storage after the upload (a failing disk, an interrupted copy): scoring fails with a reason.
    get_media_store().local_path(stored.media_uri).write_bytes(test_media.truncated_mp4.read_bytes())
    submitted = (await gql(SUBMIT, input={"invitationToken": invited.token}))["interviewSubmit"]
    assert submitted["errors"] == []
    failed = await wait_for_status(invited.interview_id, "failed", "scored")
    assert failed.status.value == "failed"
    assert "question 1" in failed.status_reason and "record it again" in failed.status_reason
    async with read_session() as session:
        answer = (await session.exec(select(Answer).where(Answer.interview_id == node_id(invited.interview_id)))).one()
    assert answer.error and answer.media_uri  # the upload itself is kept
    assert await row_count(InterviewReport) == 0

    response = await put_answer(
        http, invited.token, invited.question_ids[0], test_media.english_relevant_wav.read_bytes()
    )
    assert response.status_code == 201
    resubmitted = (await gql(SUBMIT, input={"invitationToken": invited.token}))["interviewSubmit"]
    assert resubmitted["errors"] == [] and resubmitted["invitation"]["status"] == "QUEUED"
    data = await scored_report(gql, invited)
    assert data["report"]["total"] > 50


async def test_rescore_keeps_exactly_one_report(gql, http, teller, test_media, scoring_worker):
    invited = await interview_answered_with(gql, http, teller, [test_media.english_relevant_wav])
    first = (await scored_report(gql, invited))["report"]
    payload = (await gql(RESCORE, input={"interviewId": invited.interview_id}))["interviewRescore"]
    assert payload["errors"] == [] and payload["interview"]["status"] == "QUEUED"
    second = (await scored_report(gql, invited))["report"]
    assert second["total"] == pytest.approx(first["total"], abs=2.0)
    assert await row_count(InterviewReport) == 1
    async with read_session() as session:
        scores = (await session.exec(select(DimensionScore))).all()
    assert len(scores) == 1  # upserted by report × dimension × pipeline version
    assert (await fetch(Interview, invited.interview_id)).scoring_attempts == 2


async def test_transient_failures_retry_then_fail_with_a_readable_reason(gql, http, teller, test_media, monkeypatch):
    attempts = []

    async def broken_job(interview_id: int) -> None:
        attempts.append(interview_id)
        raise ConnectionError("media volume unavailable")

    monkeypatch.setattr(workers.actors, "score_interview_job", broken_job)
    invited = await interview_answered_with(gql, http, teller, [test_media.english_relevant_wav])
    queue = workers.actors.broker.queues["scoring"]
    message = queue.get_nowait()  # resend the submitted job with a test-sized backoff
    queue.task_done()
    workers.actors.score_interview.send_with_options(
        args=(node_id(invited.interview_id),), min_backoff=10, max_backoff=20
    )
    worker = dramatiq.Worker(workers.actors.broker, worker_threads=1)
    worker.start()
    try:
        failed = await wait_for_status(invited.interview_id, "failed", timeout=60)
    finally:
        worker.stop()
    assert message is not None
    assert len(attempts) == workers.actors.SCORING_MAX_RETRIES + 1
    assert failed.status_reason == (  # from ``on_retry_exhausted``, after the last retry
        "scoring failed after 4 attempts (ConnectionError: media volume unavailable); "
        "a recruiter can re-score it once the cause is fixed"
    )
    # the interview stays re-scorable and the upload is intact
    rescore = (await gql(RESCORE, input={"interviewId": invited.interview_id}))["interviewRescore"]
    assert rescore["errors"] == []
