"""The database's JSON arrays, shaped into the GraphQL response, in the plan's key order.

Each plan is turned once into a small Python function (source generated from the plan, compiled
with ``compile``): one dict literal per object type, positions resolved ahead, so shaping a page of
a few hundred objects costs about as much as building those dicts. Global IDs and cursors are
encoded exactly as the DataLoader path encodes them, and the rows read through audited relations
are listed so the caller can write one audit insert.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from resolvers.pagination import encode_cursor, encode_sync_cursor
from resolvers.read_compiler.plan import Connection, ConnectionPart, ObjectPlan, OperationPlan, ToOne

AuditedReads = dict[tuple[str, int], None]
"""(entity type, id) in first-read order, each once (as the DataLoader path records them)."""
Shaper = Callable[[list[Any], AuditedReads], dict[str, Any]]


def encode_global_id(type_name: str, row_id: int) -> str:
    """Relay's global ID, as strawberry writes it: base64 of ``Type:id``."""
    return base64.b64encode(f"{type_name}:{row_id}".encode()).decode()


def shape_operation(plan: OperationPlan, values: list[Any], audited: AuditedReads) -> dict[str, Any]:
    if plan.shaper is None:
        plan.shaper = _ShaperSource(plan).build()
    return plan.shaper(values, audited)


class _ShaperSource:
    """Writes one function per object type and connection of the plan; values go in as named constants."""

    def __init__(self, plan: OperationPlan) -> None:
        self.plan = plan
        self.functions: list[str] = []
        self.constants: dict[str, Any] = {
            "encode_cursor": encode_cursor,
            "encode_global_id": encode_global_id,
            "sync_cursor": sync_cursor,
        }

    def build(self) -> Shaper:
        items = []
        position = 0
        for field in self.plan.fields:
            if field.nested is None:
                items.append(f"{field.key!r}: {self._constant(field.value)}")
            else:
                items.append(f"{field.key!r}: {self._nested(field.nested)}(values[{position}], audited)")
                position += 1
        self.functions.append(f"def shape(values, audited):\n    return {{{', '.join(items)}}}\n")
        namespace = dict(self.constants)
        exec(compile("\n".join(self.functions), "<read plan shaper>", "exec"), namespace)  # noqa: S102 - our own source
        return namespace["shape"]

    def _constant(self, value: Any) -> str:
        name = f"k{len(self.constants)}"
        self.constants[name] = value
        return name

    def _name(self, prefix: str) -> str:
        return f"{prefix}{len(self.functions)}_{len(self.constants)}"

    def _nested(self, relation: ToOne | Connection) -> str:
        if isinstance(relation, Connection):
            return self._connection(relation)
        body = self._object_literal(relation.target)
        name = self._name("one")
        audit = ""
        if relation.audited_as is not None:
            audit = f"    audited[({self._constant(relation.audited_as)}, v[0])] = None\n"
        self.functions.append(
            f"def {name}(v, audited):\n    if v is None:\n        return None\n{audit}    return {body}\n"
        )
        return name

    def _object_literal(self, plan: ObjectPlan) -> str:
        items = []
        position = 1
        for field in plan.fields:
            key = repr(field.key)
            if field.kind == "column":
                if field.convert is None:
                    items.append(f"{key}: v[{position}]")
                else:
                    convert = self._constant(field.convert)
                    items.append(f"{key}: None if v[{position}] is None else {convert}(v[{position}])")
                position += 1
            elif field.kind == "computed":
                count = len(field.columns)
                items.append(f"{key}: {self._constant(field.convert)}(*v[{position}:{position + count}])")
                position += count
            elif field.kind == "id":
                items.append(f"{key}: encode_global_id({self._constant(plan.type_name)}, v[0])")
            elif field.kind == "constant":
                items.append(f"{key}: {self._constant(field.value)}")
            else:
                items.append(f"{key}: {self._nested(field.nested)}(v[{position}], audited)")  # type: ignore[arg-type]
                position += 1
        return "{" + ", ".join(items) + "}"

    def _connection(self, connection: Connection) -> str:
        """``value`` is ``[rows, has_next_page, totalCount?]`` (see ``sql.StatementBuilder._connection``)."""
        items = [f"{part.key!r}: {self._connection_part(connection, part)}" for part in connection.parts]
        name = self._name("page")
        after = self._constant(connection.after_id is not None)
        self.functions.append(
            f"def {name}(value, audited):\n"
            f"    rows = value[0] or ()\n"
            f"    has_next_page = bool(value[1])\n"
            f"    has_previous_page = {after}\n"
            f"    total = value[2] if len(value) > 2 else None\n"
            f"    return {{{', '.join(items)}}}\n"
        )
        return name

    def _connection_part(self, connection: Connection, part: ConnectionPart) -> str:
        if part.kind == "typename":
            return self._constant(part.value)
        if part.kind == "totalCount":
            return "total"
        if part.kind == "edges":
            return f"[{self._edge_literal(connection, part.parts)} for v in rows]"
        items = [f"{sub.key!r}: {self._page_info(connection, sub)}" for sub in part.parts]
        return "{" + ", ".join(items) + "}"

    def _edge_literal(self, connection: Connection, parts: list[ConnectionPart]) -> str:
        items = []
        for part in parts:
            if part.kind == "cursor":
                items.append(f"{part.key!r}: {_cursor(connection, 'v')}")
            elif part.kind == "node":
                assert connection.node is not None
                items.append(f"{part.key!r}: {self._object_literal(connection.node)}")
            else:
                items.append(f"{part.key!r}: {self._constant(part.value)}")
        return "{" + ", ".join(items) + "}"

    def _page_info(self, connection: Connection, part: ConnectionPart) -> str:
        return {
            "hasNextPage": "has_next_page",
            "hasPreviousPage": "has_previous_page",
            "startCursor": f"{_cursor(connection, 'rows[0]')} if rows else None",
            "endCursor": f"{_cursor(connection, 'rows[-1]')} if rows else None",
        }.get(part.kind) or self._constant(part.value)


def _cursor(connection: Connection, row: str) -> str:
    """The cursor of a shaped row ``[id, …, updated_at?]``: by id, or by ``(updated_at, id)`` for a sync read."""
    return f"sync_cursor({row})" if connection.by_update else f"encode_cursor({row}[0])"


def sync_cursor(row: list[Any]) -> str:
    """A sync read's row ends with its ``updated_at`` as the database wrote it into JSON (naive on SQLite: UTC)."""
    updated_at = datetime.fromisoformat(row[-1])
    if updated_at.tzinfo is None:
        updated_at = updated_at.replace(tzinfo=UTC)
    return encode_sync_cursor(updated_at, row[0])
