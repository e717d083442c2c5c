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
import sys
import tempfile
from pathlib import Path

# The parts live in read_path_bench/, one concept per module; this file is only the command line.
from read_path_bench.errors import BenchmarkError
from read_path_bench.layout import ROOT
from read_path_bench.phases import benchmark
from read_path_bench.tree import describe_tree, export_tree


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


if __name__ == "__main__":
    try:
        main()
    except BenchmarkError as error:
        print(f"read_path benchmark stopped: {error}", file=sys.stderr)
        sys.exit(1)
