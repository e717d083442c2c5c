"""Issue 8, data and authorization findings: score oracle, erasure, small-group analytics, HR-only erasure,
NUL bytes, LIKE wildcards, no-store, quiet expected errors and upload probing."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import shutil
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import col, select

from gateway.db import read_session, unit_of_work
from gateway.models import (
    Answer,
    Application,
    AuditEvent,
    Candidate,
    Dimension,
    DimensionScore,
    Interview,
    InterviewNotification,
    InterviewReport,
    ReviewRequest,
    metadata,
    personal_data,
)
from gateway.models.base import utcnow
from gateway.models.enums import ReviewRequestKind
from gateway.models.personal_data import Kind
from gateway.storage import get_media_store
from resolvers.services.audit import Actor, person, service
from tests import factories
from tests.db_helpers import fetch, global_id, insert, node_id
from tests.graphql_client import GraphQLClient
from tests.interview_helpers import InvitedCandidate, give_consent, invited_candidate, put_answer, wav_bytes


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


# --- 6: one declared list of personal data, walked by erasure ------------------------------------------


def unclassified_columns(tables: Iterable[sa.Table]) -> list[str]:
    """``table.column`` for every column (and ``table.*`` for every table) the registry does not classify."""
    missing = []
    for table in tables:
        entry = next((item for item in personal_data.REGISTRY if item.name == table.name), None)
        if entry is None:
            missing.append(f"{table.name}.*")
            continue
        missing += [f"{table.name}.{name}" for name in table.columns.keys() if name not in entry.columns]
    return missing


def test_every_column_of_every_table_is_classified_in_the_personal_data_registry():
    assert unclassified_columns(metadata.sorted_tables) == []
    names = {table.name: set(table.columns.keys()) for table in metadata.sorted_tables}
    for entry in personal_data.REGISTRY:
        assert set(entry.columns) == names[entry.name], f"{entry.name}: registry names columns the table lacks"
        for column_name, column in entry.columns.items():
            assert column.kind is not Kind.KEEP or column.reason, f"{entry.name}.{column_name}: kept without a reason"
        if entry.columns_of(Kind.ERASE) or entry.delete_rows:
            assert personal_data.owner_chain(entry), f"{entry.name}: erased, but not reachable from a candidate"
    assert len({entry.name for entry in personal_data.REGISTRY}) == len(personal_data.REGISTRY)
    for folder in personal_data.MEDIA_FOLDERS:
        assert personal_data.BY_MODEL[folder.model] in personal_data.CANDIDATE_TABLES
    # The guard works: a new table, or a new column on a known table, is reported until classified.
    scratch = sa.MetaData()
    new_column = sa.Table("candidate", scratch, *(sa.Column(name) for name in names["candidate"]), sa.Column("address"))
    new_table = sa.Table("candidate_reference", scratch, sa.Column("id"), sa.Column("referee_phone"))
    assert unclassified_columns([new_column, new_table]) == ["candidate.address", "candidate_reference.*"]


async def _rows_of(table: personal_data.Table, candidate_id: int, *, session) -> list:  # noqa: ANN001
    """The candidate's rows of ``table``, following the registry's owner links one level at a time."""
    chain = list(reversed(personal_data.owner_chain(table)))  # Candidate first
    ids = [candidate_id]
    for child in chain[1:]:
        column = getattr(child.model, child.owner[0])
        ids = list((await session.exec(select(child.model.id).where(col(column).in_(ids)))).all())
    rows = await session.exec(select(table.model).where(col(table.model.id).in_(ids)).order_by(table.model.id))
    return list(rows.all())


SELF_REPORT = """mutation($input: CandidateSelfReportRecordInput!) {
  candidateSelfReportRecord(input: $input) { recorded errors { code } }
}"""
ADVERSE_IMPACT = """query($id: ID!) {
  adverseImpact(requisitionId: $id, groupKeys: ["gender"]) { groups { groupValue applicants } errors { code } }
}"""
FULL_ERASE = """mutation($input: CandidateEraseInput!) {
  candidateErase(input: $input) { erasure { mediaFilesDeleted answersCleared reportsCleared } errors { code } }
}"""


async def _candidate_with_data_in_every_erasable_column(gql, http) -> tuple[InvitedCandidate, int]:
    """An invited candidate with a recording (plus a stray file no row links), a transcript, a report with
    narrative and evidence, a review request message, a phone number and self-reported groups."""
    invited = await invited_candidate(gql)
    await give_consent(gql, invited.token)
    assert (await put_answer(http, invited.token, invited.question_ids[0], wav_bytes(0.3))).status_code == 201
    interview = await fetch(Interview, invited.interview_id)
    application = await fetch(Application, invited.application_id)
    candidate_id = application.candidate_id
    stray = get_media_store().local_path(f"file:interviews/{interview.id}/{node_id(invited.question_ids[0])}")
    (stray / "lost-race.wav").write_bytes(wav_bytes(0.1))  # what a lost upload race or a crash leaves
    async with unit_of_work() as uow:
        candidate = await uow.session.get(Candidate, candidate_id)
        candidate.phone = "+86 138 0000 0000"
        answer = (await uow.session.exec(select(Answer).where(Answer.interview_id == interview.id))).one()
        answer.duration_seconds, answer.transcript, answer.language = 12.5, "I would recount the cash.", "en"
        answer.features, answer.error = {"speech": {"speaking_rate": 131.0}}, "q1: noisy"
        uow.session.add_all([candidate, answer])
        await uow.session.exec(  # an SMTP reply quoting the address, as a bounce records it
            sa.update(InterviewNotification)
            .where(col(InterviewNotification.interview_id) == interview.id)
            .values(status_reason=f"550 5.1.1 <{candidate.email}>: user unknown")
        )
    (report,) = await insert(
        InterviewReport(
            interview_id=interview.id,
            requisition_id=application.requisition_id,
            total=71.0,
            percentile=60.0,
            strengths=["service"],
            weaknesses=["numeracy"],
            tags=[{"zh": "切题", "en": "on topic", "reason": "mean 0.8"}],
            override_reason="the candidate mentioned a disability",
            pipeline_version="test",
            scored_at=utcnow(),
        )
    )
    async with read_session() as session:
        dimension_id = (await session.exec(select(Dimension.id))).first()
    await insert(
        DimensionScore(
            report_id=report.id,
            dimension_id=dimension_id,
            pipeline_version="test",
            score=71.0,
            insufficient_evidence_reason="q2: only 1 s of speech",
            evidence=[{"feature": "relevance", "value": 0.9, "contribution": 18.0}],
        ),
        ReviewRequest(
            interview_id=interview.id, kind=ReviewRequestKind.HUMAN_REVIEW, candidate_message="my phone is 138…"
        ),
    )
    recorded = await gql.mutate(
        SELF_REPORT,
        "candidateSelfReportRecord",
        input={"candidateId": global_id("Candidate", candidate_id), "groups": [{"key": "gender", "value": "f"}]},
    )
    assert recorded["recorded"] is True
    return invited, candidate_id


async def test_erasure_walks_the_registry_and_leaves_no_file_or_group_behind(gql, http):
    invited, candidate_id = await _candidate_with_data_in_every_erasable_column(gql, http)
    requisition_id = global_id("Requisition", (await fetch(Application, invited.application_id)).requisition_id)
    listed = (await gql(ADVERSE_IMPACT, id=requisition_id))["adverseImpact"]["groups"]
    assert listed == [{"groupValue": "f", "applicants": 1}]
    async with read_session() as session:
        before = {
            table.model: await _rows_of(table, candidate_id, session=session)
            for table in personal_data.CANDIDATE_TABLES
        }
    for table in personal_data.CANDIDATE_TABLES:  # the test data covers every erasable column
        for name, column in table.columns_of(Kind.ERASE).items():
            assert before[table.model], f"{table.name}: no row for the candidate in the test data"
            for row in before[table.model]:
                assert getattr(row, name) != column.erased_value(candidate_id), f"{table.name}.{name} already empty"
    interview = await fetch(Interview, invited.interview_id)
    folder = get_media_store().local_path(f"file:interviews/{interview.id}")
    assert len(_files_under(folder)) == 2

    erased = await gql.mutate(
        FULL_ERASE, "candidateErase", input={"candidateId": global_id("Candidate", candidate_id), "reason": "request"}
    )
    assert erased["erasure"] == {"mediaFilesDeleted": 1, "answersCleared": 1, "reportsCleared": 1}

    assert _files_under(folder) == []
    assert (await gql(ADVERSE_IMPACT, id=requisition_id))["adverseImpact"]["groups"] == []
    async with read_session() as session:
        after = {
            table.model: await _rows_of(table, candidate_id, session=session)
            for table in personal_data.CANDIDATE_TABLES
        }
    for table in personal_data.CANDIDATE_TABLES:
        if table.delete_rows:
            assert after[table.model] == [], table.name
            continue
        kept = {row.id: row for row in before[table.model]}
        still = [row for row in after[table.model] if row.id in kept]  # erasure may add rows (stage history)
        assert [row.id for row in still] == list(kept), table.name
        for row in still:
            for name, column in table.columns.items():
                if column.kind is Kind.ERASE:
                    assert getattr(row, name) == column.erased_value(candidate_id), f"{table.name}.{name}"
                elif column.kind is Kind.KEEP and (table.name, name) != ("application", "stage"):  # withdrawn
                    assert getattr(row, name) == getattr(kept[row.id], name), f"{table.name}.{name} (kept)"
    (event,) = await _audit("candidate.erase")
    assert event.details["media_folders"] == [f"interviews/{interview.id}"]
    assert event.details["rows_erased"]["candidate_self_report"] == 1


# --- 10: small groups withheld, analytics reads audited ----------------------------------------------

REQUISITION_ANALYTICS = """query($id: ID!) { requisitionAnalytics(requisitionId: $id) {
  analytics {
    totals { n mean minimum maximum median enoughData note bins { count } }
    dimensions { dimensionKey n mean standardDeviation enoughData note }
    strongestDimensions { dimensionKey }
  }
  errors { code }
} }"""
HIRING_ANALYTICS = """query($version: ID) { hiringAnalytics(modelVersionId: $version) {
  analytics { totals { n mean minimum enoughData } dimensions { dimensionKey mean enoughData } } errors { code }
} }"""


async def test_analytics_withhold_groups_under_the_minimum_size_and_are_audited(gql, http):
    from tests.tokens import hr_admin_headers

    model = await factories.create_model(gql)
    requisition_id = await factories.create_requisition(gql, model["version_id"], headcount=10)
    _, first_report = await _scored_application(gql, requisition_id, 91.5)
    await insert(
        DimensionScore(
            report_id=first_report,
            dimension_id=node_id(model["dimension_ids"]["numeracy"]),
            pipeline_version="test",
            score=88.0,
        )
    )
    single = (await gql(REQUISITION_ANALYTICS, id=requisition_id))["requisitionAnalytics"]["analytics"]
    totals = single["totals"]
    assert (totals["n"], totals["mean"], totals["minimum"], totals["maximum"], totals["median"]) == (
        1,
        None,
        None,
        None,
        None,
    )
    assert totals["enoughData"] is False and "fewer than 5" in totals["note"] and totals["bins"] == []
    numeracy = next(item for item in single["dimensions"] if item["dimensionKey"] == "numeracy")
    assert (numeracy["n"], numeracy["mean"], numeracy["enoughData"]) == (1, None, False)
    assert single["strongestDimensions"] == []
    cohort = (await gql(HIRING_ANALYTICS, version=model["version_id"]))["hiringAnalytics"]["analytics"]
    assert cohort["totals"]["mean"] is None and cohort["totals"]["minimum"] is None
    assert all(item["mean"] is None for item in cohort["dimensions"])

    reports = [first_report] + [(await _scored_application(gql, requisition_id, total))[1] for total in (60, 70, 80)]
    still_four = (await gql(REQUISITION_ANALYTICS, id=requisition_id))["requisitionAnalytics"]["analytics"]
    assert still_four["totals"]["n"] == 4 and still_four["totals"]["mean"] is None
    reports.append((await _scored_application(gql, requisition_id, 90.0))[1])
    five = (await gql(REQUISITION_ANALYTICS, id=requisition_id))["requisitionAnalytics"]["analytics"]["totals"]
    assert five["enoughData"] is True and five["note"] is None
    assert five["n"] == 5 and five["mean"] == pytest.approx(78.3) and five["minimum"] == 60.0
    assert sum(item["count"] for item in five["bins"]) == 5

    events = await _audit("requisition_analytics.read")
    assert len(events) == 3 and all(event.entity_type == "Requisition" for event in events)
    assert events[0].details["report_ids"] == [first_report] and events[0].details["withheld"] is True
    assert events[-1].details["report_ids"] == sorted(reports) and events[-1].details["withheld"] is False
    assert events[0].actor == gql.actor.name
    (cohort_event,) = await _audit("hiring_analytics.read")
    assert cohort_event.details["report_ids"] == [first_report]

    chart = await http.get(f"/charts/requisitions/{requisition_id}/histogram.svg?lang=en", headers=hr_admin_headers())
    assert chart.status_code == 200 and "n = 5" in chart.text
    (chart_event,) = await _audit("requisition_histogram.read")
    assert chart_event.details["report_ids"] == sorted(reports) and chart_event.actor == "hr.admin@bank.example"
