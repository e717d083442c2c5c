"""Proof that no event is lost on the way to a webhook: real gateway and worker processes on the Redis broker,
a receiver of the test's own that verifies every signature with the reference ``standardwebhooks`` library,
and crashes at the worst moments.

- Some events are committed by this test process, whose dispatch jobs go to its in-process broker and are
  never run: a crash between commit and dispatch. The gateway's sweeper must find them.
- Others are committed by gateway A over HTTP, which is then killed with SIGKILL.
- Worker 1 is killed with SIGKILL while the receiver holds its request open: a crash mid-delivery. The claim
  expires, gateway B's sweeper sends the delivery again, worker 2 delivers it.

Every event arrives at least once on the wire, and exactly once after the receiver dedupes by webhook-id.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time

import httpx
import pytest
import redis
from sqlmodel import col, select

from gateway.db import read_session
from gateway.models import DomainEvent, WebhookDelivery, WebhookEndpoint
from gateway.models.events import WebhookDeliveryStatus
from resolvers.services.webhooks import wants
from tests import factories, processes
from tests.test_webhooks import create_endpoint
from tests.tokens import hr_admin_headers
from tests.webhook_receiver import receiver

REDIS = os.environ.get("HRGATE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0").rsplit("/", 1)[0]
BROKER_URL, PUBSUB_URL = f"{REDIS}/7", f"{REDIS}/6"
HOLD_SECONDS = 30.0
"""The receiver answers the first request late: long enough to kill the worker waiting on it."""


@pytest.fixture
def crash_env():
    for url in (BROKER_URL, PUBSUB_URL):
        redis.Redis.from_url(url).flushdb()
    env = dict(os.environ)
    env.update(
        HRGATE_BROKER_URL=BROKER_URL,
        HRGATE_PUBSUB_URL=PUBSUB_URL,
        HRGATE_BROKER_HEARTBEAT_TIMEOUT_MS="3000",
        HRGATE_BROKER_MAINTENANCE_CHANCE="1000000",
        HRGATE_OUTBOX_SWEEP_INTERVAL_SECONDS="0.5",
        HRGATE_OUTBOX_SWEEP_GRACE_SECONDS="1",
        HRGATE_WEBHOOK_TIMEOUT_SECONDS="5",  # a claim then holds 15 s
        HRGATE_WEBHOOK_RETRY_BASE_SECONDS="0.5",
    )
    yield env
    for url in (BROKER_URL, PUBSUB_URL):
        redis.Redis.from_url(url).flushdb()


def move_over_http(base_url: str, application_id: str, stage: str) -> None:
    response = httpx.post(
        f"{base_url}/graphql",
        headers=hr_admin_headers(),
        timeout=30,
        json={
            "query": "mutation($input: ApplicationMoveStageInput!) { applicationMoveStage(input: $input) "
            "{ errors { code } } }",
            "variables": {"input": {"applicationId": application_id, "stage": stage}},
        },
    )
    assert response.json()["data"]["applicationMoveStage"]["errors"] == [], response.text


async def expected_event_ids() -> set[str]:
    async with read_session() as session:
        endpoint = (await session.exec(select(WebhookEndpoint))).one()
        rows = (await session.exec(select(DomainEvent).order_by(col(DomainEvent.id)))).all()
    return {f"evt_{row.id}" for row in rows if wants(endpoint, row.type)}


async def test_every_event_arrives_exactly_once_after_dedupe_despite_killed_workers_and_gateways(
    gql, crash_env, tmp_path
):
    held = threading.Event()

    def behaviour(webhook_id: str, nth: int):
        if not held.is_set():
            held.set()
            return ("hold", HOLD_SECONDS)
        return "ok"

    with receiver(behaviour=behaviour) as hooks:
        _, secret = await create_endpoint(gql, hooks.url, ["candidates:read"])
        hooks.secrets.append(secret)
        model = await factories.create_model(gql)
        requisition_id = await factories.create_requisition(gql, model["version_id"], headcount=10)
        applications = [
            await factories.apply(gql, await factories.create_candidate(gql), requisition_id) for _ in range(4)
        ]
        for application_id in applications:  # committed here: their dispatch jobs never reach a worker
            await factories.invite(gql, application_id)

        first_worker = second_worker = None
        worker_command = [str(processes.BIN / "hrgate"), "worker", "--processes", "1", "--threads", "2"]
        try:
            with processes.gateway_process(crash_env, tmp_path / "gateway-a.log") as (gateway_a, gateway_a_process):
                for application_id in applications:  # committed by gateway A, dispatched through Redis
                    await asyncio.to_thread(move_over_http, gateway_a, application_id, "SECOND_INTERVIEW")
                first_worker = processes.start(worker_command, crash_env, tmp_path / "worker-1.log")
                await asyncio.to_thread(hooks.wait_for, lambda _: held.is_set(), 120)
                processes.kill_hard(first_worker)  # mid-request: the receiver has not answered
                processes.kill_hard(gateway_a_process)
            assert not [r for r in hooks.received[1:] if r.webhook_id == hooks.received[0].webhook_id]

            with processes.gateway(crash_env, tmp_path / "gateway-b.log"):
                second_worker = processes.start(worker_command, crash_env, tmp_path / "worker-2.log")
                expected = await expected_event_ids()
                assert len(expected) == 1 + 4 + 4  # the model version, 4 invitations, 4 moves over HTTP
                await asyncio.to_thread(hooks.wait_for, lambda state: set(state.unique()) == expected, 180)
                deadline = time.monotonic() + 30
                while await _undelivered() and time.monotonic() < deadline:
                    await asyncio.sleep(0.2)
        finally:
            for worker in (first_worker, second_worker):
                if worker is not None:
                    processes.stop(worker)

    assert set(hooks.unique()) == expected  # exactly once after dedupe by webhook-id
    assert len(hooks.received) >= len(expected) + 1  # at least once on the wire: the held one went out twice
    assert all(request.verified_by == [0] for request in hooks.received)
    killed = hooks.received[0].webhook_id
    assert sum(request.webhook_id == killed for request in hooks.received) >= 2
    assert await _undelivered() == []
    async with read_session() as session:
        delivered = (await session.exec(select(WebhookDelivery))).all()
    assert len(delivered) == len(expected) and {d.replay for d in delivered} == {0}  # one delivery per event
    assert max(delivery.attempts for delivery in delivered) >= 2


async def _undelivered() -> list[int]:
    async with read_session() as session:
        return list(
            (
                await session.exec(
                    select(WebhookDelivery.id).where(WebhookDelivery.status != WebhookDeliveryStatus.DELIVERED)
                )
            ).all()
        )
