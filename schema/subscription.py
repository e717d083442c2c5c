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
from resolvers.services.scoring_records import load_interview
from schema.context import Info
from schema.ids import decode_id
from schema.types.invitation import InterviewStatusEvent


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="The interview's status now, then each change (queued, scoring with progress, scored, failed)."
    )
    async def interview_status(self, info: Info, id: strawberry.ID) -> AsyncGenerator[InterviewStatusEvent, None]:
        try:
            interview_id = decode_id(id, "Interview", "id")
        except DomainError as error:
            raise GraphQLError(error.errors[0].message, extensions={"code": "BAD_USER_INPUT"}) from None
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
