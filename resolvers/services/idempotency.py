"""Idempotency keys: claim a key for a request, store its answer, replay it (``gateway.idempotency`` is the HTTP edge).

Stripe's semantics: a key belongs to one principal; the first request with it runs and its answer is stored
for 24 h; a retry with the same key and the same request gets that answer again without running anything; the
same key with another request is refused; a retry while the first is still running is told so (HTTP 409).
A claim that was never completed (the process died mid-request) counts as abandoned after
``IN_FLIGHT_STALE_AFTER`` and may be taken over by a retry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from gateway.db import unit_of_work
from gateway.models import IdempotencyKey
from gateway.models.base import utcnow

KEY_TTL = timedelta(hours=24)
IN_FLIGHT_STALE_AFTER = timedelta(minutes=5)
"""Far longer than any mutation runs (uploads, the only long requests, are not keyed)."""

Outcome = Literal["run", "replay", "reused", "in_flight"]


@dataclass(frozen=True)
class Claim:
    outcome: Outcome
    key_id: int | None = None
    status: int | None = None
    content_type: str | None = None
    body: bytes | None = None


async def claim_key(principal: str, key: str, request_hash: str, *, now: datetime | None = None) -> Claim:
    """``run`` (this request owns the key now), ``replay`` (with the stored answer), ``reused`` or ``in_flight``."""
    now = now or utcnow()
    try:
        async with unit_of_work() as uow:
            row = IdempotencyKey(
                principal=principal, key=key, request_hash=request_hash, expires_at=now + KEY_TTL, created_at=now
            )
            uow.session.add(row)
            await uow.session.flush()
            return Claim("run", key_id=row.id)
    except IntegrityError:
        pass  # the key exists: decide from the stored row
    async with unit_of_work() as uow:
        existing = (
            await uow.session.exec(
                select(IdempotencyKey).where(col(IdempotencyKey.principal) == principal, col(IdempotencyKey.key) == key)
            )
        ).one_or_none()
        if existing is None:  # expired and purged in between: claim again
            return await claim_key(principal, key, request_hash, now=now)
        expired = existing.expires_at <= now
        abandoned = not existing.completed and existing.updated_at <= now - IN_FLIGHT_STALE_AFTER
        if not (expired or abandoned):
            if existing.request_hash != request_hash:
                return Claim("reused")
            if not existing.completed:
                return Claim("in_flight")
            return Claim(
                "replay",
                key_id=existing.id,
                status=existing.response_status,
                content_type=existing.response_content_type,
                body=existing.response_body,
            )
        taken = await uow.session.exec(
            sa.update(IdempotencyKey)
            .where(col(IdempotencyKey.id) == existing.id, col(IdempotencyKey.updated_at) == existing.updated_at)
            .values(
                request_hash=request_hash,
                completed=False,
                response_status=None,
                response_content_type=None,
                response_body=None,
                created_at=now,
                expires_at=now + KEY_TTL,
                updated_at=now,
            )
        )
        return Claim("run", key_id=existing.id) if taken.rowcount == 1 else Claim("in_flight")


async def complete_key(key_id: int, *, status: int, content_type: str | None, body: bytes) -> None:
    """Store the answer to replay."""
    async with unit_of_work() as uow:
        await uow.session.exec(
            sa.update(IdempotencyKey)
            .where(col(IdempotencyKey.id) == key_id)
            .values(completed=True, response_status=status, response_content_type=content_type, response_body=body)
        )


async def release_key(key_id: int) -> None:
    """Forget a claim whose request failed without an answer worth replaying (a server error): a retry runs again."""
    async with unit_of_work() as uow:
        await uow.session.exec(sa.delete(IdempotencyKey).where(col(IdempotencyKey.id) == key_id))


async def purge_expired_keys(*, now: datetime | None = None) -> int:
    """Delete keys past their 24 h (run by the retention job); returns how many."""
    async with unit_of_work() as uow:
        result = await uow.session.exec(
            sa.delete(IdempotencyKey).where(col(IdempotencyKey.expires_at) <= (now or utcnow()))
        )
        return int(result.rowcount or 0)
