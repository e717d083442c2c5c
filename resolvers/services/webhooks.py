"""Webhook endpoints and the signed delivery of events to them (Standard Webhooks).

An endpoint has a URL, the event types it wants, and scopes like an ERP connector's: its payloads carry
only what those scopes may read (``readable``, resolved by the access policy when the endpoint is saved).
Each event makes one delivery per interested endpoint; a delivery is attempted with exponential backoff
until it succeeds or three days have passed, and every attempt is logged (status code, duration, error).

Signing follows https://www.standardwebhooks.com: ``webhook-id`` (the event's, the same on every retry and
replay, so a receiver dedupes by it), ``webhook-timestamp`` (seconds, at the attempt) and
``webhook-signature`` (``v1,<base64 HMAC-SHA256 of "id.timestamp.body">``, once per valid secret: during a
rotation's overlap both the new and the previous secret sign), computed by the reference
``standardwebhooks`` library.

Deliveries are claimed with a compare-and-set (``pending`` → ``sending`` until ``locked_until``): a
redelivered job whose delivery is taken or done does nothing, and a worker killed mid-request leaves its
claim to expire, after which the sweeper sends the delivery again (so a receiver may see one event twice,
never zero times).
"""

from __future__ import annotations

import asyncio
import base64
import ipaddress
import json
import random
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, Field, field_validator
from sqlalchemy import func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from standardwebhooks import Webhook

from gateway.db import unit_of_work
from gateway.metrics import record_webhook_attempt
from gateway.models import DomainEvent, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from gateway.models.base import utcnow
from gateway.models.events import DomainEventType, WebhookDeliveryStatus
from gateway.oauth import SCOPES
from gateway.settings import Settings, get_settings
from resolvers.errors import DomainError, ErrorCode, FieldError, not_found, validate_draft
from resolvers.services.audit import Actor, record_audit
from resolvers.services.outbox import SHAPES, event_message, global_id, message_id, record_event, send_after_commit

DELIVER_ACTOR = "webhook_deliver"
SECRET_PREFIX = "whsec_"
MAX_REPLAY_EVENTS = 10_000
"""A range replay of more events than this is refused (narrow the range)."""
LOCK_MARGIN_SECONDS = 5.0
USER_AGENT = "hrgate-webhooks/1"


class EndpointDraft(BaseModel):
    url: str = Field(max_length=2000)
    description: str = Field(default="", max_length=500)
    event_types: list[DomainEventType] = Field(default_factory=list, max_length=len(DomainEventType))
    scopes: list[str] = Field(default_factory=list, max_length=len(SCOPES))

    @field_validator("url")
    @classmethod
    def _http_url(cls, url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http:// or https:// URL with a host")
        if parts.username or parts.password:
            raise ValueError("must not carry credentials")
        if get_settings().is_production and parts.scheme != "https":
            raise ValueError("must be https:// in production")
        return url

    @field_validator("scopes")
    @classmethod
    def _known_scopes(cls, scopes: list[str]) -> list[str]:
        unknown = sorted(set(scopes) - set(SCOPES))
        if unknown:
            raise ValueError(f"unknown scope(s) {', '.join(unknown)}; known: {', '.join(SCOPES)}")
        return sorted(set(scopes))


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _check_types_readable(event_types: list[DomainEventType], readable: list[str]) -> None:
    errors = [
        FieldError(
            f"eventTypes.{position}",
            f"{event_type.value} needs {SHAPES[event_type].resource} read rights the endpoint's scopes lack",
            ErrorCode.EVENT_TYPE_NOT_READABLE,
        )
        for position, event_type in enumerate(event_types)
        if SHAPES[event_type].resource not in readable
    ]
    if errors:
        raise DomainError(*errors)


# ---- addresses -----------------------------------------------------------------------------------------------


class AddressRefused(Exception):
    """The URL's host is, or resolves to, an address deliveries may not reach."""


def _forbidden_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


async def check_address(url: str, settings: Settings | None = None) -> None:
    """Refuse loopback, private, link-local, shared and reserved destinations unless the settings allow them.

    Checked when an endpoint is saved and again before every attempt (a name may be re-pointed later)."""
    settings = settings or get_settings()
    if settings.resolved_webhook_allow_private_addresses:
        return
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, parts.port or 443, type=0)
    except OSError as error:
        raise AddressRefused(f"cannot resolve {host}: {error}") from None
    refused = sorted({info[4][0] for info in infos if _forbidden_address(info[4][0])})
    if refused or not infos:
        raise AddressRefused(f"{host} resolves to a non-public address ({', '.join(refused)})")


async def _checked_address(url: str) -> None:
    try:
        await check_address(url)
    except AddressRefused as refusal:
        raise DomainError.single("url", str(refusal), ErrorCode.ADDRESS_NOT_ALLOWED) from None


# ---- endpoints ------------------------------------------------------------------------------------------------


async def load_endpoint(endpoint_id: int, *, session: AsyncSession, field: str = "id") -> WebhookEndpoint:
    endpoint = await session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise not_found(field, "webhook endpoint")
    if endpoint.deleted_at is not None:
        raise DomainError.single(field, "this webhook endpoint was deleted", ErrorCode.ENDPOINT_DELETED)
    return endpoint


async def create_endpoint(
    data: dict[str, Any], readable: list[str], *, session: AsyncSession, actor: Actor
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its secret (returned only now: shown once)."""
    draft = validate_draft(EndpointDraft, data)
    _check_types_readable(draft.event_types, readable)
    await _checked_address(draft.url)
    secret = new_secret()
    endpoint = WebhookEndpoint(
        url=draft.url,
        description=draft.description,
        event_types=[event_type.value for event_type in draft.event_types],
        scopes=draft.scopes,
        readable=sorted(readable),
        secret=secret,
        created_by=actor.name,
    )
    session.add(endpoint)
    await session.flush()
    record_audit(
        session=session,
        actor=actor,
        action="webhook_endpoint.create",
        entity_type="WebhookEndpoint",
        entity_id=endpoint.id,
        details={"url": draft.url},
    )
    return endpoint, secret


async def update_endpoint(
    endpoint_id: int, changes: dict[str, Any], readable: list[str] | None, *, session: AsyncSession, actor: Actor
) -> WebhookEndpoint:
    """Change the URL, description, event types or scopes (``readable``: what new scopes may read), or
    ``enabled``: true re-enables a disabled endpoint and clears its failure streak."""
    endpoint = await load_endpoint(endpoint_id, session=session)
    merged = {
        "url": endpoint.url,
        "description": endpoint.description,
        "event_types": endpoint.event_types,
        "scopes": endpoint.scopes,
    } | {key: value for key, value in changes.items() if key != "enabled" and value is not None}
    draft = validate_draft(EndpointDraft, merged)
    readable = readable if readable is not None else endpoint.readable
    _check_types_readable(draft.event_types, readable)
    if draft.url != endpoint.url:
        await _checked_address(draft.url)
    endpoint.url, endpoint.description = draft.url, draft.description
    endpoint.event_types = [event_type.value for event_type in draft.event_types]
    endpoint.scopes, endpoint.readable = draft.scopes, sorted(readable)
    enabled = changes.get("enabled")
    if enabled is True and not endpoint.enabled:
        endpoint.enabled, endpoint.disabled_reason, endpoint.disabled_at, endpoint.failure_streak = True, None, None, 0
    elif enabled is False and endpoint.enabled:
        endpoint.enabled, endpoint.disabled_reason, endpoint.disabled_at = False, f"disabled by {actor.name}", utcnow()
    session.add(endpoint)
    record_audit(
        session=session,
        actor=actor,
        action="webhook_endpoint.update",
        entity_type="WebhookEndpoint",
        entity_id=endpoint.id,
        details={"url": endpoint.url},
    )
    return endpoint


async def delete_endpoint(endpoint_id: int, *, session: AsyncSession, actor: Actor) -> int:
    """Soft delete: the delivery log stays readable; waiting deliveries fail; nothing is sent to it again."""
    endpoint = await load_endpoint(endpoint_id, session=session)
    now = utcnow()
    endpoint.deleted_at, endpoint.enabled = now, False
    session.add(endpoint)
    await session.exec(
        update(WebhookDelivery)
        .where(
            col(WebhookDelivery.endpoint_id) == endpoint_id,
            col(WebhookDelivery.status).in_([WebhookDeliveryStatus.PENDING, WebhookDeliveryStatus.SENDING]),
        )
        .values(status=WebhookDeliveryStatus.FAILED, last_error="endpoint deleted", updated_at=now)
    )
    record_audit(
        session=session,
        actor=actor,
        action="webhook_endpoint.delete",
        entity_type="WebhookEndpoint",
        entity_id=endpoint_id,
        details={"url": endpoint.url},
    )
    return endpoint_id


async def rotate_secret(
    endpoint_id: int, overlap_hours: float, *, session: AsyncSession, actor: Actor
) -> tuple[WebhookEndpoint, str]:
    """A new secret (shown once); the previous one keeps signing too for ``overlap_hours`` (0 to 168)."""
    if not 0 <= overlap_hours <= 168:  # also refuses NaN
        raise DomainError.single("overlapHours", "must be between 0 and 168 hours", ErrorCode.INVALID)
    overlap = timedelta(hours=overlap_hours)
    endpoint = await load_endpoint(endpoint_id, session=session)
    secret = new_secret()
    endpoint.previous_secret, endpoint.previous_secret_expires_at = endpoint.secret, utcnow() + overlap
    endpoint.secret = secret
    session.add(endpoint)
    record_audit(
        session=session,
        actor=actor,
        action="webhook_endpoint.rotate_secret",
        entity_type="WebhookEndpoint",
        entity_id=endpoint_id,
        details={},
    )
    return endpoint, secret


def signing_secrets(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    secrets_now = [endpoint.secret]
    if endpoint.previous_secret and endpoint.previous_secret_expires_at and endpoint.previous_secret_expires_at > now:
        secrets_now.append(endpoint.previous_secret)
    return secrets_now


def signed_headers(endpoint: WebhookEndpoint, msg_id: str, body: str, now: datetime) -> dict[str, str]:
    """The Standard Webhooks headers for one attempt (one ``v1`` signature per valid secret)."""
    timestamp = datetime.fromtimestamp(int(now.timestamp()), UTC)
    signatures = " ".join(Webhook(secret).sign(msg_id, timestamp, body) for secret in signing_secrets(endpoint, now))
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signatures,
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }


# ---- deliveries ---------------------------------------------------------------------------------------------


def wants(endpoint: WebhookEndpoint, event_type: DomainEventType) -> bool:
    subscribed = not endpoint.event_types or event_type.value in endpoint.event_types
    return subscribed and SHAPES[event_type].resource in endpoint.readable


async def create_deliveries(row: DomainEvent, *, session: AsyncSession) -> list[int]:
    """One delivery per enabled endpoint that wants the event (idempotent); the ids still to attempt."""
    endpoints = (
        await session.exec(
            select(WebhookEndpoint).where(
                col(WebhookEndpoint.enabled).is_(True), col(WebhookEndpoint.deleted_at).is_(None)
            )
        )
    ).all()
    existing = {
        delivery.endpoint_id: delivery
        for delivery in (
            await session.exec(
                select(WebhookDelivery).where(col(WebhookDelivery.event_id) == row.id, col(WebhookDelivery.replay) == 0)
            )
        ).all()
    }
    due: list[WebhookDelivery] = []
    for endpoint in endpoints:
        if endpoint.id in existing:
            if existing[endpoint.id].status is WebhookDeliveryStatus.PENDING:
                due.append(existing[endpoint.id])
        elif wants(endpoint, row.type):
            delivery = WebhookDelivery(endpoint_id=endpoint.id, event_id=row.id, next_attempt_at=utcnow())
            session.add(delivery)
            due.append(delivery)
    await session.flush()
    return [delivery.id for delivery in due if delivery.id is not None]


async def _load_delivery(delivery_id: int, *, session: AsyncSession) -> WebhookDelivery:
    delivery = await session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        raise not_found("deliveryId", "webhook delivery")
    return delivery


async def _next_replay(endpoint_id: int, event_ids: list[int], *, session: AsyncSession) -> dict[int, int]:
    rows = (
        await session.exec(
            select(col(WebhookDelivery.event_id), func.max(WebhookDelivery.replay))
            .where(col(WebhookDelivery.endpoint_id) == endpoint_id, col(WebhookDelivery.event_id).in_(event_ids))
            .group_by(col(WebhookDelivery.event_id))
        )
    ).all()
    latest = dict(rows)
    return {event_id: latest.get(event_id, -1) + 1 for event_id in event_ids}


def _replayable(endpoint: WebhookEndpoint, field: str) -> None:
    if not endpoint.enabled:
        raise DomainError.single(
            field, "this webhook endpoint is disabled: enable it first", ErrorCode.ENDPOINT_DISABLED
        )


async def replay_delivery(delivery_id: int, *, session: AsyncSession, actor: Actor) -> WebhookDelivery:
    """Send one delivery's event to its endpoint again (a new delivery with its own attempts)."""
    original = await _load_delivery(delivery_id, session=session)
    endpoint = await load_endpoint(original.endpoint_id, session=session, field="deliveryId")
    _replayable(endpoint, "deliveryId")
    replay = (await _next_replay(endpoint.id, [original.event_id], session=session))[original.event_id]
    delivery = WebhookDelivery(
        endpoint_id=endpoint.id,
        event_id=original.event_id,
        replay=replay,
        next_attempt_at=utcnow(),
        requested_by=actor.name,
    )
    session.add(delivery)
    await session.flush()
    send_after_commit(session, DELIVER_ACTOR, delivery.id)
    record_audit(
        session=session,
        actor=actor,
        action="webhook_delivery.replay",
        entity_type="WebhookDelivery",
        entity_id=delivery_id,
        details={"replay": delivery.id},
    )
    return delivery


async def replay_range(
    endpoint_id: int, since: datetime, until: datetime, *, session: AsyncSession, actor: Actor
) -> int:
    """Send again every event of ``[since, until)`` the endpoint wants; the number of deliveries made."""
    if until <= since:
        raise DomainError.single("until", "must be after since", ErrorCode.INVALID)
    endpoint = await load_endpoint(endpoint_id, session=session, field="endpointId")
    _replayable(endpoint, "endpointId")
    wanted = [event_type for event_type in DomainEventType if wants(endpoint, event_type)]
    rows = (
        await session.exec(
            select(col(DomainEvent.id))
            .where(
                col(DomainEvent.created_at) >= since,
                col(DomainEvent.created_at) < until,
                col(DomainEvent.type).in_(wanted),
            )
            .order_by(col(DomainEvent.id))
            .limit(MAX_REPLAY_EVENTS + 1)
        )
    ).all()
    if len(rows) > MAX_REPLAY_EVENTS:
        raise DomainError.single(
            "since", f"more than {MAX_REPLAY_EVENTS} events in this range: narrow it", ErrorCode.TOO_MANY_ROWS
        )
    event_ids = list(rows)
    replays = await _next_replay(endpoint_id, event_ids, session=session) if event_ids else {}
    now = utcnow()
    deliveries = [
        WebhookDelivery(
            endpoint_id=endpoint_id,
            event_id=event_id,
            replay=replays[event_id],
            next_attempt_at=now,
            requested_by=actor.name,
        )
        for event_id in event_ids
    ]
    session.add_all(deliveries)
    await session.flush()
    for delivery in deliveries:
        send_after_commit(session, DELIVER_ACTOR, delivery.id)
    record_audit(
        session=session,
        actor=actor,
        action="webhook_endpoint.replay",
        entity_type="WebhookEndpoint",
        entity_id=endpoint_id,
        details={"since": since.isoformat(), "until": until.isoformat(), "deliveries": len(deliveries)},
    )
    return len(deliveries)


# ---- one attempt ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AttemptResult:
    status_code: int | None
    duration_ms: int
    error: str | None

    @property
    def succeeded(self) -> bool:
        return self.error is None


def claim_seconds(settings: Settings) -> float:
    """How long a claim holds: the attempt's timeout twice over (address check and request) plus a margin."""
    return 2 * settings.webhook_timeout_seconds + LOCK_MARGIN_SECONDS


def retry_delay(attempts: int, settings: Settings) -> float:
    """Seconds before attempt ``attempts + 1``: base × 4^(attempts − 1), capped, plus up to 10 % jitter."""
    delay = min(
        settings.webhook_retry_base_seconds * 4 ** max(attempts - 1, 0), settings.webhook_retry_max_delay_seconds
    )
    return delay * (1 + random.uniform(0, 0.1))


async def _claim(delivery_id: int, settings: Settings) -> bool:
    now = utcnow()
    pending = (col(WebhookDelivery.status) == WebhookDeliveryStatus.PENDING) & (
        col(WebhookDelivery.next_attempt_at).is_(None)
        | (col(WebhookDelivery.next_attempt_at) <= now + timedelta(seconds=1))
    )
    abandoned = (col(WebhookDelivery.status) == WebhookDeliveryStatus.SENDING) & (
        col(WebhookDelivery.locked_until) < now
    )
    async with unit_of_work() as uow:
        result = await uow.session.exec(
            update(WebhookDelivery)
            .where(col(WebhookDelivery.id) == delivery_id, pending | abandoned)
            .values(
                status=WebhookDeliveryStatus.SENDING,
                attempts=col(WebhookDelivery.attempts) + 1,
                locked_until=now + timedelta(seconds=claim_seconds(settings)),
                updated_at=now,
            )
        )
        return result.rowcount == 1


async def _post(url: str, body: str, headers: dict[str, str], settings: Settings) -> AttemptResult:
    started = time.perf_counter()

    def elapsed() -> int:
        return round((time.perf_counter() - started) * 1000)

    try:
        await check_address(url, settings)
        async with httpx.AsyncClient(
            timeout=settings.webhook_timeout_seconds, follow_redirects=False, trust_env=False
        ) as client:
            response = await client.post(url, content=body.encode(), headers=headers)
    except AddressRefused as refusal:
        return AttemptResult(None, elapsed(), f"address refused: {refusal}"[:500])
    except httpx.TimeoutException:
        return AttemptResult(None, elapsed(), f"timeout after {settings.webhook_timeout_seconds:g} s")
    except httpx.HTTPError as error:
        return AttemptResult(None, elapsed(), f"{type(error).__name__}: {error}"[:500])
    if 200 <= response.status_code < 300:
        return AttemptResult(response.status_code, elapsed(), None)
    if response.is_redirect:
        return AttemptResult(response.status_code, elapsed(), f"redirect not followed (HTTP {response.status_code})")
    return AttemptResult(response.status_code, elapsed(), f"HTTP {response.status_code}")


async def attempt_delivery(delivery_id: int, settings: Settings | None = None) -> None:
    """One attempt of one delivery, if it is due and nobody else holds it; the next one is scheduled after
    commit (or the delivery ends: delivered, or failed after the retry window)."""
    settings = settings or get_settings()
    if not await _claim(delivery_id, settings):
        return
    async with unit_of_work() as uow:
        delivery = await _load_delivery(delivery_id, session=uow.session)
        endpoint = await uow.session.get(WebhookEndpoint, delivery.endpoint_id)
        row = await uow.session.get(DomainEvent, delivery.event_id)
    assert endpoint is not None and row is not None  # foreign keys
    message = event_message(row, lambda resource: resource in endpoint.readable)
    if endpoint.deleted_at is not None or not endpoint.enabled:
        await _finish(delivery_id, None, "endpoint deleted" if endpoint.deleted_at else "endpoint disabled", settings)
        return
    if message is None:
        await _finish(delivery_id, None, "the endpoint's scopes no longer read this event", settings)
        return
    body = json.dumps(message, separators=(",", ":"), ensure_ascii=False)
    now = utcnow()
    result = await _post(endpoint.url, body, signed_headers(endpoint, message_id(row.id or 0), body, now), settings)
    await _finish(delivery_id, result, None, settings)


async def _finish(delivery_id: int, result: AttemptResult | None, final_error: str | None, settings: Settings) -> None:
    """Log the attempt and move the delivery on; ``final_error``: end it without an HTTP attempt."""
    now = utcnow()
    async with unit_of_work() as uow:
        session = uow.session
        delivery = await _load_delivery(delivery_id, session=session)
        delivery.locked_until = None
        if result is None:
            delivery.status, delivery.last_error = WebhookDeliveryStatus.FAILED, final_error
            session.add(delivery)
            record_webhook_attempt("failed", None, None)
            return
        session.add(
            WebhookAttempt(
                delivery_id=delivery_id,
                attempt=delivery.attempts,
                status_code=result.status_code,
                duration_ms=result.duration_ms,
                error=result.error,
            )
        )
        delivery.last_status_code, delivery.last_error = result.status_code, result.error
        if result.succeeded:
            delivery.status, delivery.delivered_at, delivery.next_attempt_at = (
                WebhookDeliveryStatus.DELIVERED,
                now,
                None,
            )
            await session.exec(
                update(WebhookEndpoint)
                .where(col(WebhookEndpoint.id) == delivery.endpoint_id)
                .values(failure_streak=0, last_success_at=now, updated_at=now)
            )
            session.add(delivery)
            record_webhook_attempt("delivered", result.status_code, result.duration_ms / 1000)
            return
        delay = retry_delay(delivery.attempts, settings)
        permanent = result.error is not None and result.error.startswith("address refused")
        if permanent or delivery.created_at + timedelta(
            seconds=settings.webhook_retry_window_seconds
        ) < now + timedelta(seconds=delay):
            delivery.status, delivery.next_attempt_at = WebhookDeliveryStatus.FAILED, None
        else:
            delivery.status, delivery.next_attempt_at = WebhookDeliveryStatus.PENDING, now + timedelta(seconds=delay)
            send_after_commit(session, DELIVER_ACTOR, delivery_id, delay_ms=round(delay * 1000))
        session.add(delivery)
        record_webhook_attempt(
            "retrying" if delivery.status is WebhookDeliveryStatus.PENDING else "failed",
            result.status_code,
            result.duration_ms / 1000,
        )
        await _count_failure(delivery.endpoint_id, result.error or "", settings, session=session)


async def _count_failure(endpoint_id: int, error: str, settings: Settings, *, session: AsyncSession) -> None:
    now = utcnow()
    streak = (
        await session.exec(
            update(WebhookEndpoint)
            .where(col(WebhookEndpoint.id) == endpoint_id)
            .values(failure_streak=col(WebhookEndpoint.failure_streak) + 1, updated_at=now)
            .returning(col(WebhookEndpoint.failure_streak))
        )
    ).scalar_one()
    if streak < settings.webhook_disable_after_failures:
        return
    disabled = (
        await session.exec(
            update(WebhookEndpoint)
            .where(col(WebhookEndpoint.id) == endpoint_id, col(WebhookEndpoint.enabled).is_(True))
            .values(
                enabled=False,
                disabled_at=now,
                disabled_reason=f"{streak} failed attempts in a row; last: {error}"[:500],
                updated_at=now,
            )
            .returning(col(WebhookEndpoint.url))
        )
    ).first()
    if disabled is not None:
        record_event(
            session,
            DomainEventType.WEBHOOK_ENDPOINT_DISABLED,
            endpoint_id,
            {
                "webhookEndpointId": global_id("WebhookEndpoint", endpoint_id),
                "url": disabled[0],
                "failureStreak": streak,
                "lastError": error[:500],
            },
            actor="system",
        )
