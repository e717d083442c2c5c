"""Analytics benchmark: the four analytics queries at a million applications on PostgreSQL (issue 11, scale).

What it does, with one command:

1. generates a PostgreSQL database of its own (``hrgate_analytics_bench``): created and migrated by hrgate's
   alembic migrations to the revision the generator writes (``shape.SCHEMA_REVISION``), filled with set-based
   SQL seeded by ``setseed`` (foreign keys and plain indexes dropped during the load and made again from their
   migrated definitions, which checks every row), migrated to head (later migrations fill their own columns,
   as on a production database), then ``VACUUM (ANALYZE)``. 3 competency model versions (3–4 dimensions each)
   with dimension → KPI links to a higher-is-better sales KPI and a lower-is-better error rate; 1,000
   requisitions of which one holds a tenth of the applications; 1,000,000 applications over 2026 (800,005
   candidates, a fifth of them applying twice) with stage histories (screening → AI interview → second
   interview → offer → hired, or rejected / withdrawn on the way); one scored interview per application (3 %
   re-interviewed: two interviews and reports, the newer one scored by a newer pipeline); per-dimension scores
   of every report; 200,000 hired employees with onboarding archives, KPI assignments and 2–4 quarters of KPI
   records planted to correlate with some dimensions (``shape.EFFECTS``). A complete fill of the same scale is
   reused (``--regenerate`` makes it again). About 7 minutes at the default scale on a 2-core machine;
2. reads from the database the figures a correct answer must show (application counts, the version's links);
3. starts hrgate (uvicorn, production mode, a real RS256 ``hr_admin`` token, as ``read_path`` does) on a free
   port against that database and sends, one at a time, ``hiringAnalytics`` over the main version (most
   applications), ``requisitionAnalytics`` of the large requisition, ``dimensionKpiCorrelations`` and
   ``performancePrediction`` (sales, with a candidate's dimension scores), each with its full payload: one
   warm-up, then ``--repeats`` timed requests (client wall time). A request unanswered after ``--timeout``
   seconds is recorded as a timeout (the gateway and its database sessions are restarted before the next
   query); GraphQL errors, payload errors or figures that contradict the data are errors;
4. prints a markdown table (median and max against the 1 s target) and, with ``--json``, writes the numbers.

Run it by hand (never from the test suite), with PostgreSQL on 127.0.0.1:5432 (user ``postgres``, trust auth)
and Redis on 127.0.0.1:6379::

    .venv/bin/python benchmarks/analytics.py                       # 1,000,000 applications
    .venv/bin/python benchmarks/analytics.py --applications 20000  # a quick check (own database)
    .venv/bin/python benchmarks/analytics.py --json /tmp/analytics.json --hrgate-ref 477d077

The exit status is 1 when any query answered with errors or wrong figures (timeouts are reported, not failed).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from analytics_bench.run import benchmark
from read_path_bench.errors import BenchmarkError
from read_path_bench.layout import ROOT
from read_path_bench.tree import describe_tree, export_tree

DEFAULT_DATABASE = "hrgate_analytics_bench"
DEFAULT_APPLICATIONS = 1_000_000


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--applications", type=int, default=DEFAULT_APPLICATIONS,
                        help="applications to generate (a tenth in one requisition, a fifth hired)")  # fmt: skip
    parser.add_argument("--requisitions", type=int, default=1000)
    parser.add_argument("--regenerate", action="store_true", help="drop and generate the database again")
    parser.add_argument("--database", default=None,
                        help=f"default {DEFAULT_DATABASE}, with _<applications> appended at another scale")  # fmt: skip
    parser.add_argument("--pg-address", default="postgres@127.0.0.1:5432", help="user@host:port, trust auth")
    parser.add_argument("--repeats", type=int, default=5, help="timed requests per query, after one warm-up")
    parser.add_argument("--timeout", type=float, default=60, help="seconds before a request counts as a timeout")
    parser.add_argument("--json", type=Path, default=None, help="write the results here as JSON")
    parser.add_argument("--generate-only", action="store_true", help="prepare the database, measure nothing")
    parser.add_argument("--hrgate-ref", default=None,
                        help="measure this commit (exported with git archive) instead of the working tree")  # fmt: skip
    parser.add_argument("--broker-url", default="redis://127.0.0.1:6379/15",
                        help="hrgate's broker (production: no embedded worker; nothing is enqueued)")  # fmt: skip
    arguments = parser.parse_args()
    if arguments.database is None:
        suffix = "" if arguments.applications == DEFAULT_APPLICATIONS else f"_{arguments.applications}"
        arguments.database = DEFAULT_DATABASE + suffix
    if arguments.repeats < 1:
        parser.error("--repeats must be at least 1")
    arguments.pg_dsn = f"postgresql://{arguments.pg_address}"
    return arguments


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="hrgate-tree-") as tree:
        args = parse_arguments()
        if args.hrgate_ref:
            args.hrgate_tree = Path(tree)
            args.measured = export_tree(args.hrgate_ref, args.hrgate_tree)
        else:
            args.hrgate_tree = ROOT
            args.measured = describe_tree()
        return benchmark(args)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchmarkError as error:
        print(f"analytics benchmark stopped: {error}", file=sys.stderr)
        sys.exit(1)
