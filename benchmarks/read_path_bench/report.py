"""The markdown report for BENCHMARKS.md: the summary table (ranges over rounds, ratio of medians), every run,
the machine description and the note on how each number was counted."""

from __future__ import annotations

import math
import os
import platform
import statistics
import subprocess
from pathlib import Path
from typing import Any

from .layout import NODE
from .workloads import Workload
from .wrk import Run

METHOD_NOTE = """\
Statements: `statement`/`execute` lines of {database} sessions in the PostgreSQL log (`log_statement = 'all'`
on that database only, servers started for it and restarted without it before the load), {requests} requests
sent one at a time; transaction control and pool pings count. Server CPU: utime + stime of the one server
process. Database CPU: the same for the backends serving that server's connections (found by client port,
sampled every 0.2 s; other sessions, autovacuum and shared background processes left out). Both are counted
until the server is idle again after wrk stops, and divided by the requests wrk finished plus one per
connection (in flight when wrk stopped; the server completes it). Others' CPU: the share of the machine's CPUs
used during a run by everything else (other work on a shared machine; a noisy run shows there). A run lasts
--duration seconds, longer for slow requests (each connection finishes about 10). Ratios compare medians over
the rounds; cells give the range over the rounds."""


def format_ms(value: float) -> str:
    if math.isnan(value):
        return "n/a"
    if value >= 1000:
        return f"{value / 1000:.2f} s"
    if value >= 100:
        return f"{value:.0f} ms"
    if value >= 10:
        return f"{value:.1f} ms"
    return f"{value:.2f} ms"


def format_rps(value: float) -> str:
    if math.isnan(value):
        return "n/a"
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def _span(values: list[float], formatter) -> str:  # noqa: ANN001
    low, high = formatter(min(values)), formatter(max(values))
    return low if low == high else f"{low}–{high}"


def markdown_report(results: dict[str, Any], workloads: list[Workload], names: tuple[str, str]) -> str:
    ours, theirs = names
    runs = [Run(**run) for run in results["runs"]]
    lines = [f"| | {ours} | {theirs} | ratio {ours} / {theirs} (medians) |", "|---|---|---|---|"]

    def row(label: str, key: str, formatter, workload: Workload) -> None:  # noqa: ANN001
        values = {
            name: [
                getattr(run, key)
                for run in runs
                if run.system == name and run.workload == workload.key and not math.isnan(getattr(run, key))
            ]
            for name in names
        }
        if not values[ours] or not values[theirs]:
            return
        denominator = statistics.median(values[theirs])
        quotient = statistics.median(values[ours]) / denominator if denominator else None
        ratio_text = "" if quotient is None else (f"{quotient:.3f}" if quotient < 0.1 else f"{quotient:.2f}")
        lines.append(
            f"| {label}, {workload.label} | {_span(values[ours], formatter)} | {_span(values[theirs], formatter)} "
            f"| {ratio_text} |"
        )

    for workload in workloads:
        row("rps", "rps", format_rps, workload)
        row("p50", "p50_ms", format_ms, workload)
        row("p99", "p99_ms", format_ms, workload)
        row("server CPU / request", "server_cpu_ms", format_ms, workload)
        row("database CPU / request", "database_cpu_ms", format_ms, workload)
    for workload in workloads:
        counted = results["statements"].get(workload.key)
        if counted:
            lines.append(
                f"| SQL statements / request, {workload.label} | {counted[ours]['per_request']:g} "
                f"({counted[ours]['kinds']}) | {counted[theirs]['per_request']:g} ({counted[theirs]['kinds']}) | |"
            )
    memory = results["rss_mib"]
    lines.append(
        f"| RSS idle → after load | {memory[ours]['idle']:.0f} → {memory[ours]['after']:.0f} MiB "
        f"| {memory[theirs]['idle']:.0f} → {memory[theirs]['after']:.0f} MiB | |"
    )
    errors = {name: sum(run.errors for run in runs if run.system == name) for name in names}
    lines.append(f"| wrk errors (all runs) | {errors[ours]} | {errors[theirs]} | |")

    per_run = [
        "",
        "Every run:",
        "",
        "| round | workload | system | seconds | requests | rps | p50 | p99 | server CPU / req "
        "| database CPU / req | errors | others' CPU |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    labels = {workload.key: workload.label for workload in workloads}
    per_run += [
        f"| {run.round} | {labels[run.workload]} | {run.system} | {run.seconds} | {run.requests} "
        f"| {format_rps(run.rps)} | {format_ms(run.p50_ms)} | {format_ms(run.p99_ms)} "
        f"| {format_ms(run.server_cpu_ms)} | {format_ms(run.database_cpu_ms)} | {run.errors} "
        f"| {run.others_cpu_share:.0%} |"
        for run in runs
    ]
    return "\n".join(lines + per_run)


def machine_description() -> str:
    model = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")),
        platform.processor(),
    )  # fmt: skip
    node = subprocess.run([NODE, "--version"], capture_output=True, text=True, check=False).stdout.strip()
    return f"{os.cpu_count()} CPUs ({model}), Python {platform.python_version()}, Node {node}"
