"""Is the database at the schema revision this code needs? Asked at start-up and by ``/readyz``.

The head revision is read from the migration files' ``revision`` / ``down_revision`` lines, not through
alembic: the serving process never imports alembic (about 9 MB and a hundred modules kept for nothing).
A test compares the result with alembic's own answer.
"""

from __future__ import annotations

import ast
import asyncio
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

import migrations

CHECK_TIMEOUT_SECONDS = 5.0
"""Connect and query together: an unreachable host (a dropped packet, not a refusal) fails in seconds,
not after the driver's 60-second connect timeout."""

State = Literal["at_head", "behind", "unmigrated", "unknown_revision", "unreachable"]


def code_heads() -> frozenset[str]:
    """The revisions no other migration builds on: what the database must be at for this code."""
    return _migration_graph()[1]


@lru_cache
def _migration_graph() -> tuple[frozenset[str], frozenset[str]]:
    """Every revision the code knows, and its heads."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (Path(migrations.__file__).parent / "versions").glob("*.py"):
        values = _module_strings(path, ("revision", "down_revision"))
        if "revision" in values:
            revisions.update(values["revision"])
            parents.update(values.get("down_revision", ()))
    return frozenset(revisions), frozenset(revisions - parents)


def _module_strings(path: Path, names: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """Top-level ``name = "x"`` / ``name: str | None = ("a", "b")`` assignments, as tuples of strings."""
    found: dict[str, tuple[str, ...]] = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        target, value = None, None
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            target, value = node.target.id, node.value
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            target, value = node.targets[0].id, node.value
        if target in names and value is not None:
            literal = ast.literal_eval(value)
            found[target] = (literal,) if isinstance(literal, str) else tuple(literal or ())
    return found


def redacted(url: str) -> str:
    """The database URL for messages and logs: the password replaced by ``***``."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an unparsable URL is shown by its scheme only
        return url.partition("://")[0] + "://…"


@dataclass(frozen=True)
class SchemaStatus:
    state: State
    database_revisions: frozenset[str] = frozenset()
    error: str = ""

    @property
    def ready(self) -> bool:
        return self.state == "at_head"

    def reason(self, *, subject: str = "database", with_error: bool = False) -> str:
        """What is wrong and what to do, in one line. ``/readyz`` is public: by default no address and no
        driver message (which names host and port); start-up names both."""
        needs = _revisions(code_heads())
        if self.state == "unreachable":
            return f"{subject} unreachable ({self.error})" if with_error else f"{subject} unreachable"
        if self.state == "unmigrated":
            return f"{subject} has no schema (no alembic_version), the code needs {needs}: run `hrgate migrate`"
        if self.state == "behind":
            return (
                f"{subject} is at revision {_revisions(self.database_revisions)}, the code needs {needs}: "
                "run `hrgate migrate`"
            )
        if self.state == "unknown_revision":
            return (
                f"{subject} is at revision {_revisions(self.database_revisions)}, unknown to this code "
                f"(it needs {needs}): a newer release migrated it; deploy that release"
            )
        return f"{subject} is at revision {needs}"

    def message(self, url: str) -> str:
        """The start-up line: like ``reason`` but naming the database (password redacted)."""
        return "hrgate: " + self.reason(subject=f"database {redacted(url)}", with_error=True)


def _revisions(revisions: frozenset[str]) -> str:
    return ", ".join(sorted(revisions)) or "none"


async def schema_status(engine: AsyncEngine, *, timeout: float = CHECK_TIMEOUT_SECONDS) -> SchemaStatus:
    """Connect, read ``alembic_version`` and compare it with the code's head; never raises for a database fault."""
    try:
        async with asyncio.timeout(timeout):
            async with engine.connect() as connection:
                has_table = await connection.run_sync(lambda sync: sync.dialect.has_table(sync, "alembic_version"))
                rows = (
                    (await connection.execute(text("SELECT version_num FROM alembic_version"))).scalars().all()
                    if has_table
                    else None
                )
    except TimeoutError:
        return SchemaStatus("unreachable", error=f"no answer within {timeout:g} s")
    except Exception as error:  # noqa: BLE001 - refused, unknown host, bad password, missing database …
        return SchemaStatus("unreachable", error=first_line(error))
    if rows is None or not rows:
        return SchemaStatus("unmigrated")
    at = frozenset(rows)
    heads = code_heads()
    if at == heads:
        return SchemaStatus("at_head", at)
    if at - _migration_graph()[0]:
        return SchemaStatus("unknown_revision", at)
    return SchemaStatus("behind", at)


def first_line(error: BaseException) -> str:
    """The driver's own words, first line only (SQLAlchemy appends SQL and a documentation link)."""
    original = getattr(error, "orig", None) or error
    words = str(original).strip().splitlines()
    return f"{type(original).__name__}: {words[0]}" if words else type(original).__name__


async def check_database(url: str, *, timeout: float = CHECK_TIMEOUT_SECONDS) -> SchemaStatus:
    """``schema_status`` on a throwaway engine for ``url`` (start-up, ``hrgate migrate``), closed afterwards."""
    from gateway.db import build_engine

    engine = build_engine(url)
    try:
        return await schema_status(engine, timeout=timeout)
    finally:
        await engine.dispose()
