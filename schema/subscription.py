"""Live interview status over graphql-transport-ws: the current state first, then every change.

The websocket context lives as long as the connection, so nothing here uses its
DataLoaders: the current state is re-read with a fresh short session, and no
session is held while waiting for events.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from graphql import GraphQLError

from gateway.db import read_session
from gateway.pubsub import PubSubUnavailable, get_pubsub
from resolvers.errors import DomainError
from resolvers.services import outbox
from resolvers.services.interview_status import interview_channel, status_event
from resolvers.services.policy import may_watch_interview
from resolvers.services.scoring_records import load_interview
from schema.context import Info
from schema.ids import decode_id
from schema.live_fanout import SharedEvent
from schema.permissions import Resource, forbidden, hiring_manager_scope, refusal, unauthenticated
from schema.types.invitation import InterviewStatusEvent
from schema.types.webhooks import ChangeEvent, DomainEventType, reader

MAX_CANDIDATE_SUBSCRIPTIONS = 5


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="The interview's status now, then each change (queued, scoring with progress, scored, failed)."
    )
    async def interview_status(self, info: Info, id: strawberry.ID) -> AsyncGenerator[InterviewStatusEvent, None]:
        context = info.context
        # Counted before the first await: a client opening many subscriptions at once must not slip through.
        if context.actor.kind == "candidate" and context.active_subscriptions >= MAX_CANDIDATE_SUBSCRIPTIONS:
            raise GraphQLError(
                f"at most {MAX_CANDIDATE_SUBSCRIPTIONS} subscriptions per candidate connection",
                extensions={"code": "TOO_MANY_SUBSCRIPTIONS"},
            )
        context.active_subscriptions += 1
        try:
            try:
                interview_id = decode_id(id, "Interview", "id")
            except DomainError as error:
                raise GraphQLError(error.errors[0].message, extensions={"code": "BAD_USER_INPUT"}) from None
            await _check_may_watch(info, interview_id)
            # What a subscriber sees of an event depends only on the event: every watcher allowed to subscribe
            # shares one execution per event (schema.live_fanout), kept apart by kind of principal all the same.
            visibility = context.actor.kind
            try:
                async with get_pubsub().subscribe(interview_channel(interview_id)) as events:
                    interview = await load_interview(interview_id)
                    if interview is None:
                        raise GraphQLError("interview not found", extensions={"code": "NOT_FOUND"})
                    last = status_event(interview)
                    yield InterviewStatusEvent.from_event(last)
                    async for event in events:
                        if event != last:
                            last = event
                            yield SharedEvent(event, visibility, InterviewStatusEvent.from_event)  # type: ignore[misc]
            except PubSubUnavailable:
                raise live_status_unavailable() from None
        finally:
            context.active_subscriptions -= 1

    @strawberry.subscription(
        description="Domain events as they are dispatched (staff and connectors): only the types and fields the "
        "principal may read, within a hiring manager's requisitions. Live only: `changes(since:)` catches up."
    )
    async def events(self, info: Info, types: list[DomainEventType] | None = None) -> AsyncGenerator[ChangeEvent, None]:
        actor = info.context.actor
        if actor.kind == "anonymous":
            raise unauthenticated(info.context.authentication_error)
        if actor.kind not in ("person", "service"):
            raise forbidden("domain events are for staff and connectors")
        readable = reader(info)
        allowed = set(outbox.readable_types(types, readable))
        if not allowed:
            raise forbidden("none of these event types may be read by this principal")
        subject = hiring_manager_scope(actor, Resource.APPLICATION)
        async with get_pubsub().subscribe(outbox.EVENTS_CHANNEL) as messages:
            async for message in messages:
                if message.get("type") not in {event_type.value for event_type in allowed}:
                    continue
                async with read_session() as session:  # a fresh, short read per event; none held while waiting
                    row = await outbox.load_event(int(message["id"]), session=session)
                    visible = row is not None and await outbox.may_see_event(row, subject, session=session)
                if visible:
                    yield ChangeEvent.from_row(row, readable)


def live_status_unavailable() -> GraphQLError:
    """The pub/sub server is unreachable or its connection dropped: events may have been missed."""
    return GraphQLError(
        "live status is interrupted: the event bus is unavailable; subscribe again to get the current status",
        extensions={"code": PubSubUnavailable.code},
    )


async def _check_may_watch(info: Info, interview_id: int) -> None:
    """A candidate (invitation token in ``connection_init``) watches only their own interview;
    staff and connectors need interview read rights (a hiring manager: on their own requisitions)."""
    decision = await may_watch_interview(
        info.context.actor, interview_id, authentication_error=info.context.authentication_error
    )
    if not decision.allowed:
        raise refusal(decision)
