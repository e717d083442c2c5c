"""The access policy: who may read and change what, and which rows — decisions, not GraphQL errors.

One place for every rule, used by the GraphQL permission classes (``schema.permissions`` turns a
denial into a top-level error), the HTTP routes (charts: 401/403/404; uploads: the candidate's token),
the live-status subscription and, later, webhooks and the changes feed:

- people act under the ``roles`` of their token, ERP connectors under their ``scope`` (``READ_ROLES`` …
  ``WRITE_SCOPES``); the system may do anything; a candidate holds no staff rights at all;
- a principal who is only a hiring manager reads recruiting data only under requisitions whose
  ``hiring_manager_subject`` is their ``sub``: a read decision carries that ``row_scope``; lists narrow
  their SQL with it (``resolvers.filters``), single rows are checked with ``rows_in_scope`` /
  ``may_read_row`` (``resolvers.services.access`` knows each table's path to its requisition);
- a candidate, authenticated by an invitation token, reaches only their own interview, and the token
  works only while the invitation is genuine, unexpired, still active for the application and (for
  answering) not yet submitted (``invitation_decision``).

No GraphQL, no HTTP: a ``Decision`` says allow or deny, why, and whether the caller is unknown
(``UNAUTHENTICATED``) or known and refused (``FORBIDDEN``); each adapter speaks its own protocol.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any, Literal

from gateway.models import Application, Interview
from gateway.models.base import utcnow
from gateway.models.enums import ApplicationStage, InterviewStatus
from gateway.oauth import SCOPES as CONNECTOR_SCOPES
from resolvers.services.access import is_scoped_to_requisitions, rows_managed_by
from resolvers.services.audit import Actor

HR_ADMIN, RECRUITER, HIRING_MANAGER, AUDITOR = "hr_admin", "recruiter", "hiring_manager", "auditor"
_RECRUITING_READERS = frozenset({HR_ADMIN, RECRUITER, AUDITOR, HIRING_MANAGER})
_WORKFORCE_READERS = frozenset({HR_ADMIN, AUDITOR})


class Resource(Enum):
    """What a field returns, as far as access is concerned."""

    REFERENCE = "reference"  # competency models, questions, KPI definitions: no personal data
    REQUISITION = "requisition"
    APPLICATION = "application"  # applications and their stage history
    CANDIDATE = "candidate"  # contact, resume, consents
    INTERVIEW = "interview"  # interviews, questions asked, answers and transcripts
    REPORT = "report"  # interview reports and dimension scores (reads audited)
    EMPLOYEE = "employee"  # employees, KPI assignments and KPI records
    ARCHIVE = "archive"  # onboarding archives (reads audited)
    AUDIT = "audit"  # the audit trail
    WEBHOOK = "webhook"  # webhook endpoints, their delivery log, and the events about them


class Action(Enum):
    """What a mutation changes."""

    COMPETENCY = "competency"  # competency models, KPI definitions and links
    REQUISITION = "requisition"
    RECRUITING = "recruiting"  # candidates, applications, stage moves, interview invitations
    RESCORE = "rescore"
    HIRE = "hire"
    KPI_RECORD = "kpi_record"
    DECISION = "decision"  # the human hiring decision on an interview report: people only, never a connector
    ERASURE = "erasure"  # erasing a candidate's personal data (PIPL art. 47): HR admins only, never a connector
    TRAINING_CATALOGUE = "training_catalogue"  # training programmes and the dimensions they develop (HR, the LMS)
    TRAINING_COMPLETION = "training_completion"  # completions of plan items: HR one by one, the LMS in bulk
    DEVELOPMENT_PLAN = "development_plan"  # recommendations, HR's decisions on them, plan items: people only
    WEBHOOK = "webhook"  # webhook endpoints, secrets and replays: HR admins only


READ_ROLES: dict[Resource, frozenset[str]] = {
    Resource.REFERENCE: _RECRUITING_READERS,
    Resource.REQUISITION: _RECRUITING_READERS,
    Resource.APPLICATION: _RECRUITING_READERS,
    Resource.CANDIDATE: _RECRUITING_READERS,
    Resource.INTERVIEW: _RECRUITING_READERS,
    Resource.REPORT: _RECRUITING_READERS,
    Resource.EMPLOYEE: _WORKFORCE_READERS,
    Resource.ARCHIVE: _WORKFORCE_READERS,
    Resource.AUDIT: _WORKFORCE_READERS,
    Resource.WEBHOOK: frozenset({HR_ADMIN}),
}
READ_SCOPES: dict[Resource, frozenset[str]] = {
    Resource.REFERENCE: frozenset(CONNECTOR_SCOPES),  # any connector may read reference data
    Resource.REQUISITION: frozenset({"requisitions:read", "requisitions:write", "candidates:write"}),
    Resource.APPLICATION: frozenset({"requisitions:read", "candidates:read", "candidates:write"}),
    Resource.CANDIDATE: frozenset({"candidates:read", "candidates:write"}),
    Resource.INTERVIEW: frozenset({"candidates:read", "reports:read"}),
    Resource.REPORT: frozenset({"reports:read"}),
    Resource.EMPLOYEE: frozenset({"employees:read", "employees:write", "kpi:write"}),
    Resource.ARCHIVE: frozenset({"employees:read"}),
    Resource.AUDIT: frozenset(),
    Resource.WEBHOOK: frozenset(),
}
"""Hiring managers are further limited to their own requisitions; auditors and scopes ending in
``:read`` never write."""
WRITE_ROLES: dict[Action, frozenset[str]] = {
    Action.COMPETENCY: frozenset({HR_ADMIN}),
    Action.REQUISITION: frozenset({HR_ADMIN, RECRUITER}),
    Action.RECRUITING: frozenset({HR_ADMIN, RECRUITER}),
    Action.RESCORE: frozenset({HR_ADMIN, RECRUITER}),
    Action.HIRE: frozenset({HR_ADMIN}),
    Action.KPI_RECORD: frozenset({HR_ADMIN}),
    Action.DECISION: frozenset({HR_ADMIN, RECRUITER}),
    Action.ERASURE: frozenset({HR_ADMIN}),
    Action.TRAINING_CATALOGUE: frozenset({HR_ADMIN}),
    Action.TRAINING_COMPLETION: frozenset({HR_ADMIN}),
    Action.DEVELOPMENT_PLAN: frozenset({HR_ADMIN}),
    Action.WEBHOOK: frozenset({HR_ADMIN}),
}
WRITE_SCOPES: dict[Action, frozenset[str]] = {
    Action.COMPETENCY: frozenset({"competency:write"}),
    Action.REQUISITION: frozenset({"requisitions:write"}),
    Action.RECRUITING: frozenset({"candidates:write"}),
    Action.RESCORE: frozenset(),
    Action.HIRE: frozenset({"employees:write"}),
    Action.KPI_RECORD: frozenset({"kpi:write"}),
    Action.DECISION: frozenset(),
    Action.ERASURE: frozenset(),
    Action.TRAINING_CATALOGUE: frozenset({"learning:write"}),
    Action.TRAINING_COMPLETION: frozenset({"learning:write"}),
    Action.DEVELOPMENT_PLAN: frozenset(),
    Action.WEBHOOK: frozenset(),
}

DenialCode = Literal[
    "UNAUTHENTICATED",
    "FORBIDDEN",
    "NOT_FOUND",
    "INVITATION_INVALID",
    "INVITATION_EXPIRED",
    "INVITATION_REVOKED",
    "INVITATION_USED",
]


@dataclass(frozen=True)
class Decision:
    """Allowed or not, why not, and (allowed reads) the hiring manager's row scope."""

    allowed: bool
    code: DenialCode | None = None
    reason: str | None = None
    row_scope: str | None = None
    """The subject whose requisitions bound the rows this principal sees; None: no row limit."""

    def __bool__(self) -> bool:
        return self.allowed


ALLOW = Decision(True)


def deny(code: DenialCode, reason: str) -> Decision:
    return Decision(False, code, reason)


def _granted(actor: Actor, roles: frozenset[str], scopes: frozenset[str]) -> bool:
    if actor.kind == "person":
        return bool(actor.roles & roles)
    if actor.kind == "service":
        return bool(actor.scopes & scopes)
    return actor.kind == "system"


def _staff_only(actor: Actor, authentication_error: str | None) -> Decision | None:
    """Anonymous callers are unknown; candidates are known but hold no staff rights."""
    if actor.kind == "anonymous":
        reason = (
            f"authentication required: {authentication_error}" if authentication_error else "authentication required"
        )
        return deny("UNAUTHENTICATED", reason)
    if actor.kind == "candidate":
        return deny("FORBIDDEN", "not allowed for this principal")
    return None


def hiring_manager_scope(actor: Actor, resource: Resource) -> str | None:
    """The subject whose requisitions bound what ``actor`` sees, when only hiring-manager rights apply."""
    if actor.kind != "person" or resource in (Resource.REFERENCE,):
        return None
    broader = actor.roles & (READ_ROLES[resource] - {HIRING_MANAGER})
    if broader or HIRING_MANAGER not in actor.roles:
        return None
    return actor.subject or ""


def may_read(actor: Actor, resource: Resource, *, authentication_error: str | None = None) -> Decision:
    """Whether ``actor`` may read ``resource`` data at all, and within which row scope."""
    refused = _staff_only(actor, authentication_error)
    if refused is not None:
        return refused
    if not _granted(actor, READ_ROLES[resource], READ_SCOPES[resource]):
        return deny("FORBIDDEN", f"reading {resource.value} data is not allowed for this principal")
    return Decision(True, row_scope=hiring_manager_scope(actor, resource))


def may_write(actor: Actor, action: Action, *, authentication_error: str | None = None) -> Decision:
    refused = _staff_only(actor, authentication_error)
    if refused is not None:
        return refused
    if not _granted(actor, WRITE_ROLES[action], WRITE_SCOPES[action]):
        return deny("FORBIDDEN", f"{action.value} changes are not allowed for this principal")
    return ALLOW


async def rows_in_scope(decision: Decision, model: type, row_ids: Iterable[int]) -> set[int]:
    """The ids among ``row_ids`` an allowed read decision covers (fail closed: a table with no known path to its
    requisition shows a hiring manager nothing)."""
    ids = set(row_ids)
    if not decision.allowed:
        return set()
    if decision.row_scope is None:
        return ids
    if not is_scoped_to_requisitions(model):
        return set()
    return await rows_managed_by(model, sorted(ids), decision.row_scope)


async def may_read_row(actor: Actor, resource: Resource, model: type, row_id: int) -> Decision:
    """``may_read`` for one row: a row outside a hiring manager's requisitions is ``NOT_FOUND`` (never revealed)."""
    decision = may_read(actor, resource)
    if decision.allowed and row_id not in await rows_in_scope(decision, model, [row_id]):
        return deny("NOT_FOUND", f"no {model.__name__} {row_id} among the rows this principal may read")
    return decision


def requisition_in_scope(decision: Decision, requisition: Any) -> bool:
    """For a requisition already loaded: whether an allowed read decision covers it."""
    return decision.allowed and (decision.row_scope is None or requisition.hiring_manager_subject == decision.row_scope)


async def may_watch_interview(actor: Actor, interview_id: int, *, authentication_error: str | None = None) -> Decision:
    """Live status: a candidate only their own interview; staff and connectors with interview read rights (a hiring
    manager: on their own requisitions)."""
    if actor.kind == "candidate":
        if actor.interview_id != interview_id:
            return deny("FORBIDDEN", "a candidate may only follow their own interview")
        return ALLOW
    decision = may_read(actor, Resource.INTERVIEW, authentication_error=authentication_error)
    if decision.allowed and interview_id not in await rows_in_scope(decision, Interview, [interview_id]):
        return deny("FORBIDDEN", "not an interview of your requisitions")
    return decision


OPEN_FOR_ANSWERS = (InterviewStatus.INVITED, InterviewStatus.IN_PROGRESS, InterviewStatus.FAILED)
"""Statuses in which a candidate may still consent, upload and submit: a failed interview (e.g. a corrupt
recording) reopens, the candidate re-uploads and re-submits."""


def invitation_decision(
    interview: Interview | None,
    application: Application | None,
    *,
    allowed: tuple[InterviewStatus, ...] = OPEN_FOR_ANSWERS,
    now: datetime | None = None,
) -> Decision:
    """Whether the interview an invitation token names lets its holder act: genuine, unexpired, active for the
    application, and in one of the ``allowed`` statuses."""
    if interview is None:
        return deny("INVITATION_INVALID", "this invitation link is not valid")
    if interview.expires_at <= (now or utcnow()):
        return deny("INVITATION_EXPIRED", "this invitation has expired")
    if application is None or application.stage is not ApplicationStage.AI_INTERVIEW:
        return deny("INVITATION_REVOKED", "this invitation is no longer active for the application")
    if interview.status not in allowed:
        return deny("INVITATION_USED", f"this interview was already submitted ({interview.status.value})")
    return ALLOW


def privacy_token_decision(interview: Interview | None, application: Application | None, candidate: Any) -> Decision:
    """The token for the candidate's privacy rights (explanation, human review): it outlasts the answering window and
    the application's moves, until the candidate's data is erased; every refusal reads alike, so a caller learns
    nothing about whether a candidate existed."""
    if interview is None or application is None or candidate is None or candidate.erased_at is not None:
        return deny("INVITATION_INVALID", "this invitation link is not valid")
    return ALLOW
