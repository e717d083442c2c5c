"""Live-status fan-out (issue 15, item 3): one execution per event and distinct selection, the same JSON text to
every subscriber of it, and each subscriber still authorized on its own."""

from __future__ import annotations

import asyncio

import orjson

from gateway.models import Interview
from gateway.pubsub import get_pubsub
from resolvers.services.audit import person
from resolvers.services.candidate_interview import candidate_actor
from resolvers.services.interview_status import interview_channel
from schema.context import Context
from schema.ids import decode_id
from schema.live_fanout import fanout_cache, shared_data_text
from schema.root import schema
from tests.db_helpers import fetch
from tests.interview_helpers import invited_candidate

STATUS = "subscription($id: ID!) { interviewStatus(id: $id) { status reason } }"
PROGRESS = "subscription($id: ID!) { interviewStatus(id: $id) { status answersScored answersTotal } }"


async def _open(actor, query: str, interview_id: str):
    """A subscription past its first (current-state) result."""
    stream = await schema.subscribe(query, variable_values={"id": interview_id}, context_value=Context(actor=actor))
    first = await asyncio.wait_for(anext(stream), 10)
    return stream, first


async def test_an_event_is_executed_once_per_distinct_selection_and_shared_by_its_subscribers(gql):
    invited = await invited_candidate(gql)
    database_id = decode_id(invited.interview_id, "Interview", "id")
    candidate = candidate_actor(await fetch(Interview, invited.interview_id))
    staff = [person(f"hr-{number}", ["hr_admin"]) for number in range(3)]
    streams = []
    try:
        for actor in staff:
            streams.append(await _open(actor, STATUS, invited.interview_id))
        streams.append(await _open(staff[0], PROGRESS, invited.interview_id))  # another selection
        streams.append(await _open(candidate, STATUS, invited.interview_id))  # another kind of principal
        for _, first in streams:
            assert first.errors is None and first.data["interviewStatus"]["status"] == "INVITED"

        executions, shares = fanout_cache.executions, fanout_cache.shares
        event = {
            "interview_id": database_id,
            "status": "queued",
            "reason": None,
            "answers_scored": None,
            "answers_total": 3,
        }
        await get_pubsub().publish(interview_channel(database_id), event)
        results = [await asyncio.wait_for(anext(stream), 10) for stream, _ in streams]
    finally:
        for stream, _ in streams:
            await stream.aclose()

    assert [result.errors for result in results] == [None] * 5
    same_selection = [result.data for result in results[:3]]
    assert same_selection[0] == {"interviewStatus": {"status": "QUEUED", "reason": None}}
    assert same_selection[1] is same_selection[0] and same_selection[2] is same_selection[0]  # one execution
    assert results[3].data == {"interviewStatus": {"status": "QUEUED", "answersScored": None, "answersTotal": 3}}
    assert results[4].data == same_selection[0] and results[4].data is not same_selection[0]
    assert fanout_cache.executions - executions == 3  # staff STATUS, staff PROGRESS, candidate STATUS
    assert fanout_cache.shares - shares == 2
    text = shared_data_text(same_selection[0])
    assert text is not None and orjson.loads(text) == same_selection[0]
    assert shared_data_text(same_selection[0]) is text  # encoded once


async def test_sharing_does_not_let_a_subscriber_past_its_own_authorization(gql):
    invited = await invited_candidate(gql)
    other = await invited_candidate(gql)
    owner = candidate_actor(await fetch(Interview, invited.interview_id))
    stream, first = await _open(owner, STATUS, invited.interview_id)
    try:
        assert first.errors is None
        # Another candidate asks for the same selection of the same interview: refused, although a result for
        # exactly this selection, visibility and event may sit in the shared cache.
        intruder = candidate_actor(await fetch(Interview, other.interview_id))
        refused = await schema.subscribe(
            STATUS, variable_values={"id": invited.interview_id}, context_value=Context(actor=intruder)
        )
        result = refused if not hasattr(refused, "__anext__") else await anext(refused)
        assert result.data is None and result.errors[0].extensions["code"] == "FORBIDDEN"
        manager = person("hm-not-theirs", ["hiring_manager"])
        refused = await schema.subscribe(
            STATUS, variable_values={"id": invited.interview_id}, context_value=Context(actor=manager)
        )
        result = refused if not hasattr(refused, "__anext__") else await anext(refused)
        assert result.data is None and result.errors[0].extensions["code"] == "FORBIDDEN"
    finally:
        await stream.aclose()
