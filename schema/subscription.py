"""Live interview status over graphql-transport-ws: the current state first, then every change.

The websocket context lives as long as the connection, so nothing here uses its
DataLoaders: the current state is re-read with a fresh short session, and no
session is held while waiting for events.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from graphql import GraphQLError

from gateway.pubsub import get_pubsub
from resolvers.errors import DomainError
from resolvers.services.interview_status import interview_channel, status_event
from resolvers.services.policy import may_watch_interview
from resolvers.services.scoring_records import load_interview
from schema.context import Info
from schema.ids import decode_id
from schema.permissions import refusal
from schema.types.invitation import InterviewStatusEvent

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
            async with get_pubsub().subscribe(interview_channel(interview_id)) as events:
                interview = await load_interview(interview_id)
                if interview is None:
                    raise GraphQLError("interview not found", extensions={"code": "NOT_FOUND"})
                last = status_event(interview)
                yield InterviewStatusEvent.from_event(last)
                async for event in events:
                    if event != last:
                        last = event
                        yield InterviewStatusEvent.from_event(event)
        finally:
            context.active_subscriptions -= 1


async def _check_may_watch(info: Info, interview_id: int) -> None:
    """A candidate (invitation token in ``connection_init``) watches only their own interview;
    staff and connectors need interview read rights (a hiring manager: on their own requisitions)."""
    decision = await may_watch_interview(
        info.context.actor, interview_id, authentication_error=info.context.authentication_error
    )
    if not decision.allowed:
        raise refusal(decision)
