"""The markdown table for BENCHMARKS.md (median and max against the target, timeouts and errors spelt out) and
the machine description printed and saved with the numbers."""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path

from .measure import Measurement

TARGET_MS = 1000.0
"""Issue 11: each query within 1 s at 1,000,000 applications / 200,000 hires on this machine."""


def format_ms(value: float) -> str:
    if value >= 10_000:
        return f"{value / 1000:.1f} s"
    if value >= 1000:
        return f"{value / 1000:.2f} s"
    return f"{value:.0f} ms"


def markdown_table(results: list[Measurement], *, repeats: int, timeout: float) -> str:
    lines = [
        f"| query | median of {repeats} | max of {repeats} | target ≤ {TARGET_MS:,.0f} ms |",
        "|---|---|---|---|",
    ]
    notes = []
    for result in results:
        if result.status == "ok":
            assert result.median_ms is not None and result.max_ms is not None
            verdict = "met" if result.max_ms <= TARGET_MS else "missed"
            lines.append(f"| {result.label} | {format_ms(result.median_ms)} | {format_ms(result.max_ms)} | {verdict} |")
        elif result.status == "timeout":
            lines.append(f"| {result.label} | timeout (> {timeout:g} s) | timeout | missed |")
            notes.append(f"{result.key}: {result.detail}")
        else:
            lines.append(f"| {result.label} | error | error | — |")
            notes.append(f"{result.key}: ERROR {result.detail}")
    return "\n".join(lines + ([""] + notes if notes else []))


def machine_description(pg_dsn: str) -> str:
    model = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")),
        platform.processor(),
    )  # fmt: skip
    server = subprocess.run(["psql", pg_dsn + "/postgres", "-tAc", "SHOW server_version"], capture_output=True,
                            text=True, check=False).stdout.strip() or "unknown"  # fmt: skip
    return f"{os.cpu_count()} CPUs ({model}), PostgreSQL {server}, Python {platform.python_version()}"
