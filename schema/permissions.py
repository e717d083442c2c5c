"""The GraphQL adapter of the access policy (``resolvers.services.policy``, where the rules live).

Every field that returns personal data carries a ``can_read(Resource.X)`` permission; every
mutation a ``can_write(Action.X)``. The policy decides; a denial becomes a top-level GraphQL error
with ``extensions.code`` UNAUTHENTICATED (no or a refused bearer token) or FORBIDDEN. Hiring
managers see only rows under their own requisitions: lists filter in SQL with the decision's row
scope (``hiring_manager_subject``), ``node(id:)`` answers null for anything else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from graphql import GraphQLError
from strawberry.permission import BasePermission

from resolvers.services.audit import Actor
from resolvers.services.policy import (
    HIRING_MANAGER,
    READ_ROLES,
    READ_SCOPES,
    WRITE_ROLES,
    WRITE_SCOPES,
    Action,
    Decision,
    Resource,
    hiring_manager_scope,
    may_read,
    may_write,
)

__all__ = [
    "HIRING_MANAGER",
    "READ_ROLES",
    "READ_SCOPES",
    "WRITE_ROLES",
    "WRITE_SCOPES",
    "Action",
    "ReadPermission",
    "Resource",
    "can_read",
    "can_write",
    "check_read",
    "check_write",
    "forbidden",
    "hiring_manager_scope",
    "readable_by_scopes",
    "refusal",
    "resource_reader",
    "unauthenticated",
]


def unauthenticated(reason: str | None = None) -> GraphQLError:
    message = f"authentication required: {reason}" if reason else "authentication required"
    return GraphQLError(message, extensions={"code": "UNAUTHENTICATED"})


def forbidden(message: str = "not allowed for this principal") -> GraphQLError:
    return GraphQLError(message, extensions={"code": "FORBIDDEN"})


def refusal(decision: Decision) -> GraphQLError:
    """A denial of ``resolvers.services.policy`` as the top-level error GraphQL clients expect."""
    if decision.code == "UNAUTHENTICATED":
        return GraphQLError(decision.reason or "authentication required", extensions={"code": "UNAUTHENTICATED"})
    return forbidden(decision.reason or "not allowed for this principal")


def check_read(context: Any, resource: Resource) -> Decision:
    decision = may_read(context.actor, resource, authentication_error=context.authentication_error)
    if not decision.allowed:
        raise refusal(decision)
    return decision


def check_write(context: Any, action: Action) -> None:
    decision = may_write(context.actor, action, authentication_error=context.authentication_error)
    if not decision.allowed:
        raise refusal(decision)


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


def resource_reader(actor: Actor) -> Callable[[str], bool]:
    """Whether ``actor`` may read a resource named by its value (``"report"``): what events and webhook
    payloads carry (``resolvers.services.outbox.SHAPES``) is decided by this, field by field."""
    return lambda resource: may_read(actor, Resource(resource)).allowed


def readable_by_scopes(scopes: Iterable[str]) -> list[str]:
    """The resources a connector with ``scopes`` may read (a webhook endpoint's, stored when it is saved)."""
    actor = Actor("webhook", kind="service", scopes=frozenset(scopes))
    return [resource.value for resource in Resource if resource_reader(actor)(resource.value)]
