"""``hrgate``: serve, migrate, seed-demo, worker.

Part of the composition root (like ``gateway.app``): it may import every layer.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys

import click
from pydantic import ValidationError

from gateway.settings import Settings, get_settings

logger = logging.getLogger(__name__)


@click.group(help="hrgate: the GraphQL HR-integration gateway.")
@click.option("--log-level", default="INFO", show_default=True)
def main(log_level: str) -> None:
    from gateway.log_format import TEXT_FORMAT, configure_logging

    logging.basicConfig(level=log_level.upper(), format=TEXT_FORMAT)
    try:
        settings = get_settings()
    except ValidationError as error:
        _fail("hrgate: " + "; ".join(_setting_problem(problem) for problem in error.errors(include_input=False)))
    configure_logging(log_level, settings.log_format)


@main.command(help="Bring the database to the newest schema.")
def migrate() -> None:
    from gateway.schema_revision import check_database, first_line

    url = get_settings().resolved_database_url
    status = asyncio.run(check_database(url))  # unreachable: one line within seconds, not alembic's traceback
    if status.state in ("unreachable", "unknown_revision"):
        _fail(status.message(url))
    from gateway.migrate import upgrade_to_head

    try:
        upgrade_to_head()
    except Exception as error:  # noqa: BLE001 - one line for the operator, the traceback at --log-level DEBUG
        logger.debug("migration failed", exc_info=True)
        _fail(f"hrgate: migrating database {_safe_url()} failed: {first_line(error)} (details: --log-level DEBUG)")
    click.echo(f"database at head: {_safe_url()}")


@main.command("seed-demo", help="Load a realistic bank dataset (idempotent: skipped when already loaded).")
def seed_demo() -> None:
    from gateway.migrate import upgrade_to_head
    from resolvers.demo_data import load_demo_data

    upgrade_to_head()
    loaded = asyncio.run(_run_and_dispose(load_demo_data()))
    click.echo("demo data loaded" if loaded else "demo data already present: nothing to do")


@main.command(help="Run the gateway (uvicorn). Embedded default: migrates SQLite and loads demo data first.")
@click.option("--host", default=None, help="Defaults to HRGATE_HOST.")
@click.option("--port", default=None, type=int, help="Defaults to HRGATE_PORT.")
@click.option("--demo/--no-demo", default=None, help="Load demo data first (default: only on embedded SQLite).")
def serve(host: str | None, port: int | None, demo: bool | None) -> None:
    import multiprocessing

    import uvicorn

    settings = get_settings()
    embedded_database = not settings.database_url
    load_demo = demo if demo is not None else embedded_database
    if not embedded_database:  # before the demo load and the port: a wrong database fails here, in one line
        from gateway.startup import DatabaseNotReady, ensure_database_ready

        try:
            asyncio.run(ensure_database_ready(settings))
        except DatabaseNotReady as error:
            _fail(str(error))
    if embedded_database or load_demo:
        preparation = multiprocessing.get_context("spawn").Process(
            target=_prepare_database,
            args=(embedded_database, load_demo, logging.getLogger().level),
            name="hrgate-prepare",
        )
        preparation.start()
        preparation.join()
        if preparation.exitcode != 0:
            raise click.ClickException("preparing the database failed (see the messages above)")
    uvicorn.run(
        "gateway.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        proxy_headers=True,
        ws="websockets",
        timeout_graceful_shutdown=settings.shutdown_grace_seconds,
        **({"log_config": None} if settings.log_format == "json" else {}),  # uvicorn's loggers reach the root's
    )


@main.command(help="Run Dramatiq worker processes for the scoring actors (production).")
@click.option("--processes", default=2, show_default=True)
@click.option("--threads", default=1, show_default=True)
def worker(processes: int, threads: int) -> None:
    settings = get_settings()
    if not settings.broker_url:
        raise click.UsageError("set HRGATE_BROKER_URL (redis:// or amqp://); the embedded gateway runs its own worker")
    if settings.worker_metrics_port:
        os.environ.update(_worker_metrics_environment(settings))
    os.execvp(
        sys.executable,
        [
            *(sys.executable, "-m", "workers.dramatiq_cli", "workers.worker_main"),
            *("--processes", str(processes), "--threads", str(threads)),
        ],
    )


def _worker_metrics_environment(settings: Settings) -> dict[str, str]:
    """prometheus-client's multiprocess folder (emptied: samples of a previous run would be summed in), also
    the folder of Dramatiq's Prometheus middleware. Set before Dramatiq starts, so every worker process imports
    prometheus-client in multiprocess mode."""
    import tempfile
    from pathlib import Path

    if settings.worker_metrics_dir is None:
        folder = Path(tempfile.mkdtemp(prefix="hrgate-worker-metrics-"))
    else:
        folder = settings.worker_metrics_dir
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.db"):
            stale.unlink()
    return {
        "PROMETHEUS_MULTIPROC_DIR": str(folder),
        "dramatiq_prom_db": str(folder),
    }


@main.command("export-schema", help="Write the GraphQL SDL (committed as schema.graphql; a test compares it).")
@click.argument("path", default="schema.graphql")
def export_schema(path: str) -> None:
    from schema.root import schema

    with open(path, "w", encoding="utf-8") as sdl:
        sdl.write(schema.as_str() + "\n")
    click.echo(f"wrote {path}")


@main.command("client-add", help="Register an ERP connector for POST /oauth/token; prints its secret once.")
@click.argument("name")
@click.option("--scope", "scopes", multiple=True, required=True, help="Repeat for each scope, e.g. --scope kpi:write.")
def client_add(name: str, scopes: tuple[str, ...]) -> None:
    from gateway.oauth import ClientRegistry

    registry = ClientRegistry(get_settings().resolved_oauth_clients_path)
    try:
        client_id, secret = registry.add(name, [item for scope in scopes for item in scope.split()])
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    click.echo(f"client_id: {client_id}")
    click.echo(f"client_secret: {secret}")
    click.echo("The secret is shown only now: store it in the connector's vault.")


@main.command(
    "retention-run",
    help="Erase candidates not hired and without application activity for HRGATE_RETENTION_DAYS (run daily).",
)
@click.option("--days", type=click.IntRange(min=1), default=None, help="Defaults to HRGATE_RETENTION_DAYS (730).")
def retention_run(days: int | None) -> None:
    from resolvers.services.retention import run_retention

    result = asyncio.run(_run_and_dispose(run_retention(retention_days=days)))
    click.echo(
        f"erased {len(result.erased_candidate_ids)} candidate(s) without application activity since "
        f"{result.cutoff:%Y-%m-%d}"
    )


@main.command(
    "media-sweep",
    help="Remove unfinished uploads older than HRGATE_UPLOAD_PARTIAL_MAX_AGE_SECONDS (gateways also do it on a timer).",
)
@click.option("--older-than", type=click.IntRange(min=0), default=None, help="Seconds; defaults to the setting.")
def media_sweep(older_than: int | None) -> None:
    from gateway.storage import StorageError, sweep_partial_uploads

    try:
        removed = asyncio.run(sweep_partial_uploads(older_than_seconds=older_than))
    except StorageError as error:
        _fail(error.message)
    click.echo(f"removed {removed} unfinished upload(s)")


@main.command(
    "notifications-sweep",
    help="Queue due candidate e-mails (reminders, unsent invitations) on HRGATE_BROKER_URL (run every few minutes).",
)
def notifications_sweep() -> None:
    settings = get_settings()
    if not settings.broker_url:
        raise click.UsageError(
            "HRGATE_BROKER_URL is not set: the embedded gateway sweeps by itself (HRGATE_NOTIFICATION_SWEEP_SECONDS)"
        )
    import workers.actors  # noqa: F401 - declares the send actor on the configured broker
    from resolvers.services.notifications import sweep

    result = asyncio.run(_run_and_dispose(sweep()))
    click.echo(f"queued {len(result.enqueued_ids)} e-mail(s); ended {len(result.interrupted_ids)} interrupted send(s)")


@main.command(
    "scoring-sweep",
    help="Queue again the interviews whose scoring job was lost (broker or worker outage); run every minute.",
)
def scoring_sweep() -> None:
    if not get_settings().broker_url:
        raise click.UsageError(
            "HRGATE_BROKER_URL is not set: the embedded gateway sweeps by itself (HRGATE_SCORING_SWEEP_SECONDS)"
        )
    import workers.actors  # noqa: F401 - declares the scoring actor on the configured broker
    from resolvers.services.scoring_sweep import sweep_lost_scoring_jobs

    result = asyncio.run(_run_and_dispose(sweep_lost_scoring_jobs()))
    click.echo(
        f"queued again {len(result.requeued_ids)} interview(s); {len(result.unsent_ids)} left for the next run "
        f"(broker unavailable); failed {len(result.failed_ids)} after too many lost jobs"
    )
    if result.unsent_ids:
        raise SystemExit(1)


def _prepare_database(migrate: bool, demo: bool, log_level: int) -> None:
    """Migrations and demo data for ``serve``, run in a child process: the server then never imports alembic
    nor keeps the memory the demo load used (the idle gateway stays small)."""
    from gateway.log_format import configure_logging

    configure_logging(log_level, get_settings().log_format)
    if migrate:
        from gateway.migrate import upgrade_to_head

        upgrade_to_head()
    if demo:
        from resolvers.demo_data import load_demo_data

        asyncio.run(_run_and_dispose(load_demo_data()))


async def _run_and_dispose(coroutine):  # noqa: ANN001, ANN202
    from gateway.db import dispose_engine

    try:
        return await coroutine
    finally:
        await dispose_engine()


def _fail(line: str) -> None:
    """One readable line on stderr and exit status 1: what an operator reads in a crash-looping pod's log."""
    click.echo(line, err=True)
    raise SystemExit(1)


def _setting_problem(problem: dict) -> str:
    message = str(problem["msg"]).removeprefix("Value error, ")
    name = "HRGATE_" + "_".join(str(part) for part in problem["loc"]).upper()
    return message if message.startswith(name) else f"{name}: {message}"


def _safe_url() -> str:
    from sqlalchemy.engine import make_url

    return make_url(get_settings().resolved_database_url).render_as_string(hide_password=True)
