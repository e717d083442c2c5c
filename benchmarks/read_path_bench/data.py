"""The benchmark database: created from the measured tree's migrations and filled with set-based SQL (the same
rows every time), plus the statement-logging switch and the audit count the checks need."""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import time

import asyncpg

from .layout import ROOT
from .tree import hrgate_environment

APPLICATIONS_PER_REQUISITION = 6
DIMENSIONS = (("numeracy", "数字能力", "Numeracy", 0.4), ("service", "服务意识", "Service", 0.35),
              ("compliance", "合规意识", "Compliance", 0.25))  # fmt: skip


async def _connect(base_dsn: str, database: str) -> asyncpg.Connection:
    return await asyncpg.connect(f"{base_dsn}/{database}")


async def _database_exists(base_dsn: str, database: str) -> bool:
    admin = await _connect(base_dsn, "postgres")
    try:
        return bool(await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database))
    finally:
        await admin.close()


async def _recreate_database(base_dsn: str, database: str) -> None:
    admin = await _connect(base_dsn, "postgres")
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{database}"')
    finally:
        await admin.close()


async def _is_filled(base_dsn: str, database: str, requisitions: int) -> bool:
    connection = await _connect(base_dsn, database)
    try:
        counts = await connection.fetchrow(
            "SELECT (SELECT count(*) FROM requisition) AS requisitions, (SELECT count(*) FROM application) AS apps,"
            " (SELECT count(*) FROM interview_report WHERE percentile IS NOT NULL) AS reports,"
            " (SELECT count(*) FROM dimension_score) AS scores"
        )
    finally:
        await connection.close()
    applications = requisitions * APPLICATIONS_PER_REQUISITION
    return tuple(counts) == (requisitions, applications, applications, applications * len(DIMENSIONS))


async def _fill(base_dsn: str, database: str, requisitions: int) -> None:
    """Plain set-based SQL with explicit ids: seconds for the whole fill, and the same rows every time."""
    applications = requisitions * APPLICATIONS_PER_REQUISITION
    connection = await _connect(base_dsn, database)
    try:
        async with connection.transaction():
            model_id = await connection.fetchval(
                "INSERT INTO competency_model (key, name_zh, name_en, description, created_at)"
                " VALUES ('bench-teller', '柜员', 'Teller', 'read-path benchmark', now()) RETURNING id"
            )
            version_id = await connection.fetchval(
                "INSERT INTO competency_model_version (model_id, version, notes, frozen_at, created_at)"
                " VALUES ($1, 1, '', now(), now()) RETURNING id",
                model_id,
            )
            for position, (key, name_zh, name_en, weight) in enumerate(DIMENSIONS):
                await connection.execute(
                    "INSERT INTO dimension (model_version_id, key, name_zh, name_en, description_zh, description_en,"
                    " weight, position) VALUES ($1, $2, $3, $4, '', '', $5, $6)",
                    version_id, key, name_zh, name_en, weight, position,
                )  # fmt: skip
            await connection.execute(
                "INSERT INTO requisition (id, title, department, business_line, headcount, status,"
                " competency_model_version_id, created_at, updated_at, candidate_report_visible)"
                " SELECT g, 'Teller ' || lpad(g::text, 5, '0'),"
                " (ARRAY['Retail', 'Corporate', 'Wealth', 'Operations'])[1 + g % 4],"
                " (ARRAY['retail', 'corporate', 'wealth', 'operations'])[1 + g % 4],"
                " 1 + g % 5, 'open', $1, now(), now(), false FROM generate_series(1, $2) AS g",
                version_id,
                requisitions,
            )
            await connection.execute(
                "INSERT INTO candidate (id, full_name, email, phone, resume_text, created_at)"
                " SELECT g, (ARRAY['王', '李', '张', '刘', '陈', 'Smith ', 'García '])[1 + g % 7] || 'candidate ' || g,"
                " 'candidate' || g || '@mail.example', NULL, '', now() FROM generate_series(1, $1) AS g",
                applications,
            )
            await connection.execute(
                "INSERT INTO application (id, candidate_id, requisition_id, stage, created_at, updated_at)"
                " SELECT g, g, 1 + (g - 1) / $2, 'ai_interview', now(), now() FROM generate_series(1, $1) AS g",
                applications,
                APPLICATIONS_PER_REQUISITION,
            )
            await connection.execute(
                "INSERT INTO interview (id, application_id, token_hash, expires_at, status, created_at, submitted_at,"
                " scoring_attempts)"
                " SELECT g, g, encode(sha256(('bench-interview-' || g)::bytea), 'hex'), now() + interval '30 days',"
                " 'scored', now(), now(), 1 FROM generate_series(1, $1) AS g",
                applications,
            )
            await connection.execute(
                "INSERT INTO interview_report (id, interview_id, requisition_id, total, insufficient_evidence,"
                " strengths, weaknesses, tags, radar, models, pipeline_version, scored_at, created_at, updated_at)"
                " SELECT g, g, 1 + (g - 1) / $2, 35 + ((g * 7919) % 650) / 10.0, false,"
                " '[\"逻辑清晰\"]'::json, '[\"语速偏快\"]'::json, '[]'::json, '[]'::json, '{}'::json, 'bench-1',"
                " now(), now(), now() FROM generate_series(1, $1) AS g",
                applications,
                APPLICATIONS_PER_REQUISITION,
            )
            await connection.execute(
                "UPDATE interview_report AS report SET percentile = ranked.percentile FROM ("
                " SELECT id, round((100 * percent_rank() OVER (PARTITION BY requisition_id ORDER BY total, id))"
                "::numeric, 1)::float AS percentile FROM interview_report) AS ranked WHERE ranked.id = report.id"
            )
            await connection.execute(
                "INSERT INTO dimension_score (report_id, dimension_id, pipeline_version, score, confidence, evidence)"
                " SELECT report.id, dimension.id, 'bench-1', 30 + ((report.id * 31 + dimension.id * 17) % 700) / 10.0,"
                " 0.8, '[]'::json FROM interview_report AS report CROSS JOIN dimension"
                " WHERE dimension.model_version_id = $1",
                version_id,
            )
            for table in ("requisition", "candidate", "application", "interview", "interview_report"):
                await connection.execute(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))")
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


def upgrade_to_head(args: argparse.Namespace, sqlalchemy_url: str) -> None:
    """The measured tree's own migrations, in a child process (the tree may be another commit)."""
    subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "-c",
         "import sys; from gateway.migrate import upgrade_to_head; upgrade_to_head(sys.argv[1])", sqlalchemy_url],
        cwd=args.hrgate_tree, env=hrgate_environment(args), check=True,
    )  # fmt: skip


def prepare_database(args: argparse.Namespace) -> None:
    sqlalchemy_url = f"postgresql+asyncpg://{args.pg_address}/{args.database}"
    if args.refill or not asyncio.run(_database_exists(args.pg_dsn, args.database)):
        asyncio.run(_recreate_database(args.pg_dsn, args.database))
    upgrade_to_head(args, sqlalchemy_url)
    if asyncio.run(_is_filled(args.pg_dsn, args.database, args.requisitions)):
        print(f"data: {args.database} already filled ({args.requisitions} requisitions); --refill to refill")
        return
    started = time.monotonic()
    asyncio.run(_recreate_database(args.pg_dsn, args.database))
    upgrade_to_head(args, sqlalchemy_url)
    asyncio.run(_fill(args.pg_dsn, args.database, args.requisitions))
    print(f"data: filled {args.database} in {time.monotonic() - started:.1f} s")


async def set_statement_logging(base_dsn: str, database: str, *, enabled: bool) -> None:
    admin = await _connect(base_dsn, "postgres")
    try:
        if enabled:
            await admin.execute(f"ALTER DATABASE \"{database}\" SET log_statement = 'all'")
        else:
            await admin.execute(f'ALTER DATABASE "{database}" RESET log_statement')
    finally:
        await admin.close()


async def audit_rows(base_dsn: str, database: str) -> int:
    connection = await _connect(base_dsn, database)
    try:
        return int(await connection.fetchval("SELECT count(*) FROM audit_event"))
    finally:
        await connection.close()
