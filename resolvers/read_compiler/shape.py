"""The database's JSON arrays, shaped into the GraphQL response, in the plan's key order.

Global IDs and cursors are encoded here exactly as the DataLoader path encodes them, and the
rows read through audited relations are listed so the caller can write one audit insert.
"""

from __future__ import annotations

import base64
from typing import Any

from resolvers.pagination import encode_cursor
from resolvers.read_compiler.plan import Connection, ConnectionPart, ObjectPlan, OperationPlan, ToOne

AuditedReads = dict[tuple[str, int], None]
"""(entity type, id) in first-read order, each once (as the DataLoader path records them)."""


def encode_global_id(type_name: str, row_id: int) -> str:
    """Relay's global ID, as strawberry writes it: base64 of ``Type:id``."""
    return base64.b64encode(f"{type_name}:{row_id}".encode()).decode()


def shape_operation(plan: OperationPlan, values: list[Any], audited: AuditedReads) -> dict[str, Any]:
    data: dict[str, Any] = {}
    position = 0
    for field in plan.fields:
        if field.nested is None:
            data[field.key] = field.value
        else:
            data[field.key] = _shape_nested(field.nested, values[position], audited)
            position += 1
    return data


def _shape_nested(relation: ToOne | Connection, value: Any, audited: AuditedReads) -> Any:
    if isinstance(relation, Connection):
        return _shape_connection(relation, value, audited)
    if value is None:
        return None
    if relation.audited_as is not None:
        audited[(relation.audited_as, value[0])] = None
    return _shape_object(relation.target, value, audited)


def _shape_object(plan: ObjectPlan, values: list[Any], audited: AuditedReads) -> dict[str, Any]:
    shaped: dict[str, Any] = {}
    position = 1
    for field in plan.fields:
        kind = field.kind
        if kind == "column":
            value = values[position]
            position += 1
            shaped[field.key] = field.convert(value) if field.convert is not None and value is not None else value
        elif kind == "computed":
            count = len(field.columns)
            shaped[field.key] = field.convert(*values[position : position + count])  # type: ignore[misc]
            position += count
        elif kind == "id":
            shaped[field.key] = encode_global_id(plan.type_name, values[0])
        elif kind == "constant":
            shaped[field.key] = field.value
        else:
            shaped[field.key] = _shape_nested(field.nested, values[position], audited)  # type: ignore[arg-type]
            position += 1
    return shaped


def _shape_connection(connection: Connection, value: list[Any], audited: AuditedReads) -> dict[str, Any]:
    rows = value[0] or []
    has_next_page = len(rows) > connection.first
    rows = rows[: connection.first]
    page = _Page(connection, rows, has_next_page, value[1] if connection.wants_total else None)
    return {part.key: page.shape(part, audited) for part in connection.parts}


class _Page:
    def __init__(self, connection: Connection, rows: list[Any], has_next_page: bool, total: int | None) -> None:
        self.connection = connection
        self.rows = rows
        self.has_next_page = has_next_page
        self.total = total

    def shape(self, part: ConnectionPart, audited: AuditedReads) -> Any:
        kind = part.kind
        if kind == "typename":
            return part.value
        if kind == "totalCount":
            return self.total
        if kind == "edges":
            return [self._edge(part.parts, row, audited) for row in self.rows]
        assert kind == "pageInfo"
        return {sub.key: self._page_info(sub) for sub in part.parts}

    def _edge(self, parts: list[ConnectionPart], row: list[Any], audited: AuditedReads) -> dict[str, Any]:
        edge: dict[str, Any] = {}
        for part in parts:
            if part.kind == "cursor":
                edge[part.key] = encode_cursor(row[0])
            elif part.kind == "node":
                assert self.connection.node is not None
                edge[part.key] = _shape_object(self.connection.node, row, audited)
            else:
                edge[part.key] = part.value
        return edge

    def _page_info(self, part: ConnectionPart) -> Any:
        kind = part.kind
        if kind == "hasNextPage":
            return self.has_next_page
        if kind == "hasPreviousPage":
            return self.connection.after_id is not None
        if kind == "startCursor":
            return encode_cursor(self.rows[0][0]) if self.rows else None
        if kind == "endCursor":
            return encode_cursor(self.rows[-1][0]) if self.rows else None
        return part.value
