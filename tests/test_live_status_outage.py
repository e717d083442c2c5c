"""A pub/sub outage on a live gateway (issue 15, item 4): open subscriptions end with a coded, readable error
(not "Unexpected error."), and the client's new subscription gets the current state and then live events."""

from __future__ import annotations

import asyncio
import json
import os
import uuid

import redis
import websockets

from resolvers.services.interview_status import interview_channel
from schema.ids import decode_id
from tests import processes
from tests.interview_helpers import invited_candidate

REDIS_URL = os.environ.get("HRGATE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
SUBSCRIPTION = "subscription($id: ID!) { interviewStatus(id: $id) { status } }"


async def _subscribe(url: str, token: str, interview_id: str) -> websockets.ClientConnection:
    socket = await websockets.connect(url, subprotocols=["graphql-transport-ws"])
    await socket.send(json.dumps({"type": "connection_init", "payload": {"invitationToken": token}}))
    assert json.loads(await asyncio.wait_for(socket.recv(), 10))["type"] == "connection_ack"
    await socket.send(
        json.dumps(
            {"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIPTION, "variables": {"id": interview_id}}}
        )
    )
    return socket


async def _next(socket: websockets.ClientConnection) -> dict:
    return json.loads(await asyncio.wait_for(socket.recv(), 10))


async def test_a_dropped_pubsub_connection_ends_subscriptions_with_pubsub_unavailable(gql, tmp_path):
    invited = await invited_candidate(gql)
    prefix = f"h_live:outage-{uuid.uuid4().hex[:8]}:"
    env = {key: value for key, value in os.environ.items() if key != "HRGATE_BROKER_URL"}
    env.update(HRGATE_PUBSUB_URL=REDIS_URL, HRGATE_PUBSUB_PREFIX=prefix)
    admin = redis.Redis.from_url(REDIS_URL)
    database_id = decode_id(invited.interview_id, "Interview", "id")
    channel = prefix + interview_channel(database_id)
    try:
        with processes.gateway(env, tmp_path / "gateway.log") as base_url:
            url = base_url.replace("http://", "ws://") + "/graphql"
            socket = await _subscribe(url, invited.token, invited.interview_id)
            assert (await _next(socket))["payload"]["data"]["interviewStatus"]["status"] == "INVITED"
            connections = [entry for entry in admin.client_list() if entry.get("name", "").startswith(prefix)]
            assert len(connections) == 1  # the gateway's one shared subscriber connection
            admin.client_kill_filter(_id=connections[0]["id"])  # what a Redis restart does to it

            ended = await _next(socket)
            assert ended["type"] == "next" and ended["payload"]["data"] is None
            error = ended["payload"]["errors"][0]
            assert error["extensions"]["code"] == "PUBSUB_UNAVAILABLE"
            assert "subscribe again" in error["message"]
            assert (await _next(socket)) == {"id": "1", "type": "complete"}

            await socket.send(
                json.dumps(
                    {
                        "id": "2",
                        "type": "subscribe",
                        "payload": {"query": SUBSCRIPTION, "variables": {"id": invited.interview_id}},
                    }
                )
            )
            again = await _next(socket)
            assert again["id"] == "2" and again["payload"]["data"]["interviewStatus"]["status"] == "INVITED"
            admin.publish(channel, json.dumps({"interview_id": database_id, "status": "in_progress", "reason": None}))
            live = await _next(socket)
            assert live["id"] == "2" and live["payload"]["data"]["interviewStatus"]["status"] == "IN_PROGRESS"
            await socket.close()
    finally:
        admin.close()
