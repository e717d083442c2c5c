"""Who may read and write what: roles for people, scopes for ERP connectors, checked in the resolver layer.

Every field that returns personal data carries a ``can_read(Resource.X)`` permission; every
mutation a ``can_write(Action.X)``. A refusal is a top-level GraphQL error with
``extensions.code`` UNAUTHENTICATED (no or a refused bearer token) or FORBIDDEN. Hiring
managers see only rows under their own requisitions: lists filter in SQL
(``hiring_manager_subject``), ``node(id:)`` answers null for anything else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from enum import Enum
from typing import Any

from graphql import GraphQLError
from strawberry.permission import BasePermission

from gateway.oauth import SCOPES as CONNECTOR_SCOPES
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


def may_read(actor: Actor) -> Callable[[str], bool]:
    """Whether ``actor`` may read a resource named by its value (``"report"``): what events and webhook
    payloads carry (``resolvers.services.outbox.SHAPES``) is decided by this, field by field."""
    return lambda resource: _allowed(actor, READ_ROLES[Resource(resource)], READ_SCOPES[Resource(resource)])


def readable_by_scopes(scopes: Iterable[str]) -> list[str]:
    """The resources a connector with ``scopes`` may read (a webhook endpoint's, stored when it is saved)."""
    actor = Actor("webhook", kind="service", scopes=frozenset(scopes))
    return [resource.value for resource in Resource if may_read(actor)(resource.value)]


def unauthenticated(reason: str | None = None) -> GraphQLError:
    message = f"authentication required: {reason}" if reason else "authentication required"
    return GraphQLError(message, extensions={"code": "UNAUTHENTICATED"})


def forbidden(message: str = "not allowed for this principal") -> GraphQLError:
    return GraphQLError(message, extensions={"code": "FORBIDDEN"})


def _allowed(actor: Actor, roles: frozenset[str], scopes: frozenset[str]) -> bool:
    if actor.kind == "person":
        return bool(actor.roles & roles)
    if actor.kind == "service":
        return bool(actor.scopes & scopes)
    return actor.kind == "system"


def _require_authenticated(context: Any) -> Actor:
    actor: Actor = context.actor
    if actor.kind in ("anonymous", "candidate"):
        raise unauthenticated(context.authentication_error) if actor.kind == "anonymous" else forbidden()
    return actor


def check_read(context: Any, resource: Resource) -> None:
    actor = _require_authenticated(context)
    if not _allowed(actor, READ_ROLES[resource], READ_SCOPES[resource]):
        raise forbidden(f"reading {resource.value} data is not allowed for this principal")


def check_write(context: Any, action: Action) -> None:
    actor = _require_authenticated(context)
    if not _allowed(actor, WRITE_ROLES[action], WRITE_SCOPES[action]):
        raise forbidden(f"{action.value} changes are not allowed for this principal")


def hiring_manager_scope(actor: Actor, resource: Resource) -> str | None:
    """The subject whose requisitions bound what ``actor`` sees, when only hiring-manager rights apply."""
    if actor.kind != "person" or resource in (Resource.REFERENCE,):
        return None
    broader = actor.roles & (READ_ROLES[resource] - {HIRING_MANAGER})
    if broader or HIRING_MANAGER not in actor.roles:
        return None
    return actor.subject or ""


class ReadPermission(BasePermission):
    resource: Resource

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        check_read(info.context, self.resource)
        return True


class _WritePermission(BasePermission):
    action: Action

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        check_write(info.context, self.action)
        return True


_READ_PERMISSIONS = {
    resource: type(f"CanRead{resource.name.title()}", (ReadPermission,), {"resource": resource})
    for resource in Resource
}
_WRITE_PERMISSIONS = {
    action: type(f"CanWrite{action.name.title().replace('_', '')}", (_WritePermission,), {"action": action})
    for action in Action
}


def can_read(resource: Resource) -> list[type[BasePermission]]:
    """``permission_classes`` for a field returning ``resource`` data."""
    return [_READ_PERMISSIONS[resource]]


def can_write(action: Action) -> list[type[BasePermission]]:
    """``permission_classes`` for a mutation changing ``action`` data."""
    return [_WRITE_PERMISSIONS[action]]
