"""The access policy on its own: decisions (allow / deny with a code and reason, row scope), no GraphQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from gateway import models
from gateway.db import read_session
from gateway.models.base import utcnow
from gateway.models.enums import ApplicationStage, InterviewStatus
from resolvers.services.audit import ANONYMOUS, SYSTEM, Actor, person, service
from resolvers.services.candidate_interview import candidate_actor
from resolvers.services.policy import (
    Action,
    Decision,
    Resource,
    invitation_decision,
    may_read,
    may_read_row,
    may_watch_interview,
    may_write,
    privacy_token_decision,
    requisition_in_scope,
    rows_in_scope,
)
from tests import factories
from tests.db_helpers import node_id

RECRUITER = person("rec-1", ["recruiter"])
MANAGER = person("hm-1", ["hiring_manager"])
MANAGER_AND_RECRUITER = person("hm-2", ["hiring_manager", "recruiter"])
AUDITOR = person("aud-1", ["auditor"])
CANDIDATE = Actor("candidate:interview:7", "candidate", kind="candidate", interview_id=7)


def test_an_anonymous_caller_is_unauthenticated_with_the_tokens_refusal():
    decision = may_read(ANONYMOUS, Resource.REFERENCE, authentication_error="token expired")
    assert not decision and decision.code == "UNAUTHENTICATED"
    assert decision.reason == "authentication required: token expired"
    assert may_write(ANONYMOUS, Action.REQUISITION).reason == "authentication required"


@pytest.mark.parametrize("resource", list(Resource))
def test_a_candidate_holds_no_staff_rights(resource):
    decision = may_read(CANDIDATE, resource)
    assert (decision.allowed, decision.code) == (False, "FORBIDDEN")
    assert not may_write(CANDIDATE, Action.RECRUITING)


@pytest.mark.parametrize(
    ("actor", "resource", "allowed", "row_scope"),
    [
        (RECRUITER, Resource.REPORT, True, None),
        (RECRUITER, Resource.EMPLOYEE, False, None),
        (AUDITOR, Resource.AUDIT, True, None),
        (MANAGER, Resource.APPLICATION, True, "hm-1"),
        (MANAGER, Resource.INTERVIEW, True, "hm-1"),
        (MANAGER, Resource.REFERENCE, True, None),
        (MANAGER, Resource.ARCHIVE, False, None),
        (MANAGER_AND_RECRUITER, Resource.CANDIDATE, True, None),  # the broader role wins
        (service("sap", ["requisitions:read"]), Resource.REQUISITION, True, None),
        (service("sap", ["requisitions:read"]), Resource.REPORT, False, None),
        (service("sap", ["kpi:write"]), Resource.EMPLOYEE, True, None),
        (service("sap", ["kpi:write"]), Resource.REFERENCE, True, None),
        (SYSTEM, Resource.AUDIT, True, None),
    ],
)
def test_read_decisions_by_role_and_scope(actor, resource, allowed, row_scope):
    decision = may_read(actor, resource)
    assert decision.allowed is allowed
    assert decision.row_scope == row_scope
    if not allowed:
        assert (
            decision.code == "FORBIDDEN"
            and decision.reason == f"reading {resource.value} data is not allowed for this principal"
        )


@pytest.mark.parametrize(
    ("actor", "action", "allowed"),
    [
        (RECRUITER, Action.RECRUITING, True),
        (RECRUITER, Action.HIRE, False),
        (MANAGER, Action.RECRUITING, False),
        (AUDITOR, Action.REQUISITION, False),
        (service("sap", ["candidates:write"]), Action.RECRUITING, True),
        (service("sap", ["requisitions:read"]), Action.REQUISITION, False),
        (service("root", ["competency:write", "employees:write", "kpi:write"]), Action.ERASURE, False),
        (service("root", ["competency:write", "employees:write", "kpi:write"]), Action.DECISION, False),
        (person("a", ["hr_admin"]), Action.ERASURE, True),
    ],
)
def test_write_decisions_by_role_and_scope(actor, action, allowed):
    decision = may_write(actor, action)
    assert decision.allowed is allowed
    assert decision.reason == (None if allowed else f"{action.value} changes are not allowed for this principal")


async def _two_requisitions(gql):
    model = await factories.create_model(gql)
    own = await factories.create_requisition(gql, model["version_id"], hiringManagerSubject="hm-1")
    other = await factories.create_requisition(gql, model["version_id"], hiringManagerSubject="hm-9")
    applications = [await factories.apply(gql, await factories.create_candidate(gql), r) for r in (own, other)]
    for application in applications:
        await factories.invite(gql, application)
    async with read_session() as session:
        interviews = {row.application_id: row.id for row in (await session.exec(select(models.Interview))).all()}
    return own, other, applications, [interviews[node_id(a)] for a in applications]


async def test_row_scope_narrows_rows_and_hides_the_rest_as_not_found(gql):
    own, other, applications, _ = await _two_requisitions(gql)
    ids = [node_id(a) for a in applications]
    scoped = may_read(MANAGER, Resource.APPLICATION)
    assert await rows_in_scope(scoped, models.Application, ids) == {ids[0]}
    assert await rows_in_scope(may_read(RECRUITER, Resource.APPLICATION), models.Application, ids) == set(ids)
    assert await rows_in_scope(Decision(False, "FORBIDDEN"), models.Application, ids) == set()
    assert await rows_in_scope(Decision(True, row_scope="hm-1"), models.Employee, [1]) == set()  # fail closed

    assert (await may_read_row(MANAGER, Resource.APPLICATION, models.Application, ids[0])).allowed
    hidden = await may_read_row(MANAGER, Resource.APPLICATION, models.Application, ids[1])
    assert (hidden.allowed, hidden.code) == (False, "NOT_FOUND")
    assert (await may_read_row(AUDITOR, Resource.APPLICATION, models.Application, ids[1])).allowed

    async with read_session() as session:
        own_row = await session.get(models.Requisition, node_id(own))
        other_row = await session.get(models.Requisition, node_id(other))
    assert requisition_in_scope(may_read(MANAGER, Resource.REPORT), own_row)
    assert not requisition_in_scope(may_read(MANAGER, Resource.REPORT), other_row)
    assert requisition_in_scope(may_read(RECRUITER, Resource.REPORT), other_row)


async def test_who_may_watch_an_interview(gql):
    _, _, _, (own_interview, other_interview) = await _two_requisitions(gql)
    async with read_session() as session:
        interview = await session.get(models.Interview, own_interview)
    assert await may_watch_interview(candidate_actor(interview), own_interview)
    refused = await may_watch_interview(candidate_actor(interview), other_interview)
    assert refused.reason == "a candidate may only follow their own interview"
    assert await may_watch_interview(MANAGER, own_interview)
    assert (await may_watch_interview(MANAGER, other_interview)).reason == "not an interview of your requisitions"
    assert await may_watch_interview(service("sap", ["reports:read"]), other_interview)
    assert (await may_watch_interview(service("sap", ["requisitions:read"]), own_interview)).code == "FORBIDDEN"
    assert (await may_watch_interview(ANONYMOUS, own_interview)).code == "UNAUTHENTICATED"


def _interview(status=InterviewStatus.INVITED, expires_in=timedelta(hours=1)):
    return models.Interview(application_id=1, token_hash="x", expires_at=utcnow() + expires_in, status=status)


@pytest.mark.parametrize(
    ("interview", "stage", "allowed_statuses", "code"),
    [
        (None, ApplicationStage.AI_INTERVIEW, None, "INVITATION_INVALID"),
        (_interview(expires_in=-timedelta(seconds=1)), ApplicationStage.AI_INTERVIEW, None, "INVITATION_EXPIRED"),
        (_interview(), ApplicationStage.REJECTED, None, "INVITATION_REVOKED"),
        (_interview(InterviewStatus.QUEUED), ApplicationStage.AI_INTERVIEW, None, "INVITATION_USED"),
        (_interview(InterviewStatus.QUEUED), ApplicationStage.AI_INTERVIEW, tuple(InterviewStatus), None),
        (_interview(InterviewStatus.FAILED), ApplicationStage.AI_INTERVIEW, None, None),
    ],
)
def test_the_invitation_token_decision(interview, stage, allowed_statuses, code):
    application = models.Application(candidate_id=1, requisition_id=1, stage=stage)
    options = {"allowed": allowed_statuses} if allowed_statuses else {}
    decision = invitation_decision(interview, application, **options)
    assert decision.code == code and decision.allowed is (code is None)


def test_the_privacy_token_outlasts_the_interview_until_erasure():
    interview = _interview(InterviewStatus.SCORED, expires_in=-timedelta(days=30))
    application = models.Application(candidate_id=1, requisition_id=1, stage=ApplicationStage.REJECTED)
    candidate = models.Candidate(full_name="x", email="x@mail.example")
    assert privacy_token_decision(interview, application, candidate)
    candidate.erased_at = utcnow()
    assert privacy_token_decision(interview, application, candidate).code == "INVITATION_INVALID"
    assert privacy_token_decision(None, None, None).reason == "this invitation link is not valid"
