"""How a relation field reads from the tables, declared next to its DataLoader resolver.

A field carrying ``metadata=compiled(...)`` can be answered by the read compiler (one SQL statement
for the whole operation); its resolver stays the reference path (and the fallback for what the
compiler does not handle). The filter factories are shared by both paths, so a filter or a row
scope is written once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlmodel import SQLModel

READ_SPEC = "hrgate.read"

FilterFactory = Callable[..., Any]
"""``(context, **arguments) -> filter or None``: the list filter the resolver would use."""
ArgumentsCheck = Callable[[dict[str, Any]], bool]
"""``(arguments) -> bool``: whether the compiler may answer the field with these arguments."""


def without_score_range(arguments: dict[str, Any]) -> bool:
    """Score-range filters read report data (permission and audit of their own): left to the resolver."""
    return arguments.get("min_score") is None and arguments.get("max_score") is None


@dataclass(frozen=True)
class RowReference:
    """One related row: by a foreign key on the parent (``parent_column``) or on the child (``child_column``)."""

    parent_column: str | None = None
    child_column: str | None = None
    newest: bool = False
    audited_as: str | None = None
    """Every row read through this field is audited as this entity type (as the resolver does)."""


@dataclass(frozen=True)
class ChildList:
    """A nested connection: rows of ``model`` whose ``parent_column`` is the parent's id."""

    model: type[SQLModel]
    parent_column: str
    row_filter: FilterFactory | None = None
    correlate: tuple[tuple[str, str], ...] = ()
    """Further (child column, parent column) equalities."""
    compile_when: ArgumentsCheck | None = None


@dataclass(frozen=True)
class RootList:
    """A top-level connection over ``model``."""

    model: type[SQLModel]
    row_filter: FilterFactory | None = None
    compile_when: ArgumentsCheck | None = None


@dataclass(frozen=True)
class FromColumns:
    """A scalar computed from some of the row's columns (the resolver's own rule, given the column values)."""

    columns: tuple[str, ...]
    compute: Callable[..., Any]


def compiled(spec: RowReference | ChildList | RootList | FromColumns) -> dict[str, Any]:
    """``metadata`` for a ``strawberry.field`` the read compiler can answer."""
    return {READ_SPEC: spec}
