"""The connection pool: no pre-ping round trip per checkout, yet a connection the server closed is never used."""

from __future__ import annotations

import asyncio

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from gateway import db
from tests.conftest import POSTGRES_URL
from tests.tokens import hr_admin_headers

READ = {"query": "{ requisitions(first: 5) { totalCount edges { node { id } } } }"}


def _count_pings(engine, monkeypatch) -> list[object]:  # noqa: ANN001
    """Every pre-ping the pool sends (``pool_pre_ping`` costs a BEGIN/``SELECT``/ROLLBACK round trip on asyncpg)."""
    pings: list[object] = []
    dialect = engine.sync_engine.pool._dialect
    original = dialect._do_ping_w_event

    def counted(dbapi_connection):  # noqa: ANN001, ANN202
        pings.append(dbapi_connection)
        return original(dbapi_connection)

    monkeypatch.setattr(dialect, "_do_ping_w_event", counted)
    return pings


async def test_read_requests_send_no_pre_ping_on_pooled_connections(http, monkeypatch):
    pings = _count_pings(db.get_engine(), monkeypatch)
    for _ in range(3):  # the later requests check out connections the earlier ones returned to the pool
        response = await http.post("/graphql", json=READ, headers=hr_admin_headers())
        assert response.status_code == 200 and response.json()["data"]["requisitions"]["totalCount"] == 0
    assert pings == []


async def test_a_postgres_connection_closed_by_the_server_is_replaced_before_use(monkeypatch):
    """The server ends an idle pooled connection (restart, ``pg_terminate_backend``, idle timeout): the next
    checkout opens a fresh one instead of failing the request, without a ping round trip."""
    engine = db.build_engine(POSTGRES_URL)
    administrator = create_async_engine(POSTGRES_URL, poolclass=NullPool)
    pings = _count_pings(engine, monkeypatch)
    try:
        async with engine.connect() as connection:
            idle_pid = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
            idle = (await connection.get_raw_connection()).driver_connection
        async with administrator.connect() as connection:
            ended = await connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": idle_pid})
            assert ended.scalar_one() is True
        for _ in range(100):  # the pooled connection learns of the server's close from its socket
            if idle.is_closed():
                break
            await asyncio.sleep(0.05)
        assert idle.is_closed()

        async with engine.connect() as connection:
            fresh_pid = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        assert fresh_pid != idle_pid
        assert pings == []
    finally:
        await engine.dispose()
        await administrator.dispose()


def test_postgres_connections_are_recycled_before_idle_timeouts_drop_them():
    engine = db.build_engine(POSTGRES_URL)
    assert engine.sync_engine.pool._recycle == db.POOL_RECYCLE_SECONDS
    assert engine.sync_engine.pool._pre_ping is False
