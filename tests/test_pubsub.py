"""Live-status bus: in-process (also from worker threads) and Redis shared by two gateway processes."""

from __future__ import annotations

import asyncio
import os
import threading
import uuid
from contextlib import AsyncExitStack

import pytest

from gateway.pubsub import InProcessPubSub, PubSubUnavailable, RedisPubSub, build_pubsub

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


def _prefix() -> str:
    return f"h_live:test-{uuid.uuid4().hex}:"


async def _redis_clients_named(name: str) -> int:
    from redis.asyncio import Redis

    client = Redis.from_url(REDIS_URL)
    try:
        return sum(1 for entry in await client.client_list() if entry.get("name") == name)
    finally:
        await client.aclose()


async def test_many_subscriptions_share_one_redis_connection_and_each_gets_every_event_once():
    name = f"h_live-mux-{uuid.uuid4().hex[:8]}"
    bus = RedisPubSub(REDIS_URL, _prefix(), client_name=name)
    async with AsyncExitStack() as stack:
        watchers = [await stack.enter_async_context(bus.subscribe("interview:1")) for _ in range(50)]
        other = await stack.enter_async_context(bus.subscribe("interview:2"))
        dispatcher = bus.dispatcher()
        assert dispatcher.connections_opened == 1
        await bus.publish("interview:1", {"status": "queued"})
        await bus.publish("interview:1", {"status": "scoring"})
        await bus.publish("interview:2", {"status": "scored"})
        for messages in watchers:
            assert [await _next(messages), await _next(messages)] == [{"status": "queued"}, {"status": "scoring"}]
        assert await _next(other) == {"status": "scored"}
        for messages in watchers:  # nothing twice
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(anext(messages), 0.2)
        assert await _redis_clients_named(name) == 1
        assert set(dispatcher.local) == {bus.prefix + "interview:1", bus.prefix + "interview:2"}
    assert dispatcher.local == {}
    assert dispatcher.connections_opened == 1
    await bus.close()


async def test_last_subscriber_leaving_unsubscribes_the_channel_in_redis():
    from redis.asyncio import Redis

    bus = RedisPubSub(REDIS_URL, _prefix())
    counter = Redis.from_url(REDIS_URL)
    try:
        async with bus.subscribe("interview:9"), bus.subscribe("interview:9"):
            assert (await counter.pubsub_numsub(bus.prefix + "interview:9"))[0][1] == 1
        await asyncio.sleep(0.1)
        assert (await counter.pubsub_numsub(bus.prefix + "interview:9"))[0][1] == 0
        async with bus.subscribe("interview:9") as messages:  # subscribed again on the same connection
            await bus.publish("interview:9", {"status": "failed"})
            assert await _next(messages) == {"status": "failed"}
        assert bus.dispatcher().connections_opened == 1
    finally:
        await counter.aclose()
        await bus.close()


async def test_two_deployments_with_their_own_prefix_do_not_see_each_others_events():
    acme, bank = RedisPubSub(REDIS_URL, _prefix()), RedisPubSub(REDIS_URL, _prefix())
    try:
        async with acme.subscribe("interview:1") as acme_messages, bank.subscribe("interview:1") as bank_messages:
            await bank.publish("interview:1", {"status": "scored"})
            assert await _next(bank_messages) == {"status": "scored"}
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(anext(acme_messages), 0.3)
    finally:
        await acme.close()
        await bank.close()


def test_the_prefix_is_a_setting(monkeypatch):
    from gateway.pubsub import get_pubsub
    from gateway.settings import get_settings

    monkeypatch.setenv("HRGATE_PUBSUB_URL", REDIS_URL)
    monkeypatch.setenv("HRGATE_PUBSUB_PREFIX", "acme-prod:")
    get_settings.cache_clear()
    get_pubsub.cache_clear()
    try:
        assert get_pubsub().prefix == "acme-prod:"
    finally:
        get_settings.cache_clear()
        get_pubsub.cache_clear()


async def test_a_dropped_connection_ends_open_subscriptions_with_pubsub_unavailable_and_reconnects():
    from redis.asyncio import Redis

    bus = RedisPubSub(REDIS_URL, _prefix(), client_name=f"h_live-outage-{uuid.uuid4().hex[:8]}")
    admin = Redis.from_url(REDIS_URL)
    try:
        async with bus.subscribe("interview:5") as first, bus.subscribe("interview:5") as second:
            victim = next(entry for entry in await admin.client_list() if entry.get("name") == bus.client_name)
            assert await admin.client_kill_filter(_id=victim["id"]) == 1  # as if Redis restarted
            for messages in (first, second):
                with pytest.raises(PubSubUnavailable) as raised:
                    await _next(messages)
                assert raised.value.code == "PUBSUB_UNAVAILABLE"
        async with bus.subscribe("interview:5") as again:  # a reconnecting client gets a fresh connection
            await bus.publish("interview:5", {"status": "scored"})
            assert await _next(again) == {"status": "scored"}
        assert bus.dispatcher().connections_opened == 2
    finally:
        await admin.aclose()
        await bus.close()


async def test_subscribing_while_redis_is_unreachable_raises_pubsub_unavailable():
    bus = RedisPubSub("redis://127.0.0.1:1/0", _prefix(), connect_timeout=1.0)
    with pytest.raises(PubSubUnavailable):
        async with bus.subscribe("interview:1"):
            pass
