"""Live-status bus: in-process (also from worker threads) and Redis shared by two gateway processes."""

from __future__ import annotations

import asyncio
import os
import threading
import uuid

from gateway.pubsub import InProcessPubSub, RedisPubSub, build_pubsub

REDIS_URL = os.environ.get("HRGATE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


async def _next(messages, timeout: float = 5.0):
    return await asyncio.wait_for(anext(messages), timeout)


async def test_in_process_bus_delivers_to_every_subscriber_of_the_channel():
    bus = InProcessPubSub()
    async with (
        bus.subscribe("interview:1") as first,
        bus.subscribe("interview:1") as second,
        bus.subscribe("interview:2") as other,
    ):
        await bus.publish("interview:1", {"status": "queued"})
        assert await _next(first) == {"status": "queued"}
        assert await _next(second) == {"status": "queued"}
        await bus.publish("interview:2", {"status": "scored"})
        assert await _next(other) == {"status": "scored"}
    assert bus._subscribers == {}


async def test_in_process_bus_accepts_publishes_from_worker_threads():
    bus = InProcessPubSub()
    async with bus.subscribe("interview:7") as messages:
        thread = threading.Thread(target=bus.publish_threadsafe, args=("interview:7", {"status": "scoring"}))
        thread.start()
        thread.join()
        assert await _next(messages) == {"status": "scoring"}


async def test_redis_bus_reaches_a_subscriber_of_another_gateway_instance():
    prefix = f"hrgate-test-{uuid.uuid4().hex}:"
    gateway_a, gateway_b = RedisPubSub(REDIS_URL, prefix), RedisPubSub(REDIS_URL, prefix)
    async with gateway_b.subscribe("interview:3") as messages:
        await gateway_a.publish("interview:3", {"status": "scored", "total": 82.5})
        assert await _next(messages) == {"status": "scored", "total": 82.5}


def test_bus_is_chosen_by_url():
    assert isinstance(build_pubsub(""), InProcessPubSub)
    assert isinstance(build_pubsub("redis://127.0.0.1:6379/0"), RedisPubSub)
