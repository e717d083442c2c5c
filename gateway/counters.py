"""The counters behind the gateway's limits: in the process (embedded) or in Redis (shared by replicas).

Every limit (requests per principal, websocket connections per address, failed client secrets)
needs the same few operations; keeping them behind one small interface lets the embedded
gateway count in memory while replicas behind a load balancer share one count in Redis, so N
replicas do not multiply a limit by N. Redis operations are single Lua scripts (atomic) timed by
the Redis server's clock, so replicas with skewed clocks agree.

When Redis cannot be reached the limits fail open (the request is served and an error logged):
an outage of the counter store must not take the gateway down with it.
"""

from __future__ import annotations

import logging
import math
import time
import uuid
from collections import deque
from collections.abc import Callable
from typing import Protocol

import redis.asyncio as aioredis
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


class LimitCounters(Protocol):
    async def hit(self, key: str, limit: int, window_seconds: float) -> float | None:
        """Count one event in a sliding window; None when allowed, else seconds until one would be."""

    async def add_failure(self, key: str, forget_after_seconds: float) -> int:
        """Count one failure (forgotten after that long without another); the count so far."""

    async def lock(self, key: str, seconds: float) -> None:
        """Lock ``key`` for ``seconds``."""

    async def locked_for(self, key: str) -> float:
        """Seconds the lock on ``key`` still holds (0 when not locked)."""

    async def reset(self, key: str) -> None:
        """Forget the failures counted under ``key``."""

    async def acquire(self, key: str, limit: int, hold_seconds: float) -> bool:
        """Take one of ``limit`` slots (an open connection); False when all are taken."""

    async def release(self, key: str) -> None:
        """Give back a slot taken by ``acquire``."""


class MemoryCounters:
    """Counters of one gateway process (the embedded default)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, max_keys: int = 100_000) -> None:
        self.clock = clock
        self.max_keys = max_keys
        self._windows: dict[str, deque[float]] = {}
        self._failures: dict[str, tuple[int, float]] = {}
        self._locks: dict[str, float] = {}
        self._slots: dict[str, int] = {}

    async def hit(self, key: str, limit: int, window_seconds: float) -> float | None:
        now = self.clock()
        hits = self._windows.setdefault(key, deque())
        while hits and hits[0] <= now - window_seconds:
            hits.popleft()
        if len(hits) >= limit:
            return max(0.0, hits[0] + window_seconds - now)
        hits.append(now)
        if len(self._windows) > self.max_keys:  # forget idle principals rather than grow without bound
            self._windows = {k: v for k, v in self._windows.items() if v and v[-1] > now - window_seconds}
        return None

    async def add_failure(self, key: str, forget_after_seconds: float) -> int:
        now = self.clock()
        count, forget_at = self._failures.get(key, (0, now))
        count = count + 1 if forget_at > now else 1
        self._failures[key] = (count, now + forget_after_seconds)
        if len(self._failures) > self.max_keys:
            self._failures = {k: v for k, v in self._failures.items() if v[1] > now}
        return count

    async def lock(self, key: str, seconds: float) -> None:
        now = self.clock()
        self._locks[key] = now + seconds
        if len(self._locks) > self.max_keys:
            self._locks = {k: until for k, until in self._locks.items() if until > now}

    async def locked_for(self, key: str) -> float:
        return max(0.0, self._locks.get(key, 0.0) - self.clock())

    async def reset(self, key: str) -> None:
        self._failures.pop(key, None)

    async def acquire(self, key: str, limit: int, hold_seconds: float) -> bool:
        if self._slots.get(key, 0) >= limit:
            return False
        self._slots[key] = self._slots.get(key, 0) + 1
        return True

    async def release(self, key: str) -> None:
        remaining = self._slots.get(key, 0) - 1
        if remaining > 0:
            self._slots[key] = remaining
        else:
            self._slots.pop(key, None)


_HIT = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) + tonumber(now_parts[2]) / 1000000
local window, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return tostring(tonumber(oldest[2]) + window - now)
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], math.ceil(window * 1000))
return false
"""

_ADD_FAILURE = """
local count = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return count
"""

_ACQUIRE = """
local count = redis.call('INCR', KEYS[1])
if count > tonumber(ARGV[1]) then
  redis.call('DECR', KEYS[1])
  return 0
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
"""

_RELEASE = """
if redis.call('DECR', KEYS[1]) <= 0 then redis.call('DEL', KEYS[1]) end
return 1
"""


class RedisCounters:
    """Counters shared by every gateway replica pointing at the same Redis (and key prefix).

    A connection slot's key expires ``hold_seconds`` after the last connection was opened, so
    slots of a replica that died without releasing them are given back eventually.
    """

    def __init__(self, url: str, prefix: str = "hrgate:limits:") -> None:
        self.prefix = prefix
        self.redis = aioredis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._hit = self.redis.register_script(_HIT)
        self._add_failure = self.redis.register_script(_ADD_FAILURE)
        self._acquire = self.redis.register_script(_ACQUIRE)
        self._release = self.redis.register_script(_RELEASE)

    def _key(self, key: str) -> str:
        return self.prefix + key

    async def hit(self, key: str, limit: int, window_seconds: float) -> float | None:
        try:
            wait = await self._hit(keys=[self._key(key)], args=[window_seconds, limit, uuid.uuid4().hex])
        except RedisError as error:
            logger.error("rate-limit counters unreachable (request allowed): %s", error)
            return None
        return None if wait is None else max(0.0, float(wait))

    async def add_failure(self, key: str, forget_after_seconds: float) -> int:
        try:
            ttl_ms = math.ceil(forget_after_seconds * 1000)
            return int(await self._add_failure(keys=[self._key(key)], args=[ttl_ms]))
        except RedisError as error:
            logger.error("rate-limit counters unreachable (failure not counted): %s", error)
            return 0

    async def lock(self, key: str, seconds: float) -> None:
        try:
            await self.redis.set(self._key(key), b"1", px=max(1, math.ceil(seconds * 1000)))
        except RedisError as error:
            logger.error("rate-limit counters unreachable (lock not set): %s", error)

    async def locked_for(self, key: str) -> float:
        try:
            milliseconds = await self.redis.pttl(self._key(key))
        except RedisError as error:
            logger.error("rate-limit counters unreachable (lock not checked): %s", error)
            return 0.0
        return max(0, milliseconds) / 1000

    async def reset(self, key: str) -> None:
        try:
            await self.redis.delete(self._key(key))
        except RedisError as error:
            logger.error("rate-limit counters unreachable (failures not reset): %s", error)

    async def acquire(self, key: str, limit: int, hold_seconds: float) -> bool:
        try:
            ttl_ms = math.ceil(hold_seconds * 1000)
            return bool(await self._acquire(keys=[self._key(key)], args=[limit, ttl_ms]))
        except RedisError as error:
            logger.error("rate-limit counters unreachable (connection allowed): %s", error)
            return True

    async def release(self, key: str) -> None:
        try:
            await self._release(keys=[self._key(key)])
        except RedisError as error:
            logger.error("rate-limit counters unreachable (slot not released): %s", error)

    async def close(self) -> None:
        await self.redis.aclose()


def build_counters(url: str, prefix: str) -> LimitCounters:
    """Redis counters when a URL is configured (production), else counters in this process."""
    return RedisCounters(url, prefix) if url else MemoryCounters()
