"""Publish/subscribe for live status: in-process by default, Redis when several gateways share events.

Publishers call ``publish`` only after their transaction committed; subscribers get
plain JSON-able dicts. The in-process bus accepts publishes from any thread (the
embedded Dramatiq worker runs actors in threads) and delivers them on each
subscriber's own event loop.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import os
import socket
import threading
import weakref
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from functools import lru_cache
from typing import Any, Protocol

from gateway.settings import get_settings

logger = logging.getLogger(__name__)

Message = dict[str, Any]
DEFAULT_PREFIX = "hrgate:"


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


class PubSubUnavailable(Exception):
    """The bus lost (or could not reach) its server: events may have been missed since.

    Raised by ``subscribe`` on entry when the server cannot be reached, and by the message iterator of an open
    subscription when the connection drops. A subscriber should tell its client to reconnect, which re-reads
    the current state: nothing replays the events published during the outage."""

    code = "PUBSUB_UNAVAILABLE"


_KEEPALIVE_OPTIONS = {
    option: value
    for name, value in (("TCP_KEEPIDLE", 30), ("TCP_KEEPINTVL", 10), ("TCP_KEEPCNT", 3))
    if (option := getattr(socket, name, None)) is not None
}

_OUTAGE = object()
"""Put into a subscriber's queue when the shared connection dropped: its iterator raises ``PubSubUnavailable``."""


class _RedisDispatcher:
    """One Redis connection in subscribed mode for one event loop, shared by every local subscriber.

    ``SUBSCRIBE`` goes out when a channel's first local subscriber arrives and ``UNSUBSCRIBE`` when its last
    leaves; one reader task decodes each message once and puts the same dict into every local subscriber's
    queue (subscribers must not mutate it). When the connection drops, every open subscriber is told
    (``PubSubUnavailable``) and the next ``subscribe`` connects afresh.
    """

    def __init__(self, url: str, prefix: str, connect_timeout: float, client_name: str) -> None:
        self.url = url
        self.client_name = client_name
        self.prefix = prefix
        self.connect_timeout = connect_timeout
        self.connection: Any = None
        self.reader: asyncio.Task | None = None
        self.local: dict[str, set[asyncio.Queue]] = {}
        """Redis channel name → the queues of this loop's subscribers."""
        self.confirmations: dict[bytes, deque[asyncio.Future]] = {}
        """SUBSCRIBE commands sent and not yet confirmed, per channel, in the order Redis will answer them."""
        self.subscribed: dict[str, asyncio.Future] = {}
        """Per channel with local subscribers: done once Redis confirmed the subscription."""
        self._connecting: asyncio.Lock = asyncio.Lock()
        self.connections_opened = 0
        """How many connections this dispatcher has opened (one, unless the server went away)."""

    async def _ensure_connected(self) -> Any:
        async with self._connecting:
            if self.connection is not None:
                return self.connection
            from redis.asyncio import ConnectionPool
            from redis.exceptions import RedisError

            # RESP2: pub/sub messages come back from read_response (RESP3 would route them to a push handler).
            # TCP keepalive: a server that vanished without closing the connection is noticed within about a minute.
            pool = ConnectionPool.from_url(
                self.url,
                socket_connect_timeout=self.connect_timeout,
                protocol=2,
                client_name=self.client_name,
                socket_keepalive=True,
                socket_keepalive_options=_KEEPALIVE_OPTIONS,
            )
            connection = pool.make_connection()
            try:
                await connection.connect()
            except (RedisError, OSError) as error:
                raise PubSubUnavailable(f"the event bus is unreachable ({type(error).__name__})") from None
            self.connection = connection
            self.connections_opened += 1
            self.reader = asyncio.create_task(self._read(connection), name="hrgate-pubsub-reader")
            return connection

    async def add(self, channel: str, queue: asyncio.Queue) -> None:
        """Registers ``queue`` for ``channel``; returns once Redis confirmed the subscription (events published
        from then on reach the queue)."""
        name = self.prefix + channel
        subscribers = self.local.get(name)
        if subscribers is not None:
            subscribers.add(queue)
            try:  # the channel's first subscriber may still be waiting for Redis to confirm
                await asyncio.shield(self.subscribed[name])
            except Exception:
                self._drop(name, queue)
                raise
            return
        self.local[name] = {queue}
        confirmed = self.subscribed[name] = asyncio.get_running_loop().create_future()
        try:
            connection = await self._ensure_connected()
            self.confirmations.setdefault(name.encode(), deque()).append(confirmed)
            await connection.send_command("SUBSCRIBE", name)
            await asyncio.wait_for(asyncio.shield(confirmed), self.connect_timeout)
        except PubSubUnavailable as error:
            if not confirmed.done():
                confirmed.set_exception(error)
            self._drop(name, queue)
            raise
        except Exception as error:
            unavailable = PubSubUnavailable(f"the event bus did not confirm the subscription ({type(error).__name__})")
            if not confirmed.done():
                confirmed.set_exception(unavailable)
            self._drop(name, queue)
            await self._lost(self.connection)
            raise unavailable from None

    async def remove(self, channel: str, queue: asyncio.Queue) -> None:
        name = self.prefix + channel
        if not self._drop(name, queue) or self.connection is None:
            return
        with suppress(Exception):  # a dropped connection forgets its subscriptions anyway
            await self.connection.send_command("UNSUBSCRIBE", name)

    def _drop(self, name: str, queue: asyncio.Queue) -> bool:
        """Forgets ``queue``; True when it was the channel's last local subscriber."""
        subscribers = self.local.get(name)
        if subscribers is None:
            return False
        subscribers.discard(queue)
        if subscribers:
            return False
        del self.local[name]
        ready = self.subscribed.pop(name, None)
        if ready is not None and ready.done() and not ready.cancelled():
            ready.exception()  # retrieved: no "exception never retrieved" warning
        return True

    async def _read(self, connection: Any) -> None:
        try:
            while True:
                response = await connection.read_response(timeout=math.inf)
                kind = response[0]
                if kind == b"message":
                    subscribers = self.local.get(response[1].decode())
                    if subscribers:
                        message = json.loads(response[2])
                        for queue in subscribers:
                            queue.put_nowait(message)
                elif kind == b"subscribe":
                    pending = self.confirmations.get(response[1])
                    if pending:
                        future = pending.popleft()
                        if not future.done():
                            future.set_result(None)
                        if not pending:
                            del self.confirmations[response[1]]
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - whatever broke the connection, subscribers must hear of it
            logger.warning("pub/sub connection lost: %s", type(error).__name__)
            await self._lost(connection)

    async def _lost(self, connection: Any) -> None:
        """Tell every subscriber of ``connection`` that events may have been missed; the next subscribe reconnects."""
        if connection is None or connection is not self.connection:
            return
        self.connection = None
        reader, self.reader = self.reader, None
        for subscribers in self.local.values():
            for queue in subscribers:
                queue.put_nowait(_OUTAGE)
        self.local.clear()
        for ready in self.subscribed.values():
            if not ready.done():
                ready.set_exception(PubSubUnavailable("the event bus connection was lost"))
            ready.exception()
        self.subscribed.clear()
        for pending in self.confirmations.values():
            for future in pending:
                if not future.done():
                    future.set_exception(PubSubUnavailable("the event bus connection was lost"))
        self.confirmations.clear()
        if reader is not None and reader is not asyncio.current_task():
            reader.cancel()
        with suppress(Exception):
            await connection.disconnect()

    async def close(self) -> None:
        connection, self.connection = self.connection, None
        if self.reader is not None:
            self.reader.cancel()
            with suppress(asyncio.CancelledError, Exception):
                await self.reader
            self.reader = None
        if connection is not None:
            with suppress(Exception):
                await connection.disconnect()


class RedisPubSub:
    """Redis channels: an event published by any gateway or worker reaches subscribers on every gateway.

    All subscriptions of one process (one event loop) share one Redis connection (``_RedisDispatcher``);
    channel names carry ``prefix`` (``HRGATE_PUBSUB_PREFIX``), so deployments sharing a Redis server stay apart.
    """

    def __init__(
        self,
        url: str,
        prefix: str = DEFAULT_PREFIX,
        *,
        connect_timeout: float = 5.0,
        client_name: str | None = None,
    ) -> None:
        self.url = url
        self.client_name = client_name or f"{prefix}pubsub-{os.getpid()}"
        """The shared connection's name in Redis ``CLIENT LIST``: one per gateway process, under its prefix."""
        self.prefix = prefix
        self.connect_timeout = connect_timeout
        self._dispatchers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _RedisDispatcher] = (
            weakref.WeakKeyDictionary()
        )

    def dispatcher(self) -> _RedisDispatcher:
        """This event loop's shared subscriber connection (the gateway has one loop; tests may run several)."""
        loop = asyncio.get_running_loop()
        dispatcher = self._dispatchers.get(loop)
        if dispatcher is None:
            dispatcher = self._dispatchers[loop] = _RedisDispatcher(
                self.url, self.prefix, self.connect_timeout, self.client_name
            )
        return dispatcher

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
        """Subscribed on entry (raises ``PubSubUnavailable`` when Redis cannot be reached); the iterator raises
        ``PubSubUnavailable`` when the shared connection drops."""
        dispatcher = self.dispatcher()
        queue: asyncio.Queue = asyncio.Queue()
        await dispatcher.add(channel, queue)

        async def messages() -> AsyncIterator[Message]:
            while True:
                message = await queue.get()
                if message is _OUTAGE:
                    raise PubSubUnavailable("the event bus connection was lost; events may have been missed")
                yield message

        try:
            yield messages()
        finally:
            await dispatcher.remove(channel, queue)

    async def close(self) -> None:
        """Closes this loop's shared connection (at shutdown)."""
        loop = asyncio.get_running_loop()
        dispatcher = self._dispatchers.pop(loop, None)
        if dispatcher is not None:
            await dispatcher.close()


def build_pubsub(url: str, prefix: str = DEFAULT_PREFIX) -> PubSub:
    if not url:
        return InProcessPubSub()
    if url.startswith(("redis://", "rediss://")):
        return RedisPubSub(url, prefix)
    raise ValueError(f"HRGATE_PUBSUB_URL must be empty or redis://..., got {url!r}")


@lru_cache
def get_pubsub() -> PubSub:
    """The process's bus, chosen by ``HRGATE_PUBSUB_URL``, its channels named under ``HRGATE_PUBSUB_PREFIX``."""
    settings = get_settings()
    return build_pubsub(settings.pubsub_url, settings.pubsub_prefix)


async def close_pubsub() -> None:
    """Closes this event loop's shared subscriber connection, if the bus has one (gateway shutdown)."""
    close = getattr(get_pubsub(), "close", None)
    if close is not None:
        await close()
