"""Operable in production (issue 15, item 2): a gateway refuses, in one line, to start against a database it cannot
reach or whose schema is not its own; ``/readyz`` says why it is not ready; database URLs are validated up front.

Each database state is built for real in a scratch database beside the suite's own (a SQLite file, or a
PostgreSQL database created for the test when ``HRGATE_TEST_DATABASE=postgresql``).
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from alembic import command
from alembic.script import ScriptDirectory
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.engine import make_url

from gateway import db
from gateway.app import create_app
from gateway.migrate import alembic_config, upgrade_to_head
from gateway.schema_revision import check_database, code_heads
from gateway.settings import Settings, get_settings
from gateway.startup import DatabaseNotReady, ensure_database_ready

HRGATE = str(Path(sys.executable).parent / "hrgate")


# --- scratch databases -------------------------------------------------------------------------------------------


async def _admin_execute(suite_url: str, statement: str) -> None:
    engine = db.build_engine(suite_url)
    try:
        async with engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


@pytest.fixture
async def scratch_url(tmp_path: Path) -> AsyncIterator[str]:
    """An empty database of the suite's kind, dropped afterwards."""
    suite_url = make_url(get_settings().resolved_database_url)
    if suite_url.get_backend_name() == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'scratch.db'}"
        return
    name = f"hrgate_scratch_{uuid.uuid4().hex[:12]}"
    admin_url = suite_url.render_as_string(hide_password=False)  # captured: a test may re-point the settings
    await _admin_execute(admin_url, f'CREATE DATABASE "{name}"')
    try:
        yield suite_url.set(database=name).render_as_string(hide_password=False)
    finally:
        await _admin_execute(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _migrate(url: str, revision: str = "head") -> None:
    await asyncio.to_thread(command.upgrade, alembic_config(url), revision)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that accepts connections and never answers (a database host behind a black-holing firewall
    answers the same way: nothing, until the driver's own 60 s timeout)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()


def _plain_scheme(url: str) -> str:
    """What an operator pastes from a hosting panel: ``postgresql://`` / ``sqlite://``, without the driver."""
    return url.replace("+asyncpg", "").replace("+aiosqlite", "")


# --- the head revision ---------------------------------------------------------------------------------------------


def test_the_code_head_read_from_the_migration_files_is_alembics_head():
    assert code_heads() == frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


# --- database URL settings -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://hr:pw@db:5432/hrgate", "postgresql+asyncpg://hr:pw@db:5432/hrgate"),
        ("postgres://hr:pw@db/hrgate", "postgresql+asyncpg://hr:pw@db/hrgate"),
        ("postgresql+asyncpg://hr:pw@db/hrgate", "postgresql+asyncpg://hr:pw@db/hrgate"),
        ("sqlite:///var/x.db", "sqlite+aiosqlite:///var/x.db"),
        ("", ""),
    ],
)
def test_database_urls_without_the_async_driver_get_it(given, expected):
    assert Settings(database_url=given).database_url == expected


@pytest.mark.parametrize("url", ["mysql://hr:topsecret@db/hrgate", "postgresql+psycopg2://hr:topsecret@db/x", "db"])
def test_unsupported_database_urls_are_refused_without_echoing_the_password(url):
    with pytest.raises(ValidationError) as refused:
        Settings(database_url=url)
    assert "HRGATE_DATABASE_URL" in str(refused.value)
    assert "topsecret" not in str(refused.value)


def _hrgate(*arguments: str, database_url: str, tmp_path: Path, timeout: float = 60) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith("HRGATE_")}
    env.update(HRGATE_DATA_DIR=str(tmp_path / "var"), HRGATE_DATABASE_URL=database_url)
    return subprocess.run([HRGATE, *arguments], env=env, capture_output=True, text=True, timeout=timeout)


def _one_line(result: subprocess.CompletedProcess) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1, result.stderr
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


def test_migrate_refuses_an_unsupported_url_in_one_line(tmp_path):
    line = _one_line(_hrgate("migrate", database_url="mysql://hr:topsecret@db/hrgate", tmp_path=tmp_path))
    assert line.startswith("hrgate: HRGATE_DATABASE_URL scheme 'mysql' is not supported") and "topsecret" not in line


def test_migrate_against_an_unreachable_database_fails_in_one_line(tmp_path):
    url = f"postgresql://hr:topsecret@127.0.0.1:{_closed_port()}/hrgate"
    started = time.monotonic()
    line = _one_line(_hrgate("migrate", database_url=url, tmp_path=tmp_path))
    assert time.monotonic() - started < 15
    assert line.startswith("hrgate: database postgresql+asyncpg://hr:***@127.0.0.1:") and "unreachable" in line
    assert "topsecret" not in line


async def test_migrate_accepts_a_url_without_the_driver(tmp_path, scratch_url):
    result = await asyncio.to_thread(_hrgate, "migrate", database_url=_plain_scheme(scratch_url), tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (await check_database(scratch_url)).state == "at_head"


# --- the start-up check ----------------------------------------------------------------------------------------------


async def test_the_suite_database_is_at_head():
    status = await ensure_database_ready(get_settings())
    assert status.ready and status.database_revisions == code_heads()


async def test_an_unmigrated_database_is_refused_with_the_fix(scratch_url):
    with pytest.raises(DatabaseNotReady) as refused:
        await ensure_database_ready(Settings(database_url=scratch_url))
    head = ", ".join(sorted(code_heads()))
    assert "has no schema" in str(refused.value) and f"needs {head}: run `hrgate migrate`" in str(refused.value)


async def test_a_database_behind_the_code_names_both_revisions(scratch_url):
    await _migrate(scratch_url, "0004")
    with pytest.raises(DatabaseNotReady) as refused:
        await ensure_database_ready(Settings(database_url=scratch_url))
    head = ", ".join(sorted(code_heads()))
    expected = f"is at revision 0004, the code needs {head}: run `hrgate migrate`"
    assert str(refused.value).startswith("hrgate: database ") and str(refused.value).endswith(expected)


async def test_a_database_migrated_by_a_newer_release_is_refused_at_start_up(scratch_url):
    await _migrate(scratch_url)
    engine = db.build_engine(scratch_url)
    async with engine.begin() as connection:
        await connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    await engine.dispose()
    with pytest.raises(DatabaseNotReady, match="at revision 9999, unknown to this code"):
        await ensure_database_ready(Settings(database_url=scratch_url))


async def test_a_closed_port_is_refused_at_once():
    url = f"postgresql://hr:topsecret@127.0.0.1:{_closed_port()}/hrgate"
    started = time.monotonic()
    with pytest.raises(DatabaseNotReady) as refused:
        await ensure_database_ready(Settings(database_url=url))
    assert time.monotonic() - started < 3
    assert "unreachable (ConnectionRefusedError" in str(refused.value) and "topsecret" not in str(refused.value)


async def test_a_server_that_never_answers_is_refused_after_the_short_timeout(silent_server):
    url = f"postgresql://hr@127.0.0.1:{silent_server}/hrgate"
    started = time.monotonic()
    with pytest.raises(DatabaseNotReady, match=r"unreachable \(no answer within 0.5 s\)"):
        await ensure_database_ready(Settings(database_url=url), timeout=0.5)
    assert time.monotonic() - started < 3


async def test_the_embedded_database_migrates_itself(tmp_path):
    status = await ensure_database_ready(Settings(database_url="", data_dir=tmp_path))
    assert status.ready and (tmp_path / "hrgate.db").is_file()


async def _start_up(app) -> dict:  # noqa: ANN001
    """Drive the ASGI lifespan: the server's view of start-up (then shut down if it started)."""
    inbox: asyncio.Queue[dict] = asyncio.Queue()
    sent: list[dict] = []
    await inbox.put({"type": "lifespan.startup"})

    async def send(message: dict) -> None:
        sent.append(message)
        if message["type"] == "lifespan.startup.complete":
            await inbox.put({"type": "lifespan.shutdown"})

    await asyncio.wait_for(app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, inbox.get, send), 30)
    return sent[0]


async def test_the_app_lifespan_refuses_a_database_behind_in_one_line(scratch_url):
    await _migrate(scratch_url, "0004")
    outcome = await _start_up(create_app(Settings(database_url=scratch_url), embedded_worker=False))
    assert outcome["type"] == "lifespan.startup.failed"
    assert outcome["message"].startswith("hrgate: database ") and "\n" not in outcome["message"]
    assert "is at revision 0004" in outcome["message"]


async def test_the_app_lifespan_starts_on_a_database_at_head(scratch_url):
    await _migrate(scratch_url)
    outcome = await _start_up(create_app(Settings(database_url=scratch_url), embedded_worker=False))
    assert outcome == {"type": "lifespan.startup.complete"}


async def test_serve_refuses_an_unmigrated_database_in_one_line_before_listening(tmp_path, scratch_url):
    started = time.monotonic()
    result = await asyncio.to_thread(
        _hrgate, "serve", "--no-demo", "--port", str(_closed_port()), database_url=scratch_url, tmp_path=tmp_path
    )
    line = _one_line(result)
    assert "has no schema" in line and "run `hrgate migrate`" in line
    assert time.monotonic() - started < 30


def test_serve_refuses_an_unreachable_database_in_one_line(tmp_path):
    url = f"postgresql://hr:topsecret@127.0.0.1:{_closed_port()}/hrgate"
    line = _one_line(_hrgate("serve", "--no-demo", "--port", str(_closed_port()), database_url=url, tmp_path=tmp_path))
    assert "unreachable" in line and "topsecret" not in line


# --- /readyz ---------------------------------------------------------------------------------------------------------


@pytest.fixture
async def readiness_on(monkeypatch):  # noqa: ANN201
    """``/readyz`` of a gateway whose configured database is the given URL (the process-wide engine is swapped)."""
    clients: list[httpx.AsyncClient] = []

    async def client_for(url: str) -> httpx.AsyncClient:
        monkeypatch.setenv("HRGATE_DATABASE_URL", url)
        get_settings.cache_clear()
        await db.dispose_engine()
        app = create_app(get_settings(), embedded_worker=False)
        clients.append(httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hrgate.test"))
        return clients[-1]

    yield client_for
    for client in clients:
        await client.aclose()
    monkeypatch.undo()
    get_settings.cache_clear()
    await db.dispose_engine()


async def test_readyz_is_not_ready_on_a_database_behind_the_code(readiness_on, scratch_url):
    await _migrate(scratch_url, "0004")
    client = await readiness_on(scratch_url)
    ready = await client.get("/readyz")
    assert ready.status_code == 503
    body = ready.json()
    assert body["status"] == "not_ready" and body["checks"] == {"database": "behind"}
    assert body["reason"].startswith("database is at revision 0004, the code needs") and "@" not in body["reason"]
    assert (await client.get("/healthz")).status_code == 200  # liveness: the process itself is fine


async def test_readyz_is_not_ready_on_an_unmigrated_database(readiness_on, scratch_url):
    ready = await (await readiness_on(scratch_url)).get("/readyz")
    assert ready.status_code == 503 and ready.json()["checks"] == {"database": "unmigrated"}


async def test_readyz_is_not_ready_when_the_database_is_unreachable_and_names_no_address(readiness_on):
    ready = await (await readiness_on(f"postgresql://hr:pw@127.0.0.1:{_closed_port()}/hrgate")).get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"] == {"database": "unavailable"} and ready.json()["reason"] == "database unreachable"


async def test_readyz_stays_ready_when_a_newer_release_migrated_the_database(readiness_on, scratch_url):
    """A rolling deploy: the new release migrated; the old replicas keep serving until they are replaced."""
    await _migrate(scratch_url)
    engine = db.build_engine(scratch_url)
    async with engine.begin() as connection:
        await connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    await engine.dispose()
    ready = await (await readiness_on(scratch_url)).get("/readyz")
    assert ready.status_code == 200 and ready.json() == {"status": "ready", "checks": {"database": "ok"}}


async def test_readyz_is_ready_at_head(readiness_on, scratch_url):
    await asyncio.to_thread(upgrade_to_head, scratch_url)
    ready = await (await readiness_on(scratch_url)).get("/readyz")
    assert ready.status_code == 200 and ready.json() == {"status": "ready", "checks": {"database": "ok"}}
