"""Websockets on a live ``hrgate serve`` (issue 8, findings 2, 4 and 7): a socket must authenticate, lives
no longer than its token, is rate limited, sees data as it is now, and audits every read; the access
log keeps no invitation token.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path

import httpx
import pytest
import websockets
from sqlmodel import select

from gateway.db import read_session
from gateway.models import Application, AuditEvent, Interview, InterviewReport
from tests import factories, processes
from tests.db_helpers import fetch, global_id, insert
from tests.interview_helpers import invited_candidate
from tests.tokens import claims, person_token, sign

OPERATIONS_PER_MINUTE = 6
CONNECTIONS_PER_ADDRESS = 3


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """One gateway for the module, with small websocket limits; yields (websocket URL, its log file)."""
    log = tmp_path_factory.mktemp("gateway") / "gateway.log"
    env = {key: value for key, value in os.environ.items() if key not in ("HRGATE_BROKER_URL", "HRGATE_PUBSUB_URL")}
    env["HRGATE_WEBSOCKET_OPERATIONS_PER_MINUTE"] = str(OPERATIONS_PER_MINUTE)
    env["HRGATE_WEBSOCKET_CONNECTIONS_PER_ADDRESS"] = str(CONNECTIONS_PER_ADDRESS)
    with processes.gateway(env, log) as base_url:
        yield base_url, log


def _url(gateway: tuple[str, Path]) -> str:
    return gateway[0].replace("http://", "ws://") + "/graphql"


async def _open(url: str, payload: dict) -> websockets.ClientConnection:
    socket = await websockets.connect(url, subprotocols=["graphql-transport-ws"])
    await socket.send(json.dumps({"type": "connection_init", "payload": payload}))
    assert json.loads(await asyncio.wait_for(socket.recv(), timeout=10))["type"] == "connection_ack"
    return socket


def _staff(token: str | None = None) -> dict:
    return {"authorization": f"Bearer {token or person_token('hr-1', 'hr_admin')}"}


async def _ask(socket: websockets.ClientConnection, number: int, query: str, **variables) -> dict:
    """One operation; its ``next`` (or ``error``) message, after which its ``complete`` is read too."""
    await socket.send(
        json.dumps({"id": str(number), "type": "subscribe", "payload": {"query": query, "variables": variables}})
    )
    message = json.loads(await asyncio.wait_for(socket.recv(), timeout=10))
    assert message["id"] == str(number), message
    if message["type"] == "next":
        assert json.loads(await asyncio.wait_for(socket.recv(), timeout=10))["type"] == "complete"
    return message


async def _closed_with(socket: websockets.ClientConnection, timeout: float = 10) -> tuple[int, str]:
    with pytest.raises(websockets.ConnectionClosed) as closed:
        while True:
            await asyncio.wait_for(socket.recv(), timeout=timeout)
    return closed.value.rcvd.code, closed.value.rcvd.reason


async def test_connection_init_without_credentials_is_closed(gateway):
    socket = await websockets.connect(_url(gateway), subprotocols=["graphql-transport-ws"])
    await socket.send(json.dumps({"type": "connection_init", "payload": {}}))
    code, reason = await _closed_with(socket)
    assert code == 4401 and "authorization" in reason and "invitationToken" in reason


async def test_open_websockets_are_capped_per_address(gateway):
    sockets = [await _open(_url(gateway), _staff()) for _ in range(CONNECTIONS_PER_ADDRESS)]
    try:
        refused = await websockets.connect(_url(gateway), subprotocols=["graphql-transport-ws"])
        code, reason = await _closed_with(refused)  # a close code the client can act on, not an HTTP 403
        assert code == 4429 and "at most 3" in reason
        await sockets.pop().close()
        await asyncio.sleep(0.2)
        sockets.append(await _open(_url(gateway), _staff()))  # a slot given back is usable again
    finally:
        for socket in sockets:
            await socket.close()


async def test_operations_per_socket_are_rate_limited(gateway):
    socket = await _open(_url(gateway), _staff())
    try:
        replies = [await _ask(socket, number, "{ __typename }") for number in range(OPERATIONS_PER_MINUTE + 2)]
    finally:
        await socket.close()
    assert [reply["type"] for reply in replies] == ["next"] * OPERATIONS_PER_MINUTE + ["error", "error"]
    assert replies[-1]["payload"][0]["extensions"]["code"] == "RATE_LIMITED"


async def test_a_socket_closes_when_its_token_expires(gateway):
    # accepted within the 30 s clock leeway, unusable 3 s from now
    expiring = sign(claims("hr-1", roles=["hr_admin"], exp=int(time.time()) - 27))
    active = await _open(_url(gateway), _staff(expiring))
    idle = await _open(_url(gateway), _staff(expiring))
    try:
        first = await _ask(active, 1, "{ requisitions(first: 1) { totalCount } }")
        assert first["payload"]["data"] == {"requisitions": {"totalCount": 0}}
        await asyncio.sleep(4)
        with suppress(websockets.ConnectionClosed):  # closed already when the token expired, or on this operation
            await active.send(
                json.dumps({"id": "2", "type": "subscribe", "payload": {"query": "{ requisitions { totalCount } }"}})
            )
        assert await _closed_with(active) == (4401, "token expired: reconnect with a new one")
        assert (await _closed_with(idle))[0] == 4401  # closed by the gateway, not by a request
    finally:
        await active.close()
        await idle.close()


CANDIDATE = "query($id: ID!) { node(id: $id) { ... on Application { candidate { fullName email } } } }"
ERASE = """mutation($input: CandidateEraseInput!) {
  candidateErase(input: $input) { erasure { alreadyErased } errors { code message } }
}"""


async def test_a_socket_sees_an_erasure_made_after_it_opened(gateway, gql):
    candidate_id = await factories.create_candidate(gql)
    model = await factories.create_model(gql)
    application_id = await factories.apply(
        gql, candidate_id, await factories.create_requisition(gql, model["version_id"])
    )
    socket = await _open(_url(gateway), _staff())
    try:
        before = await _ask(socket, 1, CANDIDATE, id=application_id)
        assert before["payload"]["data"]["node"]["candidate"]["fullName"] != "erased"
        erased = await gql.mutate(ERASE, "candidateErase", input={"candidateId": candidate_id, "reason": "request"})
        assert erased["errors"] == []
        after = await _ask(socket, 2, CANDIDATE, id=application_id)
    finally:
        await socket.close()
    assert after["payload"]["data"]["node"]["candidate"]["fullName"] == "erased"


async def test_every_read_of_a_report_on_one_socket_is_audited(gateway, gql):
    model = await factories.create_model(gql)
    requisition_id = await factories.create_requisition(gql, model["version_id"])
    application = await fetch(
        Application, await factories.apply(gql, await factories.create_candidate(gql), requisition_id)
    )
    (interview,) = await insert(
        Interview(application_id=application.id, token_hash=f"{application.id:064d}", expires_at=application.created_at)
    )
    (report,) = await insert(
        InterviewReport(
            interview_id=interview.id, requisition_id=application.requisition_id, total=72.5, pipeline_version="test"
        )
    )
    query = "query($id: ID!) { node(id: $id) { ... on InterviewReport { total } } }"
    socket = await _open(_url(gateway), _staff())
    try:
        for number in range(3):
            reply = await _ask(socket, number, query, id=global_id("InterviewReport", report.id))
            assert reply["payload"]["data"]["node"] == {"total": 72.5}
    finally:
        await socket.close()
    async with read_session() as session:
        reads = (
            await session.exec(
                select(AuditEvent).where(AuditEvent.action == "report.read", AuditEvent.entity_id == report.id)
            )
        ).all()
    assert len(reads) == 3


async def test_access_log_keeps_no_invitation_token(gateway, gql):
    base_url, log = gateway
    invited = await invited_candidate(gql)
    async with httpx.AsyncClient(base_url=base_url) as client:
        response = await client.put(
            f"/interview/{invited.token}/answers/{invited.question_ids[0]}",
            content=b"not a recording",
            headers={"content-type": "audio/wav"},
        )
    assert response.status_code >= 400  # no consent yet: refused, and logged all the same
    await asyncio.sleep(0.5)
    written = log.read_text(errors="replace")
    assert "PUT /interview/[redacted]/answers/" in written
    assert invited.token not in written
