"""Contracts that keep the project honest: committed SDL, migrations without drift, import directions."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from gateway.migrate import check_no_drift
from gateway.settings import get_settings
from schema.root import schema

ROOT = Path(__file__).resolve().parent.parent


def test_committed_sdl_matches_the_code():
    committed = (ROOT / "schema.graphql").read_text(encoding="utf-8")
    assert committed == schema.as_str() + "\n", "schema changed: run `hrgate export-schema` and review the diff"


async def test_migrations_match_the_tables():
    await asyncio.to_thread(check_no_drift, get_settings().resolved_database_url)


def test_import_directions():
    result = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports")], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_lint():
    result = subprocess.run(
        [str(Path(sys.executable).parent / "ruff"), "check", "."], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_strawberry_has_the_alias_limit_fix():
    """CVE-2026-47707: aliases hidden in fragments bypassed MaxAliasesLimiter before 0.315.7."""
    from importlib.metadata import version

    from packaging.version import Version

    assert Version(version("strawberry-graphql")) >= Version("0.315.7")


async def test_the_readme_first_query_runs_within_the_limits(gql):
    import re

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first_query = re.search(r"```graphql\n(\{\n  requisitions.*?)```", readme, re.S).group(1)
    result = await gql.execute(first_query)
    assert result.errors is None, result.errors
    assert result.extensions["cost"]["requested"] <= result.extensions["cost"]["maximum"]
