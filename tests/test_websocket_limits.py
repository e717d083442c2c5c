"""Websocket limits on a live gateway: connection_init within 5 s, at most 5 subscriptions per candidate connection."""

from __future__ import annotations

import asyncio
import json
import os
import time

import websockets

from tests import processes
from tests.interview_helpers import invited_candidate

SUBSCRIPTION = "subscription($id: ID!) { interviewStatus(id: $id) { status } }"


async def test_connection_without_init_is_closed_after_five_seconds(gql, tmp_path):
    env = {key: value for key, value in os.environ.items() if key not in ("HRGATE_BROKER_URL", "HRGATE_PUBSUB_URL")}
    with processes.gateway(env, tmp_path / "gateway.log") as base_url:
        url = base_url.replace("http://", "ws://") + "/graphql"
        async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as socket:
            started = time.monotonic()
            try:
                await asyncio.wait_for(socket.recv(), timeout=15)
            except websockets.ConnectionClosed as closed:
                assert closed.rcvd.code == 4408  # "Connection initialisation timeout"
            waited = time.monotonic() - started
        assert 4 <= waited <= 8

        invited = await invited_candidate(gql)
        async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as socket:
            await socket.send(json.dumps({"type": "connection_init", "payload": {"invitationToken": invited.token}}))
            assert json.loads(await socket.recv())["type"] == "connection_ack"
            for number in range(1, 7):
                await socket.send(
                    json.dumps(
                        {
                            "id": str(number),
                            "type": "subscribe",
                            "payload": {"query": SUBSCRIPTION, "variables": {"id": invited.interview_id}},
                        }
                    )
                )
            replies = {}
            while len(replies) < 6:
                message = json.loads(await asyncio.wait_for(socket.recv(), timeout=10))
                replies.setdefault(message["id"], message)
        for number in range(1, 6):
            assert replies[str(number)]["payload"]["data"]["interviewStatus"]["status"] == "INVITED"
        refused = replies["6"]["payload"]
        assert refused["data"] is None and refused["errors"][0]["extensions"]["code"] == "TOO_MANY_SUBSCRIPTIONS"


async def test_websockets_over_the_address_rate_limit_are_closed_with_4429_not_refused_with_403(tmp_path):
    """Opened before ``connection_init``, a socket counts against its address; over the limit the client gets the
    close code and a reason it can act on (retry later), not a bare HTTP 403."""
    env = {key: value for key, value in os.environ.items() if key not in ("HRGATE_BROKER_URL", "HRGATE_PUBSUB_URL")}
    env["HRGATE_RATE_LIMIT_PER_MINUTE"] = "40"
    env["HRGATE_WEBSOCKET_CONNECTIONS_PER_ADDRESS"] = "100"
    with processes.gateway(env, tmp_path / "gateway.log") as base_url:
        url = base_url.replace("http://", "ws://") + "/graphql"
        sockets, refusal = [], None
        try:
            for _ in range(41):  # the readiness polls took some of the allowance already
                socket = await websockets.connect(url, subprotocols=["graphql-transport-ws"])
                assert socket.subprotocol == "graphql-transport-ws"
                try:
                    await asyncio.wait_for(socket.recv(), timeout=0.3)
                except TimeoutError:
                    sockets.append(socket)  # accepted and waiting for connection_init
                    continue
                except websockets.ConnectionClosed as closed:
                    refusal = closed.rcvd
                    break
        finally:
            for socket in sockets:
                await socket.close()
    assert refusal is not None and refusal.code == 4429
    assert refusal.reason.startswith("too many requests: retry in")
    assert len(sockets) >= 30
