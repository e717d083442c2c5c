"""Liveness and readiness probes for orchestrators."""

from __future__ import annotations

import logging

from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse

from gateway.db import get_engine
from gateway.settings import get_settings

logger = logging.getLogger(__name__)


async def healthz(request: Request) -> JSONResponse:
    """The process is up and serving."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    """The database (and, when configured, Redis) answers: safe to route traffic here."""
    checks: dict[str, str] = {}
    try:
        async with get_engine().connect() as connection:
            await connection.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as error:  # noqa: BLE001 - any failure means not ready
        logger.warning("readiness: database unavailable: %s", error)
        checks["database"] = "unavailable"
    settings = get_settings()
    for name, url in (("broker", settings.broker_url), ("pubsub", settings.pubsub_url)):
        if url.startswith(("redis://", "rediss://")):
            checks[name] = await _redis_ping(url)
    ready = all(value == "ok" for value in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not_ready", "checks": checks}, status_code=200 if ready else 503
    )


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
