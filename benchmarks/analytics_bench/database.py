"""The benchmark database: created and migrated by the measured tree's own alembic migrations (to the revision
the generator writes, then after the fill to head), filled by ``generate``, vacuumed and analysed, and marked as
complete (a comment on the database naming the generator version and scale) so a later run reuses it and an
interrupted or older fill is made again."""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import time

import asyncpg
from read_path_bench.data import upgrade_to_head
from read_path_bench.layout import ROOT
from read_path_bench.tree import hrgate_environment

from .generate import generate
from .shape import GENERATOR_VERSION, SCHEMA_REVISION, Scale

COUNTED_TABLES = ("competency_model_version", "dimension", "dimension_kpi_link", "requisition", "candidate",
                  "application", "application_stage_change", "interview", "interview_report", "dimension_score",
                  "employee", "onboarding_archive", "kpi_assignment", "kpi_record")  # fmt: skip


def marker(scale: Scale) -> str:
    return json.dumps({"hrgate_analytics_bench": GENERATOR_VERSION, "applications": scale.applications,
                       "requisitions": scale.requisitions, "seed": scale.seed}, sort_keys=True)  # fmt: skip


async def _admin(base_dsn: str) -> asyncpg.Connection:
    return await asyncpg.connect(f"{base_dsn}/postgres")


async def _current_marker(base_dsn: str, database: str) -> str | None:
    """The completion marker of an existing database, '' for one without, None when there is no database."""
    admin = await _admin(base_dsn)
    try:
        row = await admin.fetchrow(
            "SELECT coalesce(shobj_description(oid, 'pg_database'), '') AS comment FROM pg_database WHERE datname = $1",
            database,
        )
        return None if row is None else row["comment"]
    finally:
        await admin.close()


async def _recreate(base_dsn: str, database: str) -> None:
    admin = await _admin(base_dsn)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{database}"')
    finally:
        await admin.close()


def upgrade_to(args: argparse.Namespace, sqlalchemy_url: str, revision: str) -> None:
    """The measured tree's migrations up to ``revision``, in a child process (the tree may be another commit)."""
    subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "-c",
         "import sys; from alembic import command; from gateway.migrate import alembic_config;"
         " command.upgrade(alembic_config(sys.argv[1]), sys.argv[2])", sqlalchemy_url, revision],
        cwd=args.hrgate_tree, env=hrgate_environment(args), check=True,
    )  # fmt: skip


async def _fill(base_dsn: str, database: str, scale: Scale) -> None:
    connection = await asyncpg.connect(f"{base_dsn}/{database}")
    try:
        await generate(connection, scale, lambda line: print(line, flush=True))
    finally:
        await connection.close()


async def _finish(base_dsn: str, database: str, scale: Scale) -> None:
    """``VACUUM (ANALYZE)`` (statistics, hint bits and the visibility map, as autovacuum would leave them), then
    the completion marker."""
    connection = await asyncpg.connect(f"{base_dsn}/{database}")
    try:
        started = time.monotonic()
        await connection.execute("VACUUM (ANALYZE)")
        print(f"  VACUUM (ANALYZE): {time.monotonic() - started:.1f} s", flush=True)
        await connection.execute(f"COMMENT ON DATABASE \"{database}\" IS '{marker(scale)}'")
    finally:
        await connection.close()


async def row_counts(base_dsn: str, database: str) -> dict[str, int]:
    connection = await asyncpg.connect(f"{base_dsn}/{database}")
    try:
        return {table: int(await connection.fetchval(f"SELECT count(*) FROM {table}")) for table in COUNTED_TABLES}
    finally:
        await connection.close()


def prepare_database(args: argparse.Namespace, scale: Scale) -> float | None:
    """Reuse a complete fill of the same scale, else recreate, migrate and fill; returns the seconds the fill
    took (migrations included), or None when an existing fill was reused."""
    sqlalchemy_url = f"postgresql+asyncpg://{args.pg_address}/{args.database}"
    current = asyncio.run(_current_marker(args.pg_dsn, args.database))
    if current == marker(scale) and not args.regenerate:
        upgrade_to_head(args, sqlalchemy_url)  # a migration added since the fill (no-op otherwise)
        print(f"data: {args.database} already holds this fill ({current}); --regenerate to make it again")
        return None
    if current is not None and not args.regenerate:
        print(f"data: {args.database} holds {current or 'an incomplete fill'}: making it again")
    started = time.monotonic()
    asyncio.run(_recreate(args.pg_dsn, args.database))
    upgrade_to(args, sqlalchemy_url, SCHEMA_REVISION)
    print(f"data: {args.database} created and migrated to {SCHEMA_REVISION} in {time.monotonic() - started:.1f} s;"
          " filling", flush=True)  # fmt: skip
    asyncio.run(_fill(args.pg_dsn, args.database, scale))
    migrating = time.monotonic()
    upgrade_to_head(args, sqlalchemy_url)
    print(f"  migrated to head in {time.monotonic() - migrating:.1f} s", flush=True)
    asyncio.run(_finish(args.pg_dsn, args.database, scale))
    seconds = time.monotonic() - started
    print(f"data: generated {args.database} in {seconds:.1f} s")
    return seconds
