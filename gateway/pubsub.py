"""Publish/subscribe for live status: in-process by default, Redis when several gateways share events.

Publishers call ``publish`` only after their transaction committed; subscribers get
plain JSON-able dicts. The in-process bus accepts publishes from any thread (the
embedded Dramatiq worker runs actors in threads) and delivers them on each
subscriber's own event loop.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Any, Protocol

from gateway.settings import get_settings

Message = dict[str, Any]


class PubSub(Protocol):
    async def publish(self, channel: str, message: Message) -> None: ...

    def subscribe(self, channel: str) -> Any:
        """An async context manager yielding an async iterator of messages (subscribed on entry)."""


class InProcessPubSub:
    """One process, any number of subscribers per channel."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: dict[str, list[tuple[asyncio.AbstractEventLoop, asyncio.Queue[Message]]]] = {}

    async def publish(self, channel: str, message: Message) -> None:
        self.publish_threadsafe(channel, message)

    def publish_threadsafe(self, channel: str, message: Message) -> None:
        with self._lock:
            subscribers = list(self._subscribers.get(channel, ()))
        for loop, queue in subscribers:
            if not loop.is_closed():
                loop.call_soon_threadsafe(queue.put_nowait, message)

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[AsyncIterator[Message]]:
        queue: asyncio.Queue[Message] = asyncio.Queue()
        entry = (asyncio.get_running_loop(), queue)
        with self._lock:
            self._subscribers.setdefault(channel, []).append(entry)

        async def messages() -> AsyncIterator[Message]:
            while True:
                yield await queue.get()

        try:
            yield messages()
        finally:
            with self._lock:
                self._subscribers[channel].remove(entry)
                if not self._subscribers[channel]:
                    del self._subscribers[channel]


class RedisPubSub:
    """Redis channels: an event published by any gateway or worker reaches subscribers on every gateway."""

    def __init__(self, url: str, prefix: str = "hrgate:") -> None:
        self.url = url
        self.prefix = prefix

    async def publish(self, channel: str, message: Message) -> None:
        from redis.asyncio import Redis

        # A short-lived client: publishers run on many event loops (workers use one per job).
        client = Redis.from_url(self.url)
        try:
            await client.publish(self.prefix + channel, json.dumps(message))
        finally:
            await client.aclose()

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[AsyncIterator[Message]]:
        from redis.asyncio import Redis

        client = Redis.from_url(self.url)
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(self.prefix + channel)

        async def messages() -> AsyncIterator[Message]:
            async for raw in pubsub.listen():
                if raw.get("type") == "message":
                    yield json.loads(raw["data"])

        try:
            yield messages()
        finally:
            await pubsub.unsubscribe()
            await pubsub.aclose()
            await client.aclose()


def build_pubsub(url: str) -> PubSub:
    if not url:
        return InProcessPubSub()
    if url.startswith(("redis://", "rediss://")):
        return RedisPubSub(url)
    raise ValueError(f"HRGATE_PUBSUB_URL must be empty or redis://..., got {url!r}")


@lru_cache
def get_pubsub() -> PubSub:
    """The process's bus, chosen by ``HRGATE_PUBSUB_URL``."""
    return build_pubsub(get_settings().pubsub_url)
