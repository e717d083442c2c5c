"""One suite, two databases: SQLite by default, PostgreSQL with ``HRGATE_TEST_DATABASE=postgresql``.

The schema is built by ``alembic upgrade head`` (never ``create_all``), so the
migrations are what is tested. Tables are emptied after every test.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text

POSTGRES_URL = os.environ.get("HRGATE_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
_TEST_DATA_DIR = Path(tempfile.mkdtemp(prefix="hrgate-test-"))


def _test_database_url() -> str:
    backend = os.environ.get("HRGATE_TEST_DATABASE", "sqlite")
    if backend == "postgresql":
        return POSTGRES_URL
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{_TEST_DATA_DIR / 'test.db'}"
    raise RuntimeError(f"HRGATE_TEST_DATABASE must be sqlite or postgresql, not {backend!r}")


# Settings are read from the environment once per process: set them before anything imports them.
os.environ["HRGATE_DATABASE_URL"] = _test_database_url()
os.environ["HRGATE_DATA_DIR"] = str(_TEST_DATA_DIR)
os.environ["HRGATE_MEDIA_DIR"] = str(_TEST_DATA_DIR / "media")
os.environ.pop("HRGATE_MEDIA_URL", None)  # the local folder; S3 tests choose their bucket themselves
os.environ.pop("HRGATE_BROKER_URL", None)
os.environ.pop("HRGATE_PUBSUB_URL", None)
os.environ.pop("HRGATE_ENVIRONMENT", None)
# People's tokens come from a test identity provider (keys generated in tests.tokens, no network).
from tests.tokens import IDP_ISSUER, write_idp_jwks  # noqa: E402

os.environ["HRGATE_JWKS_PATH"] = str(write_idp_jwks(_TEST_DATA_DIR / "idp-jwks.json"))
os.environ["HRGATE_JWT_ISSUER"] = IDP_ISSUER
os.environ.pop("HRGATE_JWKS_URL", None)
os.environ.pop("HRGATE_JWT_AUDIENCE", None)
os.environ.pop("HRGATE_OAUTH_CLIENTS_PATH", None)
os.environ.pop("HRGATE_OAUTH_SIGNING_KEY_PATH", None)
os.environ.pop("HRGATE_RATE_LIMIT_URL", None)
# The test identity provider also issues connectors' tokens (tests.tokens.service_token); the default,
# refusing an identity provider's tokens without roles, is tested with explicit settings.
os.environ["HRGATE_IDP_SERVICE_TOKENS"] = "true"

import workers.actors  # noqa: E402,F401 - declares the actors on the in-process broker
from gateway import db  # noqa: E402
from gateway.migrate import upgrade_to_head  # noqa: E402
from gateway.models import metadata  # noqa: E402
from gateway.settings import get_settings  # noqa: E402


def _reset_postgres_schema(url: str) -> None:
    async def reset() -> None:
        engine = db.build_engine(url)
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
        await engine.dispose()

    asyncio.run(reset())


@pytest.fixture(scope="session", autouse=True)
def migrated_database() -> Iterator[str]:
    """A database built by the migrations, once per test session."""
    get_settings.cache_clear()
    url = get_settings().resolved_database_url
    if url.startswith("postgresql"):
        _reset_postgres_schema(url)
    upgrade_to_head(url)
    yield url


@pytest.fixture(autouse=True)
async def clean_tables(migrated_database: str) -> AsyncIterator[None]:
    yield
    workers.actors.broker.flush_all()
    engine = db.get_engine()
    async with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{table.name}"' for table in metadata.sorted_tables)
            await connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(metadata.sorted_tables):
                await connection.execute(table.delete())


class StatementCounter:
    """Counts SQL statements sent by the engine (N+1 detector, after Saleor's count_queries)."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.statements.append(statement)

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
async def count_statements() -> AsyncIterator[StatementCounter]:
    counter = StatementCounter()
    sync_engine = db.get_engine().sync_engine
    event.listen(sync_engine, "before_cursor_execute", counter)
    yield counter
    event.remove(sync_engine, "before_cursor_execute", counter)


@pytest.fixture(scope="session")
def test_media(tmp_path_factory: pytest.TempPathFactory):
    """Real recordings made by the project (espeak-ng speech, a face video, silence, corrupt files)."""
    from tests.pipeline.media_factory import build_test_media

    return build_test_media(tmp_path_factory.mktemp("media"))


@pytest.fixture
async def http() -> AsyncIterator[Any]:
    """The ASGI app over in-process HTTP (no embedded worker: tests start one when they need it)."""
    import httpx

    from gateway.app import create_app

    app = create_app(get_settings(), embedded_worker=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hrgate.test") as client:
        yield client


@pytest.fixture
def gql():
    """Execute a GraphQL operation in-process, as HR staff; returns the ``data`` or fails with the errors."""
    from tests.graphql_client import GraphQLClient

    return GraphQLClient()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Nothing may skip: every model and server the suite needs is installed by the project."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped and exitstatus == 0:
        reporter.write_line(f"FAILED: {skipped} test(s) skipped; in this project nothing may skip", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
