"""Liveness and readiness probes for orchestrators."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse

from gateway.db import get_engine
from gateway.schema_revision import schema_status
from gateway.settings import get_settings

logger = logging.getLogger(__name__)


async def healthz(request: Request) -> JSONResponse:
    """The process is up and serving."""
    return JSONResponse({"status": "ok"})


DEGRADED_WITHOUT = {
    "broker": "broker (Redis) unreachable: submissions are kept and scored once it is back",
    "pubsub": "pub/sub (Redis) unreachable: live status updates are paused; reads and writes work",
}
"""What a gateway cannot do without each optional dependency: it stays in rotation and says so."""


async def readyz(request: Request) -> JSONResponse:
    """The database answers at the schema revision this code needs: safe to route traffic here. Not ready: 503
    with ``reason``, one line per failed check.

    Readiness says what this gateway can still serve. Without the database it serves nothing (503). Without the
    broker or the pub/sub Redis it still answers every read and keeps every submission (the scoring sweep sends
    the jobs later), so it stays ready (200) with ``status: degraded`` and a ``degraded`` line naming what is
    paused: an orchestrator that took every replica out of rotation during a Redis restart would turn a delay
    into an outage.

    A database at a revision this code does not know stays ready: a newer release has migrated it while this
    replica still serves, and taking every old replica out of rotation at once would stop a rolling deploy
    (a new start of this code against it is refused, see ``gateway.startup``)."""
    checks: dict[str, str] = {}
    reasons: list[str] = []
    status = await schema_status(get_engine())
    if status.ready:
        checks["database"] = "ok"
    elif status.state == "unknown_revision":
        checks["database"] = "ok"
        logger.warning("readiness: %s", status.reason())
    else:
        checks["database"] = "unavailable" if status.state == "unreachable" else status.state
        reasons.append(status.reason())
        logger.warning("readiness: %s", status.reason(with_error=True))
    settings = get_settings()
    degraded: list[str] = []
    for name, url in (("broker", settings.broker_url), ("pubsub", settings.pubsub_url)):
        if url.startswith(("redis://", "rediss://")):
            checks[name] = await _redis_ping(url)
            if checks[name] != "ok":
                degraded.append(DEGRADED_WITHOUT[name])
    if reasons:
        body = {"status": "not_ready", "checks": checks, "reason": "; ".join(reasons)}
        if degraded:
            body["degraded"] = "; ".join(degraded)
        return JSONResponse(body, status_code=503)
    if degraded:
        return JSONResponse({"status": "degraded", "checks": checks, "degraded": "; ".join(degraded)})
    return JSONResponse({"status": "ready", "checks": checks})


async def _redis_ping(url: str) -> str:
    from redis.asyncio import Redis

    client = Redis.from_url(url, socket_connect_timeout=2)
    try:
        await client.ping()
        return "ok"
    except Exception as error:  # noqa: BLE001
        logger.warning("readiness: redis unavailable at %s: %s", url, error)
        return "unavailable"
    finally:
        await client.aclose()
