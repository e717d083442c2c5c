"""Timing the queries against one hrgate process: one warm-up, then ``--repeats`` timed requests per query, sent
one at a time (client wall time, request sent to answer read). A request unanswered after ``--timeout`` seconds
ends that query as a timeout; the gateway is then restarted and the database's remaining sessions ended, so the
abandoned work does not slow the next query down."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import asyncpg
import httpx
from read_path_bench.servers import Identity, Server, start_hrgate

from .checks import payload_problems
from .expected import Expected
from .queries import Case


@dataclass
class Measurement:
    key: str
    label: str
    status: str
    """``ok``, ``timeout`` (a request unanswered within the timeout) or ``error`` (errors or wrong figures)."""
    samples_ms: list[float] = field(default_factory=list)
    warmup_ms: float | None = None
    detail: str | None = None

    @property
    def median_ms(self) -> float | None:
        return statistics.median(self.samples_ms) if self.samples_ms else None

    @property
    def max_ms(self) -> float | None:
        return max(self.samples_ms) if self.samples_ms else None

    def as_dict(self) -> dict:
        return {**asdict(self), "median_ms": self.median_ms, "max_ms": self.max_ms}


async def _end_sessions(base_dsn: str, database: str) -> int:
    """End every session of the benchmark database (the stopped gateway's queries may still be running)."""
    admin = await asyncpg.connect(f"{base_dsn}/postgres")
    try:
        return len(await admin.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            database))  # fmt: skip
    finally:
        await admin.close()


class Gateway:
    """The measured hrgate process, restartable after a timeout."""

    def __init__(self, args: argparse.Namespace, identity: Identity, log_path: Path) -> None:
        self.args, self.identity, self.log_path = args, identity, log_path
        self.server: Server | None = None

    def __enter__(self) -> Gateway:
        self.server = start_hrgate(self.args, self.identity, self.log_path)
        return self

    def restart(self) -> None:
        self.__exit__()
        ended = asyncio.run(_end_sessions(self.args.pg_dsn, self.args.database))
        print(f"  restarting hrgate ({ended} database sessions ended)", flush=True)
        self.__enter__()

    def __exit__(self, *_exception: object) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None


def measure_case(gateway: Gateway, case: Case, expected: Expected, args: argparse.Namespace) -> Measurement:
    assert gateway.server is not None
    server, result = gateway.server, Measurement(case.key, case.label, "ok")
    body = {"query": case.document, "variables": case.variables}
    with httpx.Client(timeout=httpx.Timeout(args.timeout, connect=10.0)) as client:
        for attempt in range(1 + args.repeats):
            which = "warm-up" if attempt == 0 else f"request {attempt}"
            started = time.perf_counter()
            try:
                response = client.post(server.url, json=body, headers=server.headers)
            except httpx.TimeoutException:
                result.status, result.detail = "timeout", f"{which}: no answer within {args.timeout:g} s"
                break
            elapsed_ms = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                problems = [f"HTTP {response.status_code}: {response.text[:500]}"]
            else:
                problems = payload_problems(response.json(), case.field, expected, case.check)
            if problems:
                result.status = "error"
                result.detail = f"{which} ({elapsed_ms:.0f} ms): " + "; ".join(problems)[:2000]
                break
            if attempt == 0:
                result.warmup_ms = elapsed_ms
            else:
                result.samples_ms.append(elapsed_ms)
            print(f"  {case.key} {which}: {elapsed_ms:,.0f} ms", flush=True)
    if result.status != "ok":
        print(f"  {case.key}: {result.status.upper()}: {result.detail} (gateway log: {gateway.log_path})",
              flush=True)  # fmt: skip
    return result


def measure(
    args: argparse.Namespace, cases: list[Case], expected: Expected, identity: Identity, log_path: Path
) -> list[Measurement]:
    results = []
    with Gateway(args, identity, log_path) as gateway:
        for index, case in enumerate(cases):
            result = measure_case(gateway, case, expected, args)
            results.append(result)
            if result.status == "timeout" and index + 1 < len(cases):
                gateway.restart()
    return results
