"""The benchmark's order of work: the database (reused or generated), the expected figures, the measurement, the
report. Kept apart from the parts so the sequence reads in one place."""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from read_path_bench.errors import BenchmarkError
from read_path_bench.layout import RESULTS_DIR, ROOT
from read_path_bench.servers import Identity

from .database import prepare_database, row_counts
from .expected import read_expected
from .measure import measure
from .queries import build_cases
from .report import TARGET_MS, machine_description, markdown_table
from .shape import Scale


def benchmark(args: argparse.Namespace) -> int:
    scale = Scale(args.applications, args.requisitions)
    problem = scale.validate()
    if problem:
        raise BenchmarkError(problem)
    machine = machine_description(args.pg_dsn)
    print(f"machine: {machine}")
    print(f"hrgate: {args.measured}")
    generation_seconds = prepare_database(args, scale)
    counts = asyncio.run(row_counts(args.pg_dsn, args.database))
    print("rows: " + ", ".join(f"{table} {count:,}" for table, count in counts.items()))
    if args.generate_only:
        return 0
    expected = asyncio.run(read_expected(args.pg_dsn, args.database))
    cases = build_cases(expected)
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    log_path = RESULTS_DIR / f"analytics-{stamp}-hrgate.log"
    with tempfile.TemporaryDirectory(prefix="hrgate-analytics-") as scratch:
        results = measure(args, cases, expected, Identity(Path(scratch)), log_path)
    date = datetime.now(UTC).isoformat(timespec="seconds")
    table = markdown_table(results, repeats=args.repeats, timeout=args.timeout)
    print()
    print(f"{date}, {machine}; hrgate: {args.measured}; database {args.database} ({args.applications:,} applications,"
          f" {counts['employee']:,} hires); client wall time, one request at a time after one warm-up")  # fmt: skip
    print()
    print(table)
    print(f"\nGateway log: {log_path.relative_to(ROOT)}")
    if args.json:
        args.json.write_text(json.dumps({
            "date": date, "machine": machine, "hrgate": args.measured, "database": args.database,
            "scale": asdict(scale), "generation_seconds": generation_seconds, "row_counts": counts,
            "expected": {**asdict(expected), "links": sorted(expected.links)},
            "target_ms": TARGET_MS, "timeout_s": args.timeout, "repeats": args.repeats,
            "queries": [result.as_dict() for result in results],
        }, indent=2, ensure_ascii=False))  # fmt: skip
        print(f"Results: {args.json}")
    return 1 if any(result.status == "error" for result in results) else 0
