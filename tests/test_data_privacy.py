"""Issue 8, data and authorization findings: score oracle, erasure, small-group analytics, HR-only erasure,
NUL bytes, LIKE wildcards, no-store, quiet expected errors and upload probing."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import col, select

from gateway.db import read_session
from gateway.models import Answer, Application, AuditEvent, Candidate, Interview, InterviewReport, ReviewRequest
from gateway.models.base import utcnow
from gateway.models.enums import ReviewRequestKind
from gateway.storage import get_media_store
from resolvers.services.audit import Actor, person, service
from tests import factories
from tests.db_helpers import fetch, global_id, insert
from tests.graphql_client import GraphQLClient
from tests.interview_helpers import give_consent, invited_candidate, put_answer, wav_bytes


@pytest.fixture(autouse=True)
def empty_media_folder() -> None:
    """Tables are emptied after every test and ids start again at 1: so must the media folder be."""
    shutil.rmtree(get_media_store().local_path("file:interviews"), ignore_errors=True)


async def _scored_application(gql: GraphQLClient, requisition_id: str, total: float) -> tuple[str, int]:
    """An invited application with a scored report of ``total`` (written directly, as a worker would)."""
    application_id = await factories.apply(gql, await factories.create_candidate(gql), requisition_id)
    interview_id = (await factories.invite(gql, application_id))["interview"]["id"]
    interview = await fetch(Interview, interview_id)
    application = await fetch(Application, application_id)
    (report,) = await insert(
        InterviewReport(
            interview_id=interview.id,
            requisition_id=application.requisition_id,
            total=total,
            pipeline_version="test",
            scored_at=utcnow() - timedelta(minutes=1),
        )
    )
    return application_id, report.id


async def _audit(action: str) -> list[AuditEvent]:
    async with read_session() as session:
        rows = await session.exec(select(AuditEvent).where(AuditEvent.action == action).order_by(col(AuditEvent.id)))
        return list(rows.all())


def _codes(result) -> list[str]:  # noqa: ANN001
    return [error.extensions.get("code") for error in result.errors or []]


# --- 3: the score oracle ---------------------------------------------------------------------------

ROOT_SCORE_FILTER = (
    "query($min: Float) { applications(first: 10, minScore: $min) { totalCount edges { node { id } } } }"
)
NESTED_SCORE_FILTER = """query($min: Float, $max: Float) {
  requisitions(first: 5) { edges { node { applications(first: 10, minScore: $min, maxScore: $max) {
    totalCount edges { node { id } } } } } }
}"""


async def test_score_filters_need_report_rights_so_totals_cannot_be_binary_searched(gql):
    model = await factories.create_model(gql)
    requisition_id = await factories.create_requisition(gql, model["version_id"])
    await _scored_application(gql, requisition_id, 63.7)
    connector = GraphQLClient(service("erp-oracle", ["requisitions:read"]))
    for document in (ROOT_SCORE_FILTER, NESTED_SCORE_FILTER):
        for bound in (0.0, 50.0, 75.0, 62.5, 68.75):  # the first steps of a binary search
            result = await connector.execute(document, min=bound)
            assert "FORBIDDEN" in _codes(result), (document, bound, result.data)
            assert "report" in result.errors[0].message
    assert await _audit("report.filter") == []
    unfiltered = await connector.execute("{ applications(first: 10) { totalCount } }")
    assert unfiltered.errors is None and unfiltered.data["applications"]["totalCount"] == 1


async def test_score_filter_uses_are_audited_with_bounds_and_matching_reports(gql):
    model = await factories.create_model(gql)
    requisition_id = await factories.create_requisition(gql, model["version_id"])
    high_application, high_report = await _scored_application(gql, requisition_id, 81.0)
    await _scored_application(gql, requisition_id, 42.0)
    reader = GraphQLClient(service("erp-reports", ["requisitions:read", "reports:read"]))
    root = await reader(ROOT_SCORE_FILTER, min=60.0)
    assert [edge["node"]["id"] for edge in root["applications"]["edges"]] == [high_application]
    nested = await reader(NESTED_SCORE_FILTER, min=40.0, max=50.0)
    assert nested["requisitions"]["edges"][0]["node"]["applications"]["totalCount"] == 1
    events = await _audit("report.filter")
    assert len(events) == 2
    first, second = events
    assert first.actor == "client:erp-reports" and first.entity_type == "InterviewReport"
    assert first.details["min_score"] == 60.0 and first.details["max_score"] is None
    assert first.details["report_ids"] == [high_report]
    assert (second.details["min_score"], second.details["max_score"]) == (40.0, 50.0)
    assert second.details["requisition_id"] is not None and len(second.details["report_ids"]) == 1


# --- 11: HR-only erasure, interview data behind review requests -------------------------------------

ERASE = """mutation($input: CandidateEraseInput!) {
  candidateErase(input: $input) { erasure { alreadyErased } errors { code } }
}"""
REVIEW_INTERVIEWS = "{ reviewRequests(first: 5) { edges { node { id interview { status submittedAt } } } } }"


async def test_candidate_erase_is_for_hr_admins_only(gql):
    candidate_id = await factories.create_candidate(gql)
    erase_input = {"candidateId": candidate_id, "reason": "candidate's request"}
    for actor in (
        service("erp-writer", ["candidates:write", "candidates:read", "requisitions:write"]),
        person("rec-1", ["recruiter"]),
        person("hm-1", ["hiring_manager"]),
        person("audit-1", ["auditor"]),
    ):
        result = await GraphQLClient(actor).execute(ERASE, input=erase_input)
        assert _codes(result) == ["FORBIDDEN"], (actor.name, result)
        assert (await fetch(Candidate, candidate_id)).erased_at is None
    erased = await gql(ERASE, input=erase_input)
    assert erased["candidateErase"]["erasure"]["alreadyErased"] is False


async def test_review_requests_show_interview_data_only_to_interview_readers(gql):
    invited = await invited_candidate(gql)
    interview = await fetch(Interview, invited.interview_id)
    await insert(ReviewRequest(interview_id=interview.id, kind=ReviewRequestKind.HUMAN_REVIEW))
    writer = await GraphQLClient(service("erp-writer", ["candidates:write"])).execute(REVIEW_INTERVIEWS)
    assert _codes(writer) == ["FORBIDDEN"]
    assert writer.data is None or writer.data["reviewRequests"] is None
    for actor in (service("erp-reader", ["candidates:read"]), person("hr-1", ["hr_admin"])):
        allowed = await GraphQLClient(actor).execute(REVIEW_INTERVIEWS)
        assert allowed.errors is None, allowed.errors
        assert allowed.data["reviewRequests"]["edges"][0]["node"]["interview"]["status"] == "INVITED"


# --- 13: NUL bytes, LIKE wildcards, no-store, quiet expected errors -----------------------------------

NUL_FILTERS = [
    ("query($s: String) { candidates(first: 5, search: $s) { totalCount } }", {"s": "wang\x00"}),
    ('{ candidates(first: 5, search: "wang\\u0000") { totalCount } }', {}),
    ("query($d: String) { requisitions(first: 5, department: $d) { totalCount } }", {"d": "Retail\x00"}),
    ("query($d: String) { employees(first: 5, department: $d) { totalCount } }", {"d": "\x00"}),
    ("query($a: String) { auditEvents(first: 5, action: $a) { totalCount } }", {"a": "x\x00"}),
    (
        "mutation($input: CandidateCreateInput!) { candidateCreate(input: $input) { errors { code } } }",
        {"input": {"fullName": "a\x00b", "email": "nul@mail.example"}},
    ),
]


async def test_a_nul_character_in_any_string_is_bad_user_input(gql):
    await factories.create_candidate(gql)
    for document, variables in NUL_FILTERS:
        result = await gql.execute(document, **variables)
        assert _codes(result) == ["BAD_USER_INPUT"], (document, result)
        assert "NUL" in result.errors[0].message and "SELECT" not in result.errors[0].message
    assert (await gql("{ candidates(first: 5) { totalCount } }"))["candidates"]["totalCount"] == 1


async def test_like_wildcards_in_a_search_match_themselves(gql):
    await factories.create_candidate(gql, fullName="Li Lei", email="li.lei@mail.example")
    await factories.create_candidate(gql, fullName="Han 50% Mei", email="han_mei@mail.example")
    search = "query($s: String) { candidates(first: 10, search: $s) { edges { node { fullName } } } }"

    async def names(term: str) -> list[str]:
        return [edge["node"]["fullName"] for edge in (await gql(search, s=term))["candidates"]["edges"]]

    assert await names("%") == ["Han 50% Mei"]
    assert await names("_") == ["Han 50% Mei"]  # the underscore of han_mei@, not any one character
    assert await names("l_") == []
    assert await names("\\") == []
    assert await names("li.l") == ["Li Lei"]


async def test_graphql_and_upload_answers_are_never_cached(gql, http):
    from tests.tokens import hr_admin_headers

    answer = await http.post(
        "/graphql", json={"query": "{ candidates(first: 1) { totalCount } }"}, headers=hr_admin_headers()
    )
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    refused = await http.post("/graphql", json={"query": "{ candidates(first: 1) { totalCount } }"})
    assert refused.headers["cache-control"] == "no-store"
    invited = await invited_candidate(gql)
    await give_consent(gql, invited.token)
    uploaded = await put_answer(http, invited.token, invited.question_ids[0], wav_bytes(0.2))
    assert uploaded.status_code == 201 and uploaded.headers["cache-control"] == "no-store"
    chart_refused = await http.get(f"/charts/requisitions/{global_id('Requisition', 1)}/histogram.png")
    assert chart_refused.status_code == 401 and chart_refused.headers["cache-control"] == "no-store"


async def test_expected_refusals_are_logged_at_info_without_a_traceback(gql, caplog):
    connector = GraphQLClient(service("erp-oracle", ["requisitions:read"]))
    with caplog.at_level(logging.DEBUG):
        forbidden = await connector.execute("{ candidates(first: 1) { totalCount } }")
        anonymous = await GraphQLClient(Actor("anonymous", None, kind="anonymous")).execute(
            "{ candidates(first: 1) { totalCount } }"
        )
        bad_input = await gql.execute('{ candidates(first: 1, after: "junk") { totalCount } }')
    assert _codes(forbidden) == ["FORBIDDEN"] and _codes(anonymous) == ["UNAUTHENTICATED"]
    assert _codes(bad_input) == ["BAD_USER_INPUT"]
    graphql_records = [r for r in caplog.records if r.name in ("strawberry.execution", "hrgate.graphql")]
    assert len(graphql_records) == 3, [(r.name, r.levelname, r.getMessage()) for r in graphql_records]
    for record in graphql_records:
        assert record.levelno == logging.INFO and record.exc_info is None, (record.levelname, record.getMessage())
    assert {record.getMessage().split(" at ")[0] for record in graphql_records} == {
        "graphql FORBIDDEN",
        "graphql UNAUTHENTICATED",
        "graphql BAD_USER_INPUT",
    }


# --- 6 (uploads) and 13 (probing): nothing on disk that no row references ----------------------------


def _files_under(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file()) if folder.exists() else []


async def test_parallel_uploads_to_one_answer_leave_only_the_linked_recording(gql, http):
    invited = await invited_candidate(gql)
    await give_consent(gql, invited.token)
    question_id = invited.question_ids[0]
    interview = await fetch(Interview, invited.interview_id)
    store = get_media_store()
    folder = store.local_path(f"file:interviews/{interview.id}")
    for first_recording in (0, 8):  # eight racing to create the answer, then eight racing to replace it
        bodies = [wav_bytes(0.2 + (first_recording + index) / 100) for index in range(8)]
        responses = await asyncio.gather(*(put_answer(http, invited.token, question_id, body) for body in bodies))
        assert [response.status_code for response in responses] == [201] * 8, [r.text for r in responses]
        async with read_session() as session:
            (answer,) = (await session.exec(select(Answer).where(Answer.interview_id == interview.id))).all()
        linked = store.local_path(answer.media_uri)
        assert _files_under(folder) == [linked]
        assert linked.read_bytes() in bodies
        assert hashlib.sha256(linked.read_bytes()).hexdigest() == answer.media_sha256


async def test_uploads_are_probed_by_the_decoder_and_refusals_keep_nothing(gql, http, tmp_path):
    from tests.pipeline.media_factory import write_face_video, write_silence

    invited = await invited_candidate(gql)
    await give_consent(gql, invited.token)
    interview = await fetch(Interview, invited.interview_id)
    face = write_face_video(tmp_path / "face.mp4", write_silence(tmp_path / "silence.wav", seconds=1.0))
    disguised = [
        b"RIFF\x24\x00\x00\x00WAVE" + b"<html><script>alert(document.cookie)</script></html>" * 20,
        b"\x1a\x45\xdf\xa3" + b"<html><body>not a recording</body></html>" * 20,
        b"\x00\x00\x00\x18ftypisom" + b"<?php system($_GET['c']); ?>" * 20,
        face.read_bytes()[:4096],  # an MP4 cut before its index: no decoder can read it
    ]
    store = get_media_store()
    folder = store.local_path(f"file:interviews/{interview.id}")
    for body in disguised:
        response = await put_answer(http, invited.token, invited.question_ids[0], body)
        assert response.status_code == 415, (body[:16], response.text)
        assert response.json()["errors"][0]["code"] == "UNSUPPORTED_MEDIA"
        assert _files_under(folder) == []
    for body in (wav_bytes(0.3), face.read_bytes()):
        assert (await put_answer(http, invited.token, invited.question_ids[0], body)).status_code == 201
    assert len(_files_under(folder)) == 1
