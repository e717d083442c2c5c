"""Webhook endpoints (HR admins): create, update, delete, rotate the secret, replay; and the ``changes`` feed.

``WebhookMutations`` joins the root ``Mutation``, ``WebhookQuery`` the root ``Query``. The rules are in
``resolvers.services.webhooks``; what each principal may read of an event in ``resolvers.services.outbox``.
"""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry
from strawberry import relay

from gateway import models
from gateway.db import read_session
from resolvers.filters import WebhookEndpointFilter
from resolvers.pagination import count_rows
from resolvers.services import outbox
from resolvers.services import webhooks as webhook_service
from schema.context import Info
from schema.ids import decode_id, encode_id
from schema.mutations.common import UserError, run_mutation
from schema.pagination import DEFAULT_PAGE_SIZE, Connection, UpdatedSince, page_request, root_connection, to_connection
from schema.permissions import (
    Action,
    Resource,
    can_read,
    can_write,
    forbidden,
    hiring_manager_scope,
    readable_by_scopes,
    unauthenticated,
)
from schema.types.webhooks import ChangeEvent, DomainEventType, WebhookDelivery, WebhookEndpoint, reader


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@strawberry.input
class WebhookEndpointCreateInput:
    url: str = strawberry.field(description="http(s) URL (https only in production); never redirected.")
    scopes: list[str] = strawberry.field(description="Connector scopes bounding what payloads carry.")
    event_types: list[DomainEventType] = strawberry.field(
        default_factory=list, description="Empty: every type the scopes may read."
    )
    description: str = ""


@strawberry.input
class WebhookEndpointUpdateInput:
    id: strawberry.ID
    url: str | None = None
    description: str | None = None
    event_types: list[DomainEventType] | None = None
    scopes: list[str] | None = None
    enabled: bool | None = strawberry.field(
        default=None, description="true re-enables a disabled endpoint (its failure streak starts again at 0)."
    )


@strawberry.input
class WebhookEndpointDeleteInput:
    id: strawberry.ID


@strawberry.input
class WebhookEndpointSecretRotateInput:
    id: strawberry.ID
    overlap_hours: float = strawberry.field(
        default=24.0, description="How long the previous secret keeps signing too (0 to 168 hours)."
    )


@strawberry.input
class WebhookDeliveryReplayInput:
    delivery_id: strawberry.ID


@strawberry.input
class WebhookEndpointReplayInput:
    endpoint_id: strawberry.ID
    since: datetime = strawberry.field(description="Events that occurred at or after this moment…")
    until: datetime = strawberry.field(description="…and before this one (at most 10,000 events).")


@strawberry.type
class WebhookEndpointCreatePayload:
    webhook_endpoint: WebhookEndpoint | None = None
    secret: str | None = strawberry.field(
        default=None, description="whsec_…: shown this once; verify deliveries with it."
    )
    errors: list[UserError]


@strawberry.type
class WebhookEndpointPayload:
    webhook_endpoint: WebhookEndpoint | None = None
    errors: list[UserError]


@strawberry.type
class WebhookEndpointDeletePayload:
    deleted_webhook_endpoint_id: relay.GlobalID | None = None
    errors: list[UserError]


@strawberry.type
class WebhookEndpointSecretRotatePayload:
    webhook_endpoint: WebhookEndpoint | None = None
    secret: str | None = strawberry.field(default=None, description="The new secret, shown this once.")
    errors: list[UserError]


@strawberry.type
class WebhookDeliveryReplayPayload:
    webhook_delivery: WebhookDelivery | None = None
    errors: list[UserError]


@strawberry.type
class WebhookEndpointReplayPayload:
    webhook_endpoint: WebhookEndpoint | None = None
    deliveries_created: int | None = strawberry.field(default=None, description="Deliveries made (null on errors).")
    errors: list[UserError]


def _endpoint_id(value: str, field: str = "id") -> int:
    return decode_id(value, "WebhookEndpoint", field)


@strawberry.type
class WebhookMutations:
    @strawberry.mutation(
        description="Register a webhook endpoint; the payload's secret is shown only now.",
        permission_classes=can_write(Action.WEBHOOK),
    )
    async def webhook_endpoint_create(
        self, info: Info, input: WebhookEndpointCreateInput
    ) -> WebhookEndpointCreatePayload:
        async def operation(uow):
            data = {
                "url": input.url,
                "description": input.description,
                "event_types": [event_type.value for event_type in input.event_types],
                "scopes": input.scopes,
            }
            return await webhook_service.create_endpoint(
                data, readable_by_scopes(input.scopes), session=uow.session, actor=info.context.actor
            )

        result, errors = await run_mutation(operation)
        if result is None:
            return WebhookEndpointCreatePayload(errors=errors)
        endpoint, secret = result
        return WebhookEndpointCreatePayload(
            webhook_endpoint=WebhookEndpoint.from_row(endpoint), secret=secret, errors=[]
        )

    @strawberry.mutation(
        description="Change an endpoint's URL, description, event types or scopes, or enable / disable it.",
        permission_classes=can_write(Action.WEBHOOK),
    )
    async def webhook_endpoint_update(self, info: Info, input: WebhookEndpointUpdateInput) -> WebhookEndpointPayload:
        async def operation(uow):
            changes = {
                "url": input.url,
                "description": input.description,
                "event_types": None
                if input.event_types is None
                else [event_type.value for event_type in input.event_types],
                "scopes": input.scopes,
                "enabled": input.enabled,
            }
            readable = None if input.scopes is None else readable_by_scopes(input.scopes)
            return await webhook_service.update_endpoint(
                _endpoint_id(input.id), changes, readable, session=uow.session, actor=info.context.actor
            )

        endpoint, errors = await run_mutation(operation)
        return WebhookEndpointPayload(webhook_endpoint=WebhookEndpoint.from_optional_row(endpoint), errors=errors)

    @strawberry.mutation(
        description="Delete an endpoint: nothing more is sent to it; its delivery log stays readable.",
        permission_classes=can_write(Action.WEBHOOK),
    )
    async def webhook_endpoint_delete(
        self, info: Info, input: WebhookEndpointDeleteInput
    ) -> WebhookEndpointDeletePayload:
        async def operation(uow):
            return await webhook_service.delete_endpoint(
                _endpoint_id(input.id), session=uow.session, actor=info.context.actor
            )

        deleted, errors = await run_mutation(operation)
        return WebhookEndpointDeletePayload(
            deleted_webhook_endpoint_id=None if deleted is None else encode_id("WebhookEndpoint", deleted),
            errors=errors,
        )

    @strawberry.mutation(
        description="A new secret (shown once); the previous one keeps signing during the overlap.",
        permission_classes=can_write(Action.WEBHOOK),
    )
    async def webhook_endpoint_secret_rotate(
        self, info: Info, input: WebhookEndpointSecretRotateInput
    ) -> WebhookEndpointSecretRotatePayload:
        async def operation(uow):
            return await webhook_service.rotate_secret(
                _endpoint_id(input.id),
                input.overlap_hours,
                session=uow.session,
                actor=info.context.actor,
            )

        result, errors = await run_mutation(operation)
        if result is None:
            return WebhookEndpointSecretRotatePayload(errors=errors)
        endpoint, secret = result
        return WebhookEndpointSecretRotatePayload(
            webhook_endpoint=WebhookEndpoint.from_row(endpoint), secret=secret, errors=[]
        )

    @strawberry.mutation(
        description="Send one delivery's event to its endpoint again (same webhook-id: receivers dedupe).",
        permission_classes=can_write(Action.WEBHOOK),
    )
    async def webhook_delivery_replay(
        self, info: Info, input: WebhookDeliveryReplayInput
    ) -> WebhookDeliveryReplayPayload:
        async def operation(uow):
            return await webhook_service.replay_delivery(
                decode_id(input.delivery_id, "WebhookDelivery", "deliveryId"),
                session=uow.session,
                actor=info.context.actor,
            )

        delivery, errors = await run_mutation(operation)
        return WebhookDeliveryReplayPayload(webhook_delivery=WebhookDelivery.from_optional_row(delivery), errors=errors)

    @strawberry.mutation(
        description="Send every event of a time range the endpoint wants again.",
        permission_classes=can_write(Action.WEBHOOK),
    )
    async def webhook_endpoint_replay(
        self, info: Info, input: WebhookEndpointReplayInput
    ) -> WebhookEndpointReplayPayload:
        async def operation(uow):
            endpoint_id = _endpoint_id(input.endpoint_id, "endpointId")
            count = await webhook_service.replay_range(
                endpoint_id, _utc(input.since), _utc(input.until), session=uow.session, actor=info.context.actor
            )
            return count, await uow.session.get(models.WebhookEndpoint, endpoint_id)

        result, errors = await run_mutation(operation)
        if result is None:
            return WebhookEndpointReplayPayload(errors=errors)
        count, endpoint = result
        return WebhookEndpointReplayPayload(
            webhook_endpoint=WebhookEndpoint.from_optional_row(endpoint), deliveries_created=count, errors=[]
        )


@strawberry.type
class WebhookQuery:
    @strawberry.field(description="Webhook endpoints, oldest first.", permission_classes=can_read(Resource.WEBHOOK))
    async def webhook_endpoints(
        self,
        info: Info,
        first: int = DEFAULT_PAGE_SIZE,
        after: str | None = None,
        include_deleted: bool = False,
        updated_since: UpdatedSince = None,
    ) -> Connection[WebhookEndpoint]:
        return await root_connection(
            info,
            models.WebhookEndpoint,
            WebhookEndpoint.from_row,
            first=first,
            after=after,
            updated_since=updated_since,
            row_filter=WebhookEndpointFilter(include_deleted=include_deleted),
        )

    @strawberry.field(
        description="Committed changes in commit order, for incremental sync: pass the last page's endCursor as "
        "`since` and nothing is missed or counted twice. Erasures are events too (candidate.erased). Only the "
        "event types and fields the caller may read."
    )
    async def changes(
        self,
        info: Info,
        since: str | None = None,
        types: list[DomainEventType] | None = None,
        first: int = DEFAULT_PAGE_SIZE,
    ) -> Connection[ChangeEvent]:
        actor = info.context.actor
        if actor.kind == "anonymous":
            raise unauthenticated(info.context.authentication_error)
        if actor.kind not in ("person", "service", "system"):
            raise forbidden("the change feed is for staff and connectors")
        readable = reader(info)
        allowed = outbox.readable_types(types, readable)
        if not allowed:
            raise forbidden("none of these event types may be read by this principal")
        request = page_request(first, since, info.context.settings.page_size_max)
        clauses = outbox.changes_clauses(allowed, hiring_manager_scope(actor, Resource.APPLICATION))
        async with read_session() as session:
            page = await outbox.changes_page(request, clauses, session=session)

        async def count_total() -> int:
            async with read_session() as session:
                return await count_rows(models.DomainEvent, clauses, session=session)

        return to_connection(page, lambda row: ChangeEvent.from_row(row, readable), count_total)
