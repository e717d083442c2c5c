"""SQL statements per request, counted from the PostgreSQL server log (``log_statement = 'all'`` on the
benchmark database only), because the log sees every statement whatever client library a server uses."""

from __future__ import annotations

import re
import time
from collections import Counter
from pathlib import Path

import httpx

from .servers import Server
from .workloads import Workload

STATEMENT_LINE = re.compile(r"\] \S*@(?P<db>\S+) LOG:  (?:statement|execute [^:]*): (?P<sql>.*)")


def count_statements(
    server: Server, workload: Workload, log_path: Path, database: str, requests: int
) -> tuple[float, Counter[str]]:
    """Sends ``requests`` requests one after another and counts the statements the server log shows."""
    offset = log_path.stat().st_size
    bodies = workload.bodies[server.name]
    with httpx.Client(timeout=120) as client:
        for index in range(requests):
            body = bodies[index % len(bodies)]
            server.post(client, body["query"], body.get("variables"))
    time.sleep(1.0)  # anything the server does after answering (after-commit work) lands in the log too
    with log_path.open("rb") as log:
        log.seek(offset)
        text = log.read().decode("utf-8", "replace")
    kinds: Counter[str] = Counter()
    for match in STATEMENT_LINE.finditer(text):
        if match["db"] == database:
            words = match["sql"].strip().rstrip(";").split()
            kinds[words[0].upper() if words else "ping (;)"] += 1
    return sum(kinds.values()) / requests, kinds


def describe_kinds(kinds: Counter[str], requests: int) -> str:
    return ", ".join(f"{count / requests:g} {kind}" for kind, count in kinds.most_common())
