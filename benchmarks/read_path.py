"""Read-path benchmark: hrgate against PostGraphile 4.14.1 on the same PostgreSQL data (issue 9).

What it measures, end to end, with one command:

1. fills a PostgreSQL database of its own (``hrgate_bench``; dropped and recreated, schema from
   hrgate's alembic migrations): 1,000 requisitions × 6 applications, each application with its own
   candidate, one scored interview, an interview report (total, percentile) and three dimension
   scores. An existing fill is reused (``--refill`` forces a new one);
2. installs PostGraphile 4.14.1 with ``npm ci`` into ``benchmarks/postgraphile/`` (committed lockfile)
   and starts one PostGraphile process and one hrgate process (production mode, a real RS256 bearer
   token of an ``hr_admin`` person verified against a JWKS file, permissions applied, every report
   read audited, the rate limit raised so wrk is not throttled);
3. checks that the anchor query (20 requisitions × their first 5 applications × candidate name and
   email × latest interview status × its report total and percentile: 100 leaf rows) returns the same
   rows from both, and stops if not;
4. counts the SQL statements each request costs (``log_statement = 'all'`` set on the benchmark
   database only, the server log read between requests: every ``statement:`` / ``execute`` line of a
   session of ``hrgate_bench``, BEGIN/COMMIT/ROLLBACK and pool pings included), then restarts both
   servers without statement logging;
5. runs wrk (2 threads), alternating the two systems, ``--rounds`` times: the anchor query at 10 and
   50 connections, the floor query ``{ __typename }`` at 10, and a mutation (``requisitionUpdate`` /
   PostGraphile's ``updateRequisitionById``, headcount of 80 requisitions in turn) at 10. Per run:
   requests per second, p50 and p99 latency, CPU seconds per request of the server process and of the
   PostgreSQL backends serving ``hrgate_bench`` (utime + stime from ``/proc``), and the servers' RSS
   idle and after load;
6. prints markdown tables for BENCHMARKS.md and writes the raw numbers to ``benchmarks/results/``.

Run it by hand (never from the test suite), with PostgreSQL on 127.0.0.1:5432 (user ``postgres``,
trust auth, readable server log), Redis on 127.0.0.1:6379, Node 20 and wrk installed::

    .venv/bin/python benchmarks/read_path.py            # 7–12 minutes with the defaults
    .venv/bin/python benchmarks/read_path.py --duration 5 --rounds 1   # a quick look
    .venv/bin/python benchmarks/read_path.py --hrgate-ref dbf2c48  # another commit, by git archive

The machine may be shared: each run waits briefly for other processes to go quiet and reports the share of
CPU they used meanwhile ("others' CPU"); compare runs where it is low.

Both servers keep their default logging (uvicorn's access log, PostGraphile's query log), written to
files under ``benchmarks/results/``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from joserfc import jwt
from joserfc.jwk import RSAKey

ROOT = Path(__file__).resolve().parent.parent
POSTGRAPHILE_DIR = Path(__file__).resolve().parent / "postgraphile"
POSTGRAPHILE_VERSION = "4.14.1"
RESULTS_DIR = Path(__file__).resolve().parent / "results"
NODE = "/usr/bin/node"

ISSUER = "https://idp.bench.example"
AUDIENCE = "hrgate"
APPLICATIONS_PER_REQUISITION = 6
DIMENSIONS = (("numeracy", "数字能力", "Numeracy", 0.4), ("service", "服务意识", "Service", 0.35),
              ("compliance", "合规意识", "Compliance", 0.25))  # fmt: skip
STATEMENT_LINE = re.compile(r"\] \S*@(?P<db>\S+) LOG:  (?:statement|execute [^:]*): (?P<sql>.*)")

HRGATE_ANCHOR = """query Anchor {
  requisitions(first: 20) {
    edges { node {
      id title
      applications(first: 5) { edges { node {
        id
        candidate { fullName email }
        latestInterview { status report { total percentile } }
      } } }
    } }
  }
}"""

POSTGRAPHILE_ANCHOR = """query Anchor {
  allRequisitions(first: 20, orderBy: ID_ASC) {
    nodes {
      id title
      applicationsByRequisitionId(first: 5, orderBy: ID_ASC) { nodes {
        id
        candidateByCandidateId { fullName email }
        interviewsByApplicationId(orderBy: ID_DESC, first: 1) {
          nodes { status interviewReportByInterviewId { total percentile } }
        }
      } }
    }
  }
}"""

FLOOR = "{ __typename }"

HRGATE_MUTATION = """mutation Move($input: RequisitionUpdateInput!) {
  requisitionUpdate(input: $input) { requisition { id headcount } errors { field message code } }
}"""

POSTGRAPHILE_MUTATION = """mutation Move($id: Int!, $headcount: Int!) {
  updateRequisitionById(input: {id: $id, requisitionPatch: {headcount: $headcount}}) { requisition { id headcount } }
}"""

HRGATE_MUTATION_TARGETS = """query Targets {
  requisitions(first: 100) { edges { node { id title } } }
}"""

POSTGRAPHILE_MUTATION_TARGETS = """query Targets {
  allRequisitions(first: 100, orderBy: ID_ASC) { nodes { id title } }
}"""

WRK_SCRIPT = """-- generated by benchmarks/read_path.py
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
{authorization}
local bodies = {{
{bodies}
}}
if #bodies == 1 then
  wrk.body = bodies[1]
else
  local index = 0
  request = function()
    index = index % #bodies + 1
    return wrk.format(nil, nil, nil, bodies[index])
  end
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {{"requests": %d, "duration_us": %d, "connect_errors": %d, "read_errors": %d, ' ..
    '"write_errors": %d, "status_errors": %d, "timeouts": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, ' ..
    '"mean_us": %.1f, "max_us": %d}}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean, latency.max))
end
"""


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


class BenchmarkError(Exception):
    """A precondition failed or the two systems disagree: the message says which."""


# --------------------------------------------------------------------------------------------- data


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


async def _set_statement_logging(base_dsn: str, database: str, *, enabled: bool) -> None:
    admin = await _connect(base_dsn, "postgres")
    try:
        if enabled:
            await admin.execute(f"ALTER DATABASE \"{database}\" SET log_statement = 'all'")
        else:
            await admin.execute(f'ALTER DATABASE "{database}" RESET log_statement')
    finally:
        await admin.close()


async def _audit_rows(base_dsn: str, database: str) -> int:
    connection = await _connect(base_dsn, database)
    try:
        return int(await connection.fetchval("SELECT count(*) FROM audit_event"))
    finally:
        await connection.close()


# ------------------------------------------------------------------------------------------ processes


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def cpu_ticks(pid: int) -> int:
    """utime + stime of all the process's threads, in clock ticks (fields 14 and 15 of /proc/<pid>/stat)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise BenchmarkError(f"no VmRSS for process {pid}")


TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def database_client_ports(pid: int, database_port: int) -> set[int]:
    """Local ports of the process's TCP connections to PostgreSQL (its socket inodes looked up in /proc/net/tcp*)."""
    inodes = set()
    for descriptor in os.scandir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(descriptor.path)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table, encoding="ascii") as sockets:
            next(sockets)
            for line in sockets:
                columns = line.split()
                local, remote, inode = columns[1], columns[2], columns[9]
                if inode in inodes and int(remote.rsplit(":", 1)[1], 16) == database_port:
                    ports.add(int(local.rsplit(":", 1)[1], 16))
    return ports


BACKEND_TITLE = re.compile(rb"^postgres: .*? (?P<database>\S+) [^ ]+\((?P<port>\d+)\) ")


def database_backends(database: str, client_ports: set[int]) -> dict[int, int]:
    """CPU ticks of the PostgreSQL backends serving ``database`` for the given client ports.

    A backend's process title names its database and its client's address and port, so other people's
    sessions on the same database, autovacuum and background processes are left out.
    """
    ticks: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/cmdline", "rb") as cmdline:
                title = BACKEND_TITLE.match(cmdline.read())
            if title and title["database"] == database.encode() and int(title["port"]) in client_ports:
                ticks[int(entry.name)] = cpu_ticks(int(entry.name))
        except OSError:
            continue
    return ticks


class DatabaseCpu(threading.Thread):
    """CPU of the backends serving one server's connections, sampled every 0.2 s so that connections the
    server opens and closes during a run are counted too."""

    def __init__(self, database: str, server_pid: int, database_port: int) -> None:
        super().__init__(daemon=True)
        self.database, self.server_pid, self.database_port = database, server_pid, database_port
        self.baseline = self._sample()
        self.latest = dict(self.baseline)
        self._stop_event = threading.Event()

    def _sample(self) -> dict[int, int]:
        return database_backends(self.database, database_client_ports(self.server_pid, self.database_port))

    def run(self) -> None:
        while not self._stop_event.wait(0.2):
            self.latest.update(self._sample())

    def finish(self) -> float:
        self._stop_event.set()
        self.join()
        self.latest.update(self._sample())
        ticks = sum(value - self.baseline.get(pid, 0) for pid, value in self.latest.items())
        return ticks / TICKS_PER_SECOND


def machine_busy_ticks() -> int:
    """Non-idle CPU ticks of the whole machine, all cores (first line of /proc/stat)."""
    with open("/proc/stat", encoding="ascii") as stat:
        user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in stat.readline().split()[1:9])
    return user + nice + system + irq + softirq + steal


def own_ticks() -> float:
    """CPU used by this driver and its finished children (wrk), in ticks."""
    mine, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return (mine.ru_utime + mine.ru_stime + children.ru_utime + children.ru_stime) * TICKS_PER_SECOND


def wait_until_quiet(max_wait_seconds: float, threshold: float = 0.15) -> float:
    """The machine is shared: wait (bounded) until other processes use under ``threshold`` of its CPUs.

    Returns the share measured last (0–1), printed with each run so a noisy run can be told apart.
    """
    deadline = time.monotonic() + max_wait_seconds
    while True:
        busy, started = machine_busy_ticks(), time.monotonic()
        time.sleep(1.0)
        share = (machine_busy_ticks() - busy) / (TICKS_PER_SECOND * (time.monotonic() - started) * os.cpu_count())
        if share < threshold or time.monotonic() >= deadline:
            return share


def wait_until_idle(pid: int, max_wait_seconds: float = 120) -> None:
    """When wrk stops, each connection still has one request in the server: let the server finish them, so
    their cost is counted in this run and does not spill into the next one."""
    deadline = time.monotonic() + max_wait_seconds
    before = cpu_ticks(pid)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = cpu_ticks(pid)
        if now - before <= 0.02 * 0.5 * TICKS_PER_SECOND:  # under 2 % of a core for half a second
            return
        before = now


@dataclass
class Server:
    name: str
    url: str
    process: subprocess.Popen[bytes]
    headers: dict[str, str] = field(default_factory=dict)
    log_path: Path | None = None

    @property
    def pid(self) -> int:
        return self.process.pid

    def post(self, client: httpx.Client, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = client.post(self.url, json={"query": query, "variables": variables or {}}, headers=self.headers)
        if response.status_code != 200:
            raise BenchmarkError(f"{self.name} answered HTTP {response.status_code}: {response.text[:500]}")
        body = response.json()
        if body.get("errors"):
            raise BenchmarkError(f"{self.name} answered errors: {json.dumps(body['errors'])[:1000]}")
        return body["data"]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _wait_ready(server: Server, probe: str, deadline_seconds: float = 90) -> None:
    deadline = time.monotonic() + deadline_seconds
    with httpx.Client(timeout=5) as client:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                raise BenchmarkError(f"{server.name} exited with {server.process.returncode}; see {server.log_path}")
            try:
                if client.get(probe).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.3)
    raise BenchmarkError(f"{server.name} did not start within {deadline_seconds:.0f} s; see {server.log_path}")


@dataclass
class Identity:
    """A test identity provider: an RSA key whose public half hrgate reads from a JWKS file."""

    directory: Path
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, auto_kid=True))

    @property
    def jwks_path(self) -> Path:
        path = self.directory / "jwks.json"
        if not path.exists():
            path.write_text(json.dumps({"keys": [self.key.as_dict(private=False)]}))
        return path

    def hr_admin_token(self) -> str:
        now = int(time.time())
        claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "bench-hr-admin", "iat": now, "exp": now + 4 * 3600,
                  "jti": uuid.uuid4().hex, "roles": ["hr_admin"], "email": "hr.admin@bank.example"}  # fmt: skip
        return jwt.encode({"alg": "RS256", "kid": self.key.kid}, claims, self.key, algorithms=["RS256"])


def hrgate_environment(args: argparse.Namespace) -> dict[str, str]:
    """No ``HRGATE_*`` from the caller; the measured tree first on the path (before the editable install)."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("HRGATE_")}
    environment["PYTHONPATH"] = str(args.hrgate_tree)
    return environment


def start_hrgate(args: argparse.Namespace, identity: Identity, log_path: Path) -> Server:
    port = free_port()
    environment = hrgate_environment(args)
    environment.update(
        HRGATE_ENVIRONMENT="production",
        HRGATE_DATABASE_URL=f"postgresql+asyncpg://{args.pg_address}/{args.database}",
        HRGATE_BROKER_URL=args.broker_url,  # production: a separate worker; nothing is enqueued here
        HRGATE_DATA_DIR=str(identity.directory / "hrgate-data"),
        HRGATE_PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        HRGATE_JWKS_PATH=str(identity.jwks_path),
        HRGATE_JWT_ISSUER=ISSUER,
        HRGATE_JWT_AUDIENCE=AUDIENCE,
        HRGATE_RATE_LIMIT_PER_MINUTE="100000000",
    )
    command = [str(ROOT / ".venv" / "bin" / "hrgate"), "serve", "--host", "127.0.0.1", "--port", str(port)]
    with log_path.open("ab") as log:
        process = subprocess.Popen(command, cwd=args.hrgate_tree, env=environment, stdout=log, stderr=subprocess.STDOUT)
    server = Server("hrgate", f"http://127.0.0.1:{port}/graphql", process, log_path=log_path)
    server.headers = {"Authorization": f"Bearer {identity.hr_admin_token()}"}
    _wait_ready(server, f"http://127.0.0.1:{port}/healthz")
    return server


def install_postgraphile() -> Path:
    cli = POSTGRAPHILE_DIR / "node_modules" / "postgraphile" / "cli.js"
    installed = POSTGRAPHILE_DIR / "node_modules" / "postgraphile" / "package.json"
    if not installed.exists() or json.loads(installed.read_text())["version"] != POSTGRAPHILE_VERSION:
        print(f"npm ci: PostGraphile {POSTGRAPHILE_VERSION} into {POSTGRAPHILE_DIR.relative_to(ROOT)}/")
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=POSTGRAPHILE_DIR, check=True)
    return cli


def start_postgraphile(args: argparse.Namespace, cli: Path, log_path: Path) -> Server:
    port = free_port()
    command = [NODE, str(cli), "-c", f"postgres://{args.pg_address}/{args.database}", "--host", "127.0.0.1",
               "--port", str(port), "--disable-graphiql"]  # fmt: skip
    environment = dict(os.environ, NODE_ENV="production")
    with log_path.open("ab") as log:
        process = subprocess.Popen(command, cwd=POSTGRAPHILE_DIR, env=environment, stdout=log, stderr=subprocess.STDOUT)
    server = Server(f"PostGraphile {POSTGRAPHILE_VERSION}", f"http://127.0.0.1:{port}/graphql", process)
    server.log_path = log_path
    deadline = time.monotonic() + 60
    with httpx.Client(timeout=5) as client:
        while True:
            if process.poll() is not None:
                raise BenchmarkError(f"PostGraphile exited with {process.returncode}; see {log_path}")
            try:
                server.post(client, FLOOR)
                return server
            except (httpx.TransportError, BenchmarkError):
                if time.monotonic() > deadline:
                    raise BenchmarkError(f"PostGraphile did not start within 60 s; see {log_path}") from None
                time.sleep(0.3)


# ------------------------------------------------------------------------------------------- queries


def hrgate_rows(data: dict[str, Any]) -> list[tuple[Any, ...]]:
    rows = []
    for requisition in data["requisitions"]["edges"]:
        for application in requisition["node"]["applications"]["edges"]:
            node = application["node"]
            interview = node["latestInterview"]
            report = interview and interview["report"]
            rows.append(_leaf(requisition["node"]["title"], node["candidate"], interview, report))
    return rows


def postgraphile_rows(data: dict[str, Any]) -> list[tuple[Any, ...]]:
    rows = []
    for requisition in data["allRequisitions"]["nodes"]:
        for application in requisition["applicationsByRequisitionId"]["nodes"]:
            interviews = application["interviewsByApplicationId"]["nodes"]
            interview = interviews[0] if interviews else None
            report = interview and interview["interviewReportByInterviewId"]
            rows.append(_leaf(requisition["title"], application["candidateByCandidateId"], interview, report))
    return rows


def _leaf(title: str, candidate: dict[str, Any], interview: dict[str, Any] | None, report: dict[str, Any] | None):  # noqa: ANN202
    def number(value: float | None) -> float | None:
        return None if value is None else round(float(value), 6)

    return (
        title,
        candidate["fullName"],
        candidate["email"],
        interview["status"].lower() if interview else None,
        number(report["total"]) if report else None,
        number(report["percentile"]) if report else None,
    )


def check_same_rows(hrgate: Server, postgraphile: Server) -> int:
    with httpx.Client(timeout=60) as client:
        ours = hrgate_rows(hrgate.post(client, HRGATE_ANCHOR))
        theirs = postgraphile_rows(postgraphile.post(client, POSTGRAPHILE_ANCHOR))
    if ours != theirs:
        differences = [f"  hrgate {a}\n  PostGraphile {b}" for a, b in zip(ours, theirs, strict=False) if a != b]
        raise BenchmarkError(
            f"the anchor query answers differ (hrgate {len(ours)} rows, PostGraphile {len(theirs)}):\n"
            + "\n".join(differences[:5])
        )
    if len(ours) != 100 or any(None in row for row in ours):
        raise BenchmarkError(f"the anchor query should give 100 complete leaf rows, got {len(ours)}: {ours[:3]}")
    return len(ours)


def mutation_bodies(hrgate: Server, postgraphile: Server) -> dict[str, list[dict[str, Any]]]:
    """Requisitions 21–100 (outside the anchor page), each request moving the next one's headcount."""
    with httpx.Client(timeout=60) as client:
        ours = [edge["node"] for edge in hrgate.post(client, HRGATE_MUTATION_TARGETS)["requisitions"]["edges"]][20:]
        theirs = postgraphile.post(client, POSTGRAPHILE_MUTATION_TARGETS)["allRequisitions"]["nodes"][20:]
    if [row["title"] for row in ours] != [row["title"] for row in theirs] or len(ours) != 80:
        raise BenchmarkError("the two systems list different requisitions 21–100")
    return {
        hrgate.name: [
            {"query": HRGATE_MUTATION, "variables": {"input": {"id": row["id"], "headcount": 1 + index % 5}}}
            for index, row in enumerate(ours)
        ],
        postgraphile.name: [
            {"query": POSTGRAPHILE_MUTATION, "variables": {"id": row["id"], "headcount": 1 + index % 5}}
            for index, row in enumerate(theirs)
        ],
    }


def check_mutations(servers: list[Server], bodies: dict[str, list[dict[str, Any]]]) -> None:
    with httpx.Client(timeout=60) as client:
        for server in servers:
            body = bodies[server.name][0]
            data = server.post(client, body["query"], body["variables"])
            payload = data.get("requisitionUpdate") or data.get("updateRequisitionById")
            if not payload or payload.get("errors") or payload["requisition"]["headcount"] != 1:
                raise BenchmarkError(f"{server.name}'s mutation did not apply: {data}")


# --------------------------------------------------------------------------------------- SQL counting


@dataclass
class Workload:
    key: str
    label: str
    connections: int
    bodies: dict[str, list[dict[str, Any]]]


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


# ------------------------------------------------------------------------------------------------ wrk


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("installing wrk: apt-get install -y wrk")
        subprocess.run(["apt-get", "install", "-y", "wrk"], check=True, stdout=subprocess.DEVNULL)
        found = shutil.which("wrk")
    if not found:
        raise BenchmarkError("wrk is missing: apt-get install -y wrk")
    return found


def write_wrk_script(directory: Path, server: Server, workload: Workload) -> Path:
    def lua_string(text: str) -> str:
        if "]==]" in text:
            raise BenchmarkError("request body contains the Lua long-string terminator")
        return f"[==[{text}]==]"

    bodies = ",\n".join(lua_string(json.dumps(body, separators=(",", ":"))) for body in workload.bodies[server.name])
    authorization = "\n".join(f'wrk.headers["{name}"] = {lua_string(value)}' for name, value in server.headers.items())
    path = directory / f"{workload.key}-{server.name.split()[0].lower()}.lua"
    path.write_text(WRK_SCRIPT.format(authorization=authorization, bodies=bodies))
    return path


@dataclass
class Run:
    system: str
    workload: str
    connections: int
    round: int
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    server_cpu_ms: float
    database_cpu_ms: float
    requests: int
    seconds: float
    others_cpu_share: float
    """Share of the machine's CPUs used during the run by processes other than the server, its database
    backends, wrk and this driver (other people's work on a shared machine): above ~0.1 the run is noisy."""


def run_wrk(
    wrk: str,
    server: Server,
    workload: Workload,
    script: Path,
    *,
    seconds: int,
    args: argparse.Namespace,
    round_number: int,
) -> Run:
    command = [wrk, "-t2", f"-c{workload.connections}", f"-d{seconds}s", "--timeout", "60s", "--latency",
               "-s", str(script), server.url]  # fmt: skip
    server_before, machine_before, own_before = cpu_ticks(server.pid), machine_busy_ticks(), own_ticks()
    database_cpu = DatabaseCpu(args.database, server.pid, args.pg_port)
    database_cpu.start()
    started = time.monotonic()
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    wait_until_idle(server.pid)
    database_seconds = database_cpu.finish()
    elapsed = time.monotonic() - started
    server_seconds = (cpu_ticks(server.pid) - server_before) / TICKS_PER_SECOND
    ours = server_seconds + database_seconds + (own_ticks() - own_before) / TICKS_PER_SECOND
    machine_seconds = (machine_busy_ticks() - machine_before) / TICKS_PER_SECOND
    found = re.search(r"^BENCH_JSON (.*)$", completed.stdout, re.MULTILINE)
    if completed.returncode != 0 or not found:
        output = f"{completed.stdout[-500:]} {completed.stderr[-500:]}"
        raise BenchmarkError(f"wrk failed ({completed.returncode}): {output}")
    summary = json.loads(found[1])
    # CPU is counted until the server is idle again, so it covers the requests wrk finished plus the one each
    # connection still had in flight when wrk stopped (the server completes those too).
    served = summary["requests"] + workload.connections
    errors = sum(summary[key] for key in ("connect_errors", "read_errors", "write_errors", "status_errors", "timeouts"))
    return Run(
        system=server.name,
        workload=workload.key,
        connections=workload.connections,
        round=round_number,
        # no finished request: no rate or latency to report (the run was shorter than one request)
        rps=summary["requests"] / (summary["duration_us"] / 1e6) if summary["requests"] else math.nan,
        p50_ms=summary["p50_us"] / 1000 if summary["requests"] else math.nan,
        p99_ms=summary["p99_us"] / 1000 if summary["requests"] else math.nan,
        errors=errors,
        server_cpu_ms=1000 * server_seconds / served,
        database_cpu_ms=1000 * database_seconds / served,
        requests=summary["requests"],
        seconds=seconds,
        others_cpu_share=max(0.0, machine_seconds - ours) / (elapsed * os.cpu_count()),
    )


# -------------------------------------------------------------------------------------------- report


def _format_ms(value: float) -> str:
    if math.isnan(value):
        return "n/a"
    if value >= 1000:
        return f"{value / 1000:.2f} s"
    if value >= 100:
        return f"{value:.0f} ms"
    if value >= 10:
        return f"{value:.1f} ms"
    return f"{value:.2f} ms"


def _format_rps(value: float) -> str:
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
        row("rps", "rps", _format_rps, workload)
        row("p50", "p50_ms", _format_ms, workload)
        row("p99", "p99_ms", _format_ms, workload)
        row("server CPU / request", "server_cpu_ms", _format_ms, workload)
        row("database CPU / request", "database_cpu_ms", _format_ms, workload)
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
        f"| {_format_rps(run.rps)} | {_format_ms(run.p50_ms)} | {_format_ms(run.p99_ms)} "
        f"| {_format_ms(run.server_cpu_ms)} | {_format_ms(run.database_cpu_ms)} | {run.errors} "
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


# ---------------------------------------------------------------------------------------------- main


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--refill", action="store_true", help="drop and refill the benchmark database")
    parser.add_argument("--requisitions", type=int, default=1000, help="requisitions to create (6 applications each)")
    parser.add_argument("--duration", type=int, default=15, help="seconds per wrk run")
    parser.add_argument("--max-duration", type=int, default=40,
                        help="longest wrk run, for slow requests (each connection should finish 10)")  # fmt: skip
    parser.add_argument("--warmup", type=int, default=3, help="seconds of unrecorded load per system and workload")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds of every workload")
    parser.add_argument("--statement-requests", type=int, default=10, help="requests per SQL-statement count")
    parser.add_argument("--pg-address", default="postgres@127.0.0.1:5432", help="user@host:port, trust auth")
    parser.add_argument("--database", default="hrgate_bench")
    parser.add_argument("--pg-log", type=Path, default=Path("/var/log/postgresql/postgresql-15-main.log"),
                        help="the PostgreSQL server log (statements are counted from it)")  # fmt: skip
    parser.add_argument("--quiet-wait", type=float, default=10,
                        help="seconds to wait at most, before each run, for other processes to go quiet")  # fmt: skip
    parser.add_argument("--hrgate-ref", default=None,
                        help="measure this commit (exported with git archive) instead of the working tree")  # fmt: skip
    parser.add_argument("--broker-url", default="redis://127.0.0.1:6379/15",
                        help="hrgate's broker (production: no embedded worker; nothing is enqueued)")  # fmt: skip
    arguments = parser.parse_args()
    arguments.pg_dsn = f"postgresql://{arguments.pg_address}"
    arguments.pg_port = int(arguments.pg_address.rsplit(":", 1)[1]) if ":" in arguments.pg_address else 5432
    return arguments


def export_tree(reference: str, directory: Path) -> str:
    """``git archive`` of a commit into ``directory``: the checkout (and others' work in it) stays untouched."""
    commit = subprocess.run(["git", "rev-parse", "--verify", f"{reference}^{{commit}}"], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout.strip()  # fmt: skip
    archive = subprocess.run(["git", "archive", commit], cwd=ROOT, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(directory)], input=archive, check=True)
    return f"commit {commit[:12]}"


def describe_tree() -> str:
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False)
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True,
                           text=True, check=False).stdout.strip()  # fmt: skip
    return f"working tree at {commit.stdout.strip()[:12]}" + (" with uncommitted changes" if dirty else "")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="hrgate-tree-") as tree:
        args = parse_arguments()
        if args.hrgate_ref:
            args.hrgate_tree = Path(tree)
            args.measured = export_tree(args.hrgate_ref, args.hrgate_tree)
        else:
            args.hrgate_tree = ROOT
            args.measured = describe_tree()
        benchmark(args)


class Servers:
    """One hrgate and one PostGraphile process; started together, stopped together (also on errors)."""

    def __init__(self, args: argparse.Namespace, identity: Identity, cli: Path, stamp: str) -> None:
        self.args, self.identity, self.cli = args, identity, cli
        self.logs = {name: RESULTS_DIR / f"{stamp}-{name}.log" for name in ("hrgate", "postgraphile")}
        self.running: list[Server] = []

    def __enter__(self) -> tuple[Server, Server]:
        try:
            self.running.append(start_hrgate(self.args, self.identity, self.logs["hrgate"]))
            self.running.append(start_postgraphile(self.args, self.cli, self.logs["postgraphile"]))
        except BaseException:
            self.__exit__()
            raise
        return self.running[0], self.running[1]

    def __exit__(self, *_exception: object) -> None:
        for server in self.running:
            server.stop()
        self.running.clear()


def build_workloads(hrgate: Server, postgraphile: Server) -> list[Workload]:
    anchor = {hrgate.name: [{"query": HRGATE_ANCHOR}], postgraphile.name: [{"query": POSTGRAPHILE_ANCHOR}]}
    floor = {hrgate.name: [{"query": FLOOR}], postgraphile.name: [{"query": FLOOR}]}
    mutations = mutation_bodies(hrgate, postgraphile)
    check_mutations([hrgate, postgraphile], mutations)
    return [
        Workload("anchor-10", "anchor query, 10 connections", 10, anchor),
        Workload("anchor-50", "anchor query, 50 connections", 50, anchor),
        Workload("floor-10", "`{ __typename }`, 10 connections", 10, floor),
        Workload("mutation-10", "mutation (requisition headcount), 10 connections", 10, mutations),
    ]


def check_and_count(args: argparse.Namespace, servers: Servers) -> tuple[list[Workload], dict[str, Any]]:
    """Phase 1, with statement logging on the benchmark database only: same rows, audit, statements per request."""
    asyncio.run(_set_statement_logging(args.pg_dsn, args.database, enabled=True))
    try:
        with servers as (hrgate, postgraphile):
            rows = check_same_rows(hrgate, postgraphile)
            print(f"check: both systems return the same {rows} leaf rows for the anchor query")
            workloads = build_workloads(hrgate, postgraphile)
            audit_before = asyncio.run(_audit_rows(args.pg_dsn, args.database))
            with httpx.Client(timeout=60) as client:
                hrgate.post(client, HRGATE_ANCHOR)
            audited = asyncio.run(_audit_rows(args.pg_dsn, args.database)) - audit_before
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
        asyncio.run(_set_statement_logging(args.pg_dsn, args.database, enabled=False))
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
                        f"round {round_number} {workload.key:<12} {server.name:<20} {_format_rps(run.rps):>6} rps  "
                        f"p50 {_format_ms(run.p50_ms):>8}  p99 {_format_ms(run.p99_ms):>8}  "
                        f"server CPU {_format_ms(run.server_cpu_ms):>8}/req  "
                        f"db CPU {_format_ms(run.database_cpu_ms):>8}/req  errors {run.errors}  "
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


if __name__ == "__main__":
    try:
        main()
    except BenchmarkError as error:
        print(f"read_path benchmark stopped: {error}", file=sys.stderr)
        sys.exit(1)
