"""The benchmark's order of work: check and count with statement logging on, then load freshly started
servers, then write the raw numbers and print the report. Kept apart from the parts so the sequence reads in one
place."""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from .checks import check_same_rows
from .data import audit_rows, prepare_database, set_statement_logging
from .errors import BenchmarkError
from .layout import POSTGRAPHILE_VERSION, RESULTS_DIR, ROOT
from .proc_stats import rss_mib, wait_until_quiet
from .queries import HRGATE_ANCHOR
from .report import METHOD_NOTE, format_ms, format_rps, machine_description, markdown_report
from .servers import Identity, Servers, install_postgraphile
from .statements import count_statements, describe_kinds
from .workloads import Workload, build_workloads
from .wrk import Run, ensure_wrk, run_wrk, write_wrk_script


def check_and_count(args: argparse.Namespace, servers: Servers) -> tuple[list[Workload], dict[str, Any]]:
    """Phase 1, with statement logging on the benchmark database only: same rows, audit, statements per request."""
    asyncio.run(set_statement_logging(args.pg_dsn, args.database, enabled=True))
    try:
        with servers as (hrgate, postgraphile):
            rows = check_same_rows(hrgate, postgraphile)
            print(f"check: both systems return the same {rows} leaf rows for the anchor query")
            workloads = build_workloads(hrgate, postgraphile)
            audit_before = asyncio.run(audit_rows(args.pg_dsn, args.database))
            with httpx.Client(timeout=60) as client:
                hrgate.post(client, HRGATE_ANCHOR)
            audited = asyncio.run(audit_rows(args.pg_dsn, args.database)) - audit_before
            print(f"check: hrgate wrote {audited} audit rows for one anchor request (100 report reads)")
            statements: dict[str, dict[str, Any]] = {}
            for workload in workloads:
                if workload.key == "anchor-50":  # the same request as anchor-10, sent more often at once
                    statements[workload.key] = statements["anchor-10"]
                    continue
                statements[workload.key] = {}
                for server in (hrgate, postgraphile):
                    per_request, kinds = count_statements(
                        server, workload, args.pg_log, args.database, args.statement_requests
                    )
                    if workload.key == "anchor-10" and not per_request:
                        raise BenchmarkError(
                            f"no statements of {args.database} found in {args.pg_log} for {server.name}'s anchor query:"
                            " the log's line prefix must contain %u@%d (Debian's default)"
                        )
                    kinds_text = describe_kinds(kinds, args.statement_requests) or "none"
                    statements[workload.key][server.name] = {"per_request": per_request, "kinds": kinds_text}
                    print(f"statements: {server.name}, {workload.label}: {per_request:g} per request ({kinds_text})")
    finally:
        asyncio.run(set_statement_logging(args.pg_dsn, args.database, enabled=False))
    return workloads, statements


def run_seconds(args: argparse.Namespace, warmup: Run) -> int:
    """``--duration``, or longer (up to ``--max-duration``) where a request takes long enough that the run's
    start (connections opening with nothing finished yet) would weigh on its requests per second: each
    connection should finish at least 10 requests in a run."""
    if warmup.requests == 0:
        return args.max_duration
    latency_seconds = warmup.connections * warmup.seconds / warmup.requests
    return int(min(args.max_duration, max(args.duration, math.ceil(10 * latency_seconds))))


def load(
    args: argparse.Namespace, servers: Servers, workloads: list[Workload], wrk: str, scratch: Path
) -> tuple[list[Run], dict[str, dict[str, float]]]:
    """Phase 2, on freshly started servers: idle RSS, a warm-up, then alternating wrk runs, then RSS again."""
    runs: list[Run] = []
    with servers as pair:
        time.sleep(2)
        rss = {server.name: {"idle": rss_mib(server.pid)} for server in pair}
        print("idle RSS: " + ", ".join(f"{name} {value['idle']:.0f} MiB" for name, value in rss.items()))
        scripts = {
            (workload.key, server.name): write_wrk_script(scratch, server, workload)
            for workload in workloads
            for server in pair
        }
        durations = {}
        for workload in workloads:
            for server in pair:
                warmup = run_wrk(wrk, server, workload, scripts[workload.key, server.name], seconds=args.warmup,
                                 args=args, round_number=0)  # fmt: skip
                durations[workload.key, server.name] = run_seconds(args, warmup)
        for round_number in range(1, args.rounds + 1):
            order = pair if round_number % 2 else tuple(reversed(pair))
            for workload in workloads:
                for server in order:
                    wait_until_quiet(args.quiet_wait)
                    run = run_wrk(wrk, server, workload, scripts[workload.key, server.name],
                                  seconds=durations[workload.key, server.name], args=args,
                                  round_number=round_number)  # fmt: skip
                    runs.append(run)
                    print(
                        f"round {round_number} {workload.key:<12} {server.name:<20} {format_rps(run.rps):>6} rps  "
                        f"p50 {format_ms(run.p50_ms):>8}  p99 {format_ms(run.p99_ms):>8}  "
                        f"server CPU {format_ms(run.server_cpu_ms):>8}/req  "
                        f"db CPU {format_ms(run.database_cpu_ms):>8}/req  errors {run.errors}  "
                        f"others' CPU {run.others_cpu_share:.0%}",
                        flush=True,
                    )
        for server in pair:
            rss[server.name]["after"] = rss_mib(server.pid)
    return runs, rss


def benchmark(args: argparse.Namespace) -> None:
    if args.requisitions < 20 + 80:
        raise BenchmarkError("--requisitions must be at least 100 (anchor page and mutation targets)")
    if not os.access(args.pg_log, os.R_OK):
        raise BenchmarkError(f"cannot read the PostgreSQL log {args.pg_log} (statements are counted from it)")
    wrk = ensure_wrk()
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    print(f"machine: {machine_description()}")
    print(f"hrgate: {args.measured}")
    prepare_database(args)
    cli = install_postgraphile()
    with tempfile.TemporaryDirectory(prefix="hrgate-bench-") as scratch:
        servers = Servers(args, Identity(Path(scratch)), cli, stamp)
        workloads, statements = check_and_count(args, servers)
        runs, rss = load(args, servers, workloads, wrk, Path(scratch))

    names = ("hrgate", f"PostGraphile {POSTGRAPHILE_VERSION}")
    results = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_description(),
        "hrgate": args.measured,
        "arguments": {key: str(value) for key, value in vars(args).items()},
        "statements_counted": "statement/execute lines of hrgate_bench sessions in the server log "
        "(log_statement = 'all'), requests sent one at a time",
        "database_cpu_counted": "utime + stime of the PostgreSQL backends serving the server's connections",
        "statements": statements,
        "rss_mib": rss,
        "runs": [vars(run) for run in runs],
    }
    json_path = RESULTS_DIR / f"read_path-{stamp}.json"
    json_path.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    print()
    print(f"{results['date']}, {results['machine']}; hrgate: {args.measured}")
    print()
    print(markdown_report(results, workloads, names))
    print()
    print(METHOD_NOTE.format(requests=args.statement_requests, database=args.database))
    print(f"Raw numbers: {json_path.relative_to(ROOT)}")
