"""Production shape on real servers: two gateway processes sharing Redis pub/sub, Dramatiq workers on
the Redis broker, and a worker killed with SIGKILL mid-scoring.

A subscriber on gateway B sees the interview queued by gateway A, then scoring, then
scored, by a second worker after the first one died; there is exactly one report.
"""

from __future__ import annotations

import asyncio
import json
import os
import time

import pytest
import redis
import websockets
from sqlmodel import select

from gateway.db import read_session
from gateway.models import Answer, Interview, InterviewReport
from gateway.storage import get_media_store
from tests import processes
from tests.db_helpers import fetch, node_id
from tests.interview_helpers import give_consent, invited_candidate, put_answer, submit_over_http, teller_model

REDIS = os.environ.get("HRGATE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0").rsplit("/", 1)[0]
BROKER_URL, PUBSUB_URL = f"{REDIS}/14", f"{REDIS}/13"

SUBSCRIPTION = """
subscription($id: ID!) { interviewStatus(id: $id) { status reason answersScored answersTotal } }"""


@pytest.fixture
def production_env(tmp_path):
    for url in (BROKER_URL, PUBSUB_URL):
        redis.Redis.from_url(url).flushdb()
    env = dict(os.environ)
    env.update(
        HRGATE_BROKER_URL=BROKER_URL,
        HRGATE_PUBSUB_URL=PUBSUB_URL,
        HRGATE_BROKER_HEARTBEAT_TIMEOUT_MS="3000",  # production: 60 s; here the test would wait minutes
        HRGATE_BROKER_MAINTENANCE_CHANCE="1000000",  # run dead-worker maintenance on every broker command
    )
    yield env
    for url in (BROKER_URL, PUBSUB_URL):
        redis.Redis.from_url(url).flushdb()


class StatusListener:
    """A graphql-transport-ws client collecting every interviewStatus event in the background."""

    def __init__(self, ws_url: str, interview_id: str, connection_params: dict | None = None) -> None:
        """``connection_params``: the ``connection_init`` payload, e.g. ``{"invitationToken": …}``."""
        self.ws_url, self.interview_id = ws_url, interview_id
        self.connection_params = connection_params or {}
        self.events: list[dict] = []
        self._task: asyncio.Task | None = None

    async def __aenter__(self) -> StatusListener:
        self.socket = await websockets.connect(self.ws_url, subprotocols=["graphql-transport-ws"])
        await self.socket.send(json.dumps({"type": "connection_init", "payload": self.connection_params}))
        assert json.loads(await self.socket.recv())["type"] == "connection_ack"
        await self.socket.send(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": SUBSCRIPTION, "variables": {"id": self.interview_id}},
                }
            )
        )
        self._task = asyncio.create_task(self._collect())
        return self

    async def _collect(self) -> None:
        async for raw in self.socket:
            message = json.loads(raw)
            assert message["type"] == "next", message
            self.events.append(message["payload"]["data"]["interviewStatus"])

    async def wait_for(self, predicate, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            for event in self.events:
                if predicate(event):
                    return event
            assert self._task is not None and not self._task.done(), self._task.exception()
            assert time.monotonic() < deadline, f"no matching event in {self.events}"
            await asyncio.sleep(0.1)

    async def __aexit__(self, *exc_info) -> None:
        await self.socket.send(json.dumps({"id": "1", "type": "complete"}))
        await self.socket.close()
        if self._task is not None:
            self._task.cancel()


async def test_killed_worker_leaves_the_interview_to_another_and_replicas_share_events(
    gql, http, test_media, production_env, tmp_path
):
    model = await teller_model(gql, questions_per_dimension=3)
    invited = await invited_candidate(gql, model)
    await give_consent(gql, invited.token, biometric=False)
    for question_id in invited.question_ids:
        assert (
            await put_answer(http, invited.token, question_id, test_media.english_relevant_wav.read_bytes())
        ).status_code == 201

    with (
        processes.gateway(production_env, tmp_path / "gateway-a.log") as gateway_a,
        processes.gateway(production_env, tmp_path / "gateway-b.log") as gateway_b,
    ):
        ws_url = gateway_b.replace("http://", "ws://") + "/graphql"
        async with StatusListener(ws_url, invited.interview_id, {"invitationToken": invited.token}) as listener:
            await listener.wait_for(lambda event: event["status"] == "IN_PROGRESS", timeout=10)

            submitted = await asyncio.to_thread(submit_over_http, gateway_a, invited.token)
            assert submitted["errors"] == []
            await listener.wait_for(lambda event: event["status"] == "QUEUED", timeout=15)  # from A, seen on B

            worker_command = [str(processes.BIN / "hrgate"), "worker", "--processes", "1", "--threads", "1"]
            first_worker = processes.start(worker_command, production_env, tmp_path / "worker-1.log")
            try:
                await listener.wait_for(
                    lambda event: event["status"] == "SCORING" and (event["answersScored"] or 0) >= 1, timeout=180
                )
            finally:
                processes.kill_hard(first_worker)
            assert (await fetch(Interview, invited.interview_id)).status.value == "scoring"

            second_worker = processes.start(worker_command, production_env, tmp_path / "worker-2.log")
            try:
                await listener.wait_for(lambda event: event["status"] == "SCORED", timeout=240)
            finally:
                processes.stop(second_worker)

        statuses = [event["status"] for event in listener.events]
        assert statuses.index("QUEUED") < statuses.index("SCORING") < statuses.index("SCORED")

    interview = await fetch(Interview, invited.interview_id)
    assert interview.status.value == "scored" and interview.scoring_attempts == 2
    async with read_session() as session:
        reports = (await session.exec(select(InterviewReport))).all()
        answers = (await session.exec(select(Answer).where(Answer.interview_id == node_id(invited.interview_id)))).all()
    assert len(reports) == 1 and reports[0].total is not None
    assert all(answer.transcript and get_media_store().local_path(answer.media_uri).is_file() for answer in answers)
