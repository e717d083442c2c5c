"""Database engine and units of work.

One engine per process, chosen by ``Settings.resolved_database_url`` (SQLite or
PostgreSQL). Requests and jobs use ``unit_of_work``: commit on success, roll back
on error, always close; after-commit callbacks (events, jobs) run only once the
commit succeeded.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import orjson
from sqlalchemy import event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from gateway.settings import get_settings
from gateway.tracing import trace_engine, tracing_enabled

AfterCommit = Callable[[], Awaitable[None] | None]

_engines: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, tuple[AsyncEngine, async_sessionmaker[AsyncSession]]] = (
    weakref.WeakKeyDictionary()
)
"""One engine per event loop: pooled async connections cannot cross loops, and the embedded
worker runs jobs on its own loops, beside the web server's."""


POOL_RECYCLE_SECONDS = 30 * 60
"""PostgreSQL connections older than this are reopened at checkout, before a firewall or proxy idle timeout
drops them silently (a drop the local closed-connection check cannot see)."""


def build_engine(url: str) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 30}, json_deserializer=orjson.loads)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    engine = create_async_engine(
        url,
        pool_size=10,
        max_overflow=10,
        pool_recycle=POOL_RECYCLE_SECONDS,
        json_deserializer=orjson.loads,  # JSON columns and the read compiler's answers: decoded by orjson
        # PostgreSQL's JIT compiles every statement its cost model calls expensive: about 2.7 s per analytics
        # aggregate over a million rows, for statements that then run in milliseconds.
        connect_args={"server_settings": {"jit": "off"}},
    )

    @event.listens_for(engine.sync_engine, "checkout")
    def _discard_closed(dbapi_connection, _record, _proxy) -> None:  # noqa: ANN001
        """A connection the server closed while it idled in the pool (restart, ``pg_terminate_backend``) is
        replaced before use. A local check, no round trip: ``pool_pre_ping`` cost a BEGIN/ROLLBACK per checkout.
        A disconnect found mid-statement invalidates the connection too (SQLAlchemy's ``is_disconnect``)."""
        if dbapi_connection.driver_connection.is_closed():
            raise exc.DisconnectionError("the server closed this pooled connection")

    return engine


def _current() -> tuple[AsyncEngine, async_sessionmaker[AsyncSession]]:
    loop = asyncio.get_running_loop()
    if loop not in _engines:
        engine = build_engine(get_settings().resolved_database_url)
        if tracing_enabled():
            trace_engine(engine)
        _engines[loop] = (engine, async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False))
    return _engines[loop]


def get_engine() -> AsyncEngine:
    """The engine of the running event loop (created on first use)."""
    return _current()[0]


async def dispose_engine() -> None:
    """Close the running loop's connections (e.g. before the loop ends, or after settings changed)."""
    entry = _engines.pop(asyncio.get_running_loop(), None)
    if entry is not None:
        await entry[0].dispose()


def session_factory() -> async_sessionmaker[AsyncSession]:
    return _current()[1]


@asynccontextmanager
async def read_session() -> AsyncIterator[AsyncSession]:
    """A short session for reads (one DataLoader batch, one subscription event)."""
    async with session_factory()() as session:
        yield session


class UnitOfWork:
    """A session plus callbacks to run after a successful commit."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._after_commit: list[AfterCommit] = []

    def after_commit(self, callback: AfterCommit) -> None:
        self._after_commit.append(callback)

    async def run_after_commit(self) -> None:
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            result = callback()
            if result is not None:
                await result


@asynccontextmanager
async def unit_of_work() -> AsyncIterator[UnitOfWork]:
    """Commit on success, roll back on any exception, then run after-commit callbacks."""
    async with session_factory()() as session:
        uow = UnitOfWork(session)
        try:
            yield uow
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
    await uow.run_after_commit()
