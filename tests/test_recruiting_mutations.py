"""Requisitions, candidates, applications and interview invitations: success and every error code."""

from __future__ import annotations

import hashlib

from gateway.models import ApplicationStageChange, CompetencyModelVersion, Interview
from tests import factories
from tests.assertions import codes, refused
from tests.db_helpers import fetch, global_id, row_count


async def test_requisition_create_pins_and_freezes_the_version(gql):
    model = await factories.create_model(gql)
    payload = await gql.mutate(
        factories.REQUISITION_CREATE,
        "requisitionCreate",
        input={
            "title": "营业部柜员",
            "department": "零售银行部",
            "businessLine": "RETAIL",
            "headcount": 5,
            "competencyModelVersionId": model["version_id"],
        },
    )
    requisition = payload["requisition"]
    assert requisition["status"] == "OPEN" and requisition["headcount"] == 5
    assert requisition["competencyModelVersion"] == {"id": model["version_id"], "frozen": True}


async def test_requisition_create_errors(gql):
    model = await factories.create_model(gql)
    base = {"title": "Teller", "department": "Retail", "businessLine": "RETAIL", "headcount": 1}
    missing = await refused(
        gql,
        factories.REQUISITION_CREATE,
        "requisitionCreate",
        input={**base, "competencyModelVersionId": global_id("CompetencyModelVersion", 999)},
    )
    assert codes(missing) == ["NOT_FOUND"] and missing[0]["field"] == "competencyModelVersionId"
    wrong = await refused(
        gql,
        factories.REQUISITION_CREATE,
        "requisitionCreate",
        input={**base, "competencyModelVersionId": model["model_id"]},
    )
    assert codes(wrong) == ["WRONG_TYPE"]
    invalid = await refused(
        gql,
        factories.REQUISITION_CREATE,
        "requisitionCreate",
        input={**base, "headcount": 0, "title": "", "competencyModelVersionId": model["version_id"]},
    )
    assert {(error["field"], error["code"]) for error in invalid} == {("headcount", "INVALID"), ("title", "INVALID")}
    unfrozen = await fetch(CompetencyModelVersion, model["version_id"])
    assert unfrozen.frozen_at is None


async def test_requisition_update_and_close(gql):
    model = await factories.create_model(gql)
    requisition_id = await factories.create_requisition(gql, model["version_id"])
    updated = await gql.mutate(
        factories.REQUISITION_UPDATE,
        "requisitionUpdate",
        input={"id": requisition_id, "headcount": 4, "status": "ON_HOLD", "department": "Wealth"},
    )
    assert updated["requisition"] | {"id": None} == {
        "id": None,
        "title": "Branch Teller",
        "department": "Wealth",
        "status": "ON_HOLD",
        "headcount": 4,
    }
    closing_by_update = await refused(
        gql, factories.REQUISITION_UPDATE, "requisitionUpdate", input={"id": requisition_id, "status": "CLOSED"}
    )
    assert codes(closing_by_update) == ["INVALID"] and closing_by_update[0]["field"] == "status"
    closed = await gql.mutate(
        factories.REQUISITION_CLOSE, "requisitionClose", input={"id": requisition_id, "reason": "filled internally"}
    )
    assert closed["requisition"]["status"] == "CLOSED" and closed["requisition"]["closeReason"] == "filled internally"
    assert closed["requisition"]["closedAt"] is not None
    again = await refused(gql, factories.REQUISITION_CLOSE, "requisitionClose", input={"id": requisition_id})
    assert codes(again) == ["REQUISITION_CLOSED"]
    edit_closed = await refused(
        gql, factories.REQUISITION_UPDATE, "requisitionUpdate", input={"id": requisition_id, "title": "New"}
    )
    assert codes(edit_closed) == ["REQUISITION_CLOSED"]
    missing = await refused(
        gql,
        factories.REQUISITION_UPDATE,
        "requisitionUpdate",
        input={"id": global_id("Requisition", 999), "title": "x"},
    )
    assert codes(missing) == ["NOT_FOUND"] and missing[0]["field"] == "id"
    invalid = await refused(gql, factories.REQUISITION_UPDATE, "requisitionUpdate", input={"id": "@@", "title": "x"})
    assert codes(invalid) == ["INVALID_ID"]


async def test_candidate_create_with_consents_and_errors(gql):
    payload = await gql.mutate(
        factories.CANDIDATE_CREATE,
        "candidateCreate",
        input={
            "fullName": "李娜",
            "email": "Li.Na@Mail.Example",
            "phone": "+86 138 0000 0000",
            "resumeText": "CFA level 1",
            "consents": [
                {"kind": "AI_PROCESSING", "noticeVersion": "2026-01", "granted": True},
                {"kind": "BIOMETRIC", "noticeVersion": "2026-01", "granted": False},
            ],
        },
    )
    candidate = payload["candidate"]
    assert candidate["email"] == "li.na@mail.example"
    assert [edge["node"]["kind"] for edge in candidate["consents"]["edges"]] == ["AI_PROCESSING", "BIOMETRIC"]
    duplicate = await refused(
        gql, factories.CANDIDATE_CREATE, "candidateCreate", input={"fullName": "Other", "email": "li.na@mail.example"}
    )
    assert codes(duplicate) == ["ALREADY_EXISTS"] and duplicate[0]["field"] == "email"
    invalid = await refused(
        gql,
        factories.CANDIDATE_CREATE,
        "candidateCreate",
        input={"fullName": "", "email": "not-an-email", "phone": "x"},
    )
    assert {error["field"] for error in invalid} == {"fullName", "email", "phone"}
    assert set(codes(invalid)) == {"INVALID"}


async def test_apply_once_to_an_open_requisition(gql):
    model = await factories.create_model(gql)
    requisition_id = await factories.create_requisition(gql, model["version_id"])
    candidate_id = await factories.create_candidate(gql)
    payload = await gql.mutate(
        factories.APPLICATION_CREATE,
        "applicationCreate",
        input={"candidateId": candidate_id, "requisitionId": requisition_id},
    )
    assert payload["application"]["stage"] == "SCREENING"
    twice = await refused(
        gql,
        factories.APPLICATION_CREATE,
        "applicationCreate",
        input={"candidateId": candidate_id, "requisitionId": requisition_id},
    )
    assert codes(twice) == ["ALREADY_EXISTS"] and twice[0]["field"] == "candidateId"
    missing = await refused(
        gql,
        factories.APPLICATION_CREATE,
        "applicationCreate",
        input={"candidateId": global_id("Candidate", 999), "requisitionId": requisition_id},
    )
    assert codes(missing) == ["NOT_FOUND"]
    wrong = await refused(
        gql,
        factories.APPLICATION_CREATE,
        "applicationCreate",
        input={"candidateId": requisition_id, "requisitionId": requisition_id},
    )
    assert codes(wrong) == ["WRONG_TYPE"]
    await gql.mutate(factories.REQUISITION_CLOSE, "requisitionClose", input={"id": requisition_id})
    closed = await refused(
        gql,
        factories.APPLICATION_CREATE,
        "applicationCreate",
        input={"candidateId": await factories.create_candidate(gql), "requisitionId": requisition_id},
    )
    assert codes(closed) == ["REQUISITION_CLOSED"]


async def test_stage_moves_follow_the_pipeline(gql):
    model = await factories.create_model(gql)
    requisition_id = await factories.create_requisition(gql, model["version_id"])
    application_id = await factories.apply(gql, await factories.create_candidate(gql), requisition_id)
    skip = await refused(
        gql,
        factories.APPLICATION_MOVE,
        "applicationMoveStage",
        input={"applicationId": application_id, "stage": "OFFER"},
    )
    assert codes(skip) == ["ILLEGAL_TRANSITION"] and skip[0]["field"] == "stage"
    hire_by_move = await refused(
        gql,
        factories.APPLICATION_MOVE,
        "applicationMoveStage",
        input={"applicationId": application_id, "stage": "HIRED"},
    )
    assert codes(hire_by_move) == ["ILLEGAL_TRANSITION"]
    moved = await factories.move(gql, application_id, "AI_INTERVIEW")
    moved = await gql.mutate(
        factories.APPLICATION_MOVE,
        "applicationMoveStage",
        input={"applicationId": application_id, "stage": "REJECTED", "reason": "did not attend"},
    )
    history = [edge["node"] for edge in moved["application"]["stageHistory"]["edges"]]
    assert [(change["fromStage"], change["toStage"]) for change in history] == [
        (None, "SCREENING"),
        ("SCREENING", "AI_INTERVIEW"),
        ("AI_INTERVIEW", "REJECTED"),
    ]
    assert history[-1]["reason"] == "did not attend"
    final = await refused(
        gql,
        factories.APPLICATION_MOVE,
        "applicationMoveStage",
        input={"applicationId": application_id, "stage": "OFFER"},
    )
    assert codes(final) == ["ILLEGAL_TRANSITION"]
    missing = await refused(
        gql,
        factories.APPLICATION_MOVE,
        "applicationMoveStage",
        input={"applicationId": global_id("Application", 999), "stage": "OFFER"},
    )
    assert codes(missing) == ["NOT_FOUND"]


async def test_invitation_returns_the_token_once_and_stores_only_its_hash(gql):
    model = await factories.create_model(gql)
    requisition_id = await factories.create_requisition(gql, model["version_id"])
    application_id = await factories.apply(gql, await factories.create_candidate(gql), requisition_id)
    payload = await factories.invite(gql, application_id)
    token = payload["invitationToken"]
    assert len(token) >= 40 and payload["invitationUrl"].endswith(f"/interview/{token}")
    interview = await fetch(Interview, payload["interview"]["id"])
    assert interview.token_hash == hashlib.sha256(token.encode()).hexdigest() and token not in interview.token_hash
    assert payload["interview"]["status"] == "INVITED"
    assert payload["interview"]["questions"]["totalCount"] == 3
    assert await row_count(ApplicationStageChange) == 2  # applied, then moved to ai_interview by the invitation
    again = await refused(gql, factories.INTERVIEW_INVITE, "interviewInvite", input={"applicationId": application_id})
    assert codes(again) == ["INTERVIEW_ALREADY_ACTIVE"]


async def test_invitation_errors(gql):
    model = await factories.create_model(gql)
    requisition_id = await factories.create_requisition(gql, model["version_id"])
    other_model = await factories.create_model(gql)
    application_id = await factories.apply(gql, await factories.create_candidate(gql), requisition_id)
    foreign_question = await refused(
        gql,
        factories.INTERVIEW_INVITE,
        "interviewInvite",
        input={"applicationId": application_id, "questionIds": [other_model["question_ids"][0]]},
    )
    assert codes(foreign_question) == ["INVALID"] and foreign_question[0]["field"] == "questionIds"
    wrong_type = await refused(
        gql,
        factories.INTERVIEW_INVITE,
        "interviewInvite",
        input={"applicationId": application_id, "questionIds": [requisition_id]},
    )
    assert codes(wrong_type) == ["WRONG_TYPE"] and wrong_type[0]["field"] == "questionIds.0"
    ttl = await refused(
        gql,
        factories.INTERVIEW_INVITE,
        "interviewInvite",
        input={"applicationId": application_id, "expiresInHours": 10_000},
    )
    assert codes(ttl) == ["INVALID"] and ttl[0]["field"] == "expiresInHours"
    await factories.move(gql, application_id, "WITHDRAWN")
    withdrawn = await refused(
        gql, factories.INTERVIEW_INVITE, "interviewInvite", input={"applicationId": application_id}
    )
    assert codes(withdrawn) == ["ILLEGAL_TRANSITION"]
    chosen = await gql.mutate(
        factories.INTERVIEW_INVITE,
        "interviewInvite",
        input={
            "applicationId": await factories.apply(gql, await factories.create_candidate(gql), requisition_id),
            "questionIds": model["question_ids"][:2],
        },
    )
    assert [edge["node"]["question"]["id"] for edge in chosen["interview"]["questions"]["edges"]] == model[
        "question_ids"
    ][:2]
