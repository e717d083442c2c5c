"""The start-up gate: a gateway does not start against a database it cannot reach or whose schema is not the
one its code needs. It fails at once, in one line naming the database (password redacted) and the fix, rather
than reporting healthy and answering every query with a raw SQLAlchemy error.

The embedded default (no ``HRGATE_DATABASE_URL``: a SQLite file of its own) migrates itself instead.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from gateway.schema_revision import CHECK_TIMEOUT_SECONDS, SchemaStatus, check_database
from gateway.settings import Settings

logger = logging.getLogger(__name__)


class DatabaseNotReady(Exception):
    """The one line to show an operator; the process should exit non-zero."""


async def ensure_database_ready(settings: Settings, *, timeout: float = CHECK_TIMEOUT_SECONDS) -> SchemaStatus:
    """Raise ``DatabaseNotReady`` unless the database answers at the code's head revision (within ``timeout``).

    Only the embedded SQLite database is migrated here: a configured database is shared by every replica and
    is migrated once, deliberately, by ``hrgate migrate``."""
    url = settings.resolved_database_url
    status = await check_database(url, timeout=timeout)
    if not settings.database_url and status.state in ("unmigrated", "behind"):
        from gateway.migrate import upgrade_to_head  # imports alembic: only when there is work for it

        logger.info("migrating the embedded database %s", url)
        await asyncio.to_thread(upgrade_to_head, url)
        status = await check_database(url, timeout=timeout)
    if not status.ready:
        raise DatabaseNotReady(status.message(url))
    return status


class DatabaseStartupCheck:
    """ASGI middleware: at ``lifespan.startup`` the database is checked before the application starts anything
    (the embedded worker, schedules). Refused: ``lifespan.startup.failed`` carries the one line, which the server
    logs before it exits (uvicorn: exit status 3), instead of a traceback."""

    def __init__(self, app: Any, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        first = await receive()
        if first["type"] == "lifespan.startup":
            try:
                await ensure_database_ready(self.settings)
            except DatabaseNotReady as error:
                await send({"type": "lifespan.startup.failed", "message": str(error)})
                return
        replayed = False

        async def replay() -> dict:
            nonlocal replayed
            if not replayed:
                replayed = True
                return first
            return await receive()

        await self.app(scope, replay, send)
