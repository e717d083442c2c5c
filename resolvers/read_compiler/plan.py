"""What a compiled read fetches: plain data, no GraphQL, no SQL text.

A plan mirrors the response: an ``ObjectPlan`` per selected object type with one ``FieldPlan`` per
response key, nested relations (``ToOne``, ``Connection``) as children. The SQL builder and the
shaper walk the same tree in the same order, so positions in the database's JSON arrays need no
names: every object comes back as ``[id, value of field 1, value of field 2, …]``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, Table

Convert = Callable[[Any], Any]
FieldKind = Literal["id", "constant", "column", "computed", "nested"]


@dataclass
class FieldPlan:
    """One response key of an object: its global ID, a constant (``__typename``), a column or a relation."""

    key: str
    kind: FieldKind
    column: str | None = None
    convert: Convert | None = None
    """Applied to a non-null column value (enum value → GraphQL name, timestamp → ISO 8601, …)."""
    value: Any = None
    nested: ToOne | Connection | None = None
    columns: tuple[str, ...] = ()
    """For a computed field: the columns passed, in order, to ``convert``."""


@dataclass
class ObjectPlan:
    table: Table
    type_name: str
    fields: list[FieldPlan]


@dataclass
class ToOne:
    """A single related row: ``target.id = parent.<parent_column>`` or ``target.<child_column> = parent.id``."""

    target: ObjectPlan
    parent_column: str | None = None
    child_column: str | None = None
    newest: bool = False
    """Of several matching children, the one with the highest id (an application's latest interview)."""
    audited_as: str | None = None
    """Entity type written to the audit trail for every row read through this relation."""


@dataclass
class ConnectionPart:
    """One response key of a connection, an edge or a page info."""

    key: str
    kind: Literal[
        "typename",
        "totalCount",
        "edges",
        "pageInfo",
        "cursor",
        "node",
        "hasNextPage",
        "hasPreviousPage",
        "startCursor",
        "endCursor",
    ]
    value: Any = None
    parts: list[ConnectionPart] = field(default_factory=list)


@dataclass
class Connection:
    """A page of rows ordered by id (keyset after ``after_id``), optionally children of the enclosing row."""

    table: Table
    node: ObjectPlan | None
    parts: list[ConnectionPart]
    first: int
    after_id: int | None = None
    where: list[ColumnElement[bool]] = field(default_factory=list)
    parent_column: str | None = None
    """Child column equal to the parent's id (None for a top-level list)."""
    correlate: tuple[tuple[str, str], ...] = ()
    """Further (child column, parent column) equalities, e.g. a report's own pipeline version."""
    wants_total: bool = False
    updated_since: datetime | None = None
    """Incremental sync (a top-level list's ``updatedSince``): ordered by ``(updated_at, id)``, rows carry their
    ``updated_at`` last for the cursors; ``where`` already holds ``updated_at >= updated_since``."""
    after_updated_at: datetime | None = None
    """With ``after_id``: the sync cursor's position."""

    @property
    def by_update(self) -> bool:
        return self.updated_since is not None


@dataclass
class OperationPlan:
    """The root fields of one query operation: ``None`` nested value means a constant-only field."""

    fields: list[FieldPlan]
    statements: dict[str, Any] = field(default_factory=dict)
    """The statement built from this plan, per database dialect (plans are cached and reused)."""
    shaper: Any = None
    """The function, generated from this plan, that shapes the database's JSON (built on first use)."""
