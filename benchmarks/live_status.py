"""Live-status push latency (issue 15, item 3): commit → Redis → two gateways → N websocket clients.

The project's own publish path, end to end:

1. a database of its own (SQLite in a temporary folder by default; ``--database-url`` for PostgreSQL),
   migrated with ``hrgate migrate``, one invited candidate's interview created through the schema;
2. two ``hrgate serve`` processes (production publish path: ``HRGATE_PUBSUB_URL`` Redis under a prefix of
   the run's own, a Redis broker so no embedded worker runs, connection limits raised for the run);
3. N graphql-transport-ws clients, one subscription per connection, alternating between the gateways, spread
   over ``--client-processes`` processes; each signs in as an ``hr_admin`` person (a bearer token of the
   run's own identity provider) and subscribes to ``interviewStatus`` of the one interview;
4. the interview is moved to SCORING, then ``--events`` progress events are committed one after another
   (``move_interview`` in a unit of work: commit, then publish — what a scoring worker does), ``--interval``
   seconds apart;
5. per event and client, latency = client receive time − the moment the commit returned (the first
   after-commit callback, run before the publish);
   printed as p50 / p99 / max in milliseconds, with a check that every client received every event exactly
   once (any loss or duplicate is reported and fails the run).

Run it by hand (never from the test suite), with Redis on 127.0.0.1:6379::

    .venv/bin/python benchmarks/live_status.py --subscribers 1 100 500 1000

The target is p99 ≤ 100 ms at 1,000 subscribers over two gateways, measured on a quiet machine: the
clients share the CPUs with the gateways, so a busy machine measures itself.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the checkout's gateway and its test factories
SUBSCRIPTION = "subscription($id: ID!) { interviewStatus(id: $id) { status answersScored answersTotal } }"


def _environment(data_dir: Path, database_url: str, redis_url: str, prefix: str) -> dict[str, str]:
    from tests.tokens import IDP_ISSUER, write_idp_jwks

    env = {key: value for key, value in os.environ.items() if not key.startswith("HRGATE_")}
    env.update(
        PYTHONPATH=str(ROOT),
        HRGATE_DATA_DIR=str(data_dir),
        HRGATE_DATABASE_URL=database_url,
        HRGATE_PUBSUB_URL=redis_url,
        HRGATE_PUBSUB_PREFIX=prefix,
        HRGATE_BROKER_URL=redis_url,
        HRGATE_RATE_LIMIT_URL="",
        HRGATE_RATE_LIMIT_PER_MINUTE="1000000",
        HRGATE_WEBSOCKET_CONNECTIONS_PER_ADDRESS="100000",
        HRGATE_JWKS_PATH=str(write_idp_jwks(data_dir / "idp-jwks.json")),
        HRGATE_JWT_ISSUER=IDP_ISSUER,
    )
    return env


def _hrgate(*arguments: str) -> list[str]:
    return [
        sys.executable,
        "-c",
        "import sys; from gateway.cli import main; sys.argv[0] = 'hrgate'; main()",
        *arguments,
    ]


async def _prepare_interview() -> tuple[str, int]:
    """An invited candidate's interview, created through the schema as the tests do; (global id, database id)."""
    import workers.actors  # noqa: F401 - declares the actors the set-up's mutations enqueue
    from schema.ids import decode_id
    from tests.graphql_client import GraphQLClient
    from tests.interview_helpers import invited_candidate

    invited = await invited_candidate(GraphQLClient())
    return invited.interview_id, decode_id(invited.interview_id, "Interview", "id")


async def _publish_events(interview_id: int, count: int, interval: float) -> dict[int, float]:
    """Moves the interview to SCORING, then commits ``count`` progress events; {answers scored: committed at}."""
    from gateway.db import unit_of_work
    from gateway.models import Interview
    from gateway.models.enums import InterviewStatus
    from resolvers.services.interview_status import move_interview

    for status in ("IN_PROGRESS", "SUBMITTED", "QUEUED", "SCORING"):
        async with unit_of_work() as uow:
            interview = await uow.session.get(Interview, interview_id)
            move_interview(interview, InterviewStatus[status], uow=uow, answers_scored=0, answers_total=count)
    await asyncio.sleep(1.0)  # the clients have seen the moves before the measured events begin
    committed: dict[int, float] = {}
    for scored in range(1, count + 1):
        async with unit_of_work() as uow:
            interview = await uow.session.get(Interview, interview_id)
            # Runs first of the after-commit callbacks: the moment the change is durable, before the publish.
            uow.after_commit(lambda scored=scored: committed.__setitem__(scored, time.time()))
            move_interview(interview, InterviewStatus.SCORING, uow=uow, answers_scored=scored, answers_total=count)
        await asyncio.sleep(interval)
    return committed


def _client_process(urls: list[str], token: str, interview_id: str, events: int, ready, results) -> None:
    """One process's share of the clients; puts {client: [(answers scored, received at), ...]} on ``results``."""
    import websockets

    async def client(number: int, url: str, received: dict[int, list]) -> None:
        socket = await websockets.connect(url, subprotocols=["graphql-transport-ws"], max_queue=None)
        await socket.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}))
        assert json.loads(await socket.recv())["type"] == "connection_ack"
        await socket.send(
            json.dumps(
                {"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIPTION, "variables": {"id": interview_id}}}
            )
        )
        first = json.loads(await socket.recv())
        assert first["type"] == "next", first
        ready.put(1)
        log = received[number] = []
        try:
            while True:
                message = json.loads(await socket.recv())
                now = time.time()
                if message["type"] != "next":
                    log.append(("unexpected", message))
                    return
                event = message["payload"]["data"]["interviewStatus"]
                if event["status"] == "SCORING" and event["answersScored"]:
                    log.append((event["answersScored"], now))
                    if event["answersScored"] == events:
                        return
        finally:
            await socket.close()

    async def run() -> None:
        received: dict[int, list] = {}
        tasks = []
        for number, url in enumerate(urls):
            tasks.append(asyncio.create_task(client(number, url, received)))
            if number % 50 == 49:
                await asyncio.sleep(0.05)  # opening a thousand sockets at once is not what is measured
        await asyncio.wait(tasks, timeout=120 + events * 5)
        results.put({number: log for number, log in received.items()})

    asyncio.run(run())


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def measure(base_urls: list[str], subscribers: int, arguments) -> dict:
    """One run on a fresh interview (its status moves only forward)."""
    from gateway.db import dispose_engine
    from tests.tokens import person_token

    interview = await _prepare_interview()
    token = person_token("bench-hr", "hr_admin", exp=int(time.time()) + 3600)
    ws_urls = [url.replace("http://", "ws://") + "/graphql" for url in base_urls]
    context = multiprocessing.get_context("spawn")
    ready, results = context.Queue(), context.Queue()
    processes_count = max(1, min(arguments.client_processes, subscribers))
    shares = [
        [ws_urls[index % len(ws_urls)] for index in range(part, subscribers, processes_count)]
        for part in range(processes_count)
    ]
    workers = [
        context.Process(target=_client_process, args=(share, token, interview[0], arguments.events, ready, results))
        for share in shares
    ]
    for worker in workers:
        worker.start()
    loop = asyncio.get_running_loop()
    for _ in range(subscribers):
        await loop.run_in_executor(None, lambda: ready.get(timeout=180))
    began = await _publish_events(interview[1], arguments.events, arguments.interval)
    await dispose_engine()
    logs = {}
    for part in range(processes_count):
        for number, log in (await loop.run_in_executor(None, lambda: results.get(timeout=300))).items():
            logs[(part, number)] = log
    for worker in workers:
        worker.join(timeout=30)
    latencies, problems = [], []
    for client, log in logs.items():
        seen = [entry[0] for entry in log]
        if seen != list(range(1, arguments.events + 1)):
            problems.append((client, seen[:20]))
        latencies.extend((received - began[scored]) * 1000 for scored, received in log if scored in began)
    if len(logs) != subscribers:
        problems.append(("clients that reported", len(logs)))
    return {
        "subscribers": subscribers,
        "events": arguments.events,
        "deliveries": len(latencies),
        "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "p99_ms": round(_percentile(latencies, 0.99), 1) if latencies else None,
        "max_ms": round(max(latencies), 1) if latencies else None,
        "exactly_once": not problems,
        "problems": problems[:5],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, nargs="+", default=[1, 100, 500, 1000])
    parser.add_argument("--events", type=int, default=30, help="progress events per run")
    parser.add_argument("--interval", type=float, default=0.2, help="seconds between events")
    parser.add_argument("--client-processes", type=int, default=4)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--database-url", default="", help="default: SQLite in the run's temporary folder")
    arguments = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="hrgate-live-bench-"))
    database_url = arguments.database_url or f"sqlite+aiosqlite:///{data_dir}/bench.db"
    prefix = f"hrgate-bench-{uuid.uuid4().hex[:8]}:"
    env = _environment(data_dir, database_url, arguments.redis_url, prefix)
    os.environ.update(env)  # this process commits the events through the same settings (publish path included)
    os.environ["HRGATE_BROKER_URL"] = ""  # its set-up's jobs (invitation e-mails) stay in-process, never run
    subprocess.run(_hrgate("migrate"), env=env, check=True, cwd=ROOT)

    from tests import processes

    gateways, base_urls = [], []
    try:
        for number in range(2):
            port = processes.free_port()
            log = data_dir / f"gateway-{number}.log"
            gateways.append((processes.start(_hrgate("serve", "--port", str(port), "--no-demo"), env, log), log))
            base_urls.append(f"http://127.0.0.1:{port}")
        for (process, log), url in zip(gateways, base_urls, strict=True):
            processes.wait_ready(url, process, log)
        rows = [asyncio.run(measure(base_urls, count, arguments)) for count in arguments.subscribers]
    finally:
        for process, _ in gateways:
            processes.stop(process)
    print(json.dumps(rows, indent=2))
    print("\n| subscribers | events | deliveries | p50 ms | p99 ms | max ms | every event exactly once |")
    print("|---:|---:|---:|---:|---:|---:|---|")
    for row in rows:
        print(
            f"| {row['subscribers']:,} | {row['events']} | {row['deliveries']:,} | {row['p50_ms']} | {row['p99_ms']} "
            f"| {row['max_ms']} | {'yes' if row['exactly_once'] else 'NO'} |"
        )
    if not all(row["exactly_once"] for row in rows):
        sys.exit(1)


if __name__ == "__main__":
    main()
