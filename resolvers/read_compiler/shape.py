"""The database's JSON arrays, shaped into the GraphQL response, in the plan's key order.

Each plan is turned once into small closures (one per response key, positions resolved ahead), so
shaping a page is a dict comprehension per object rather than a walk that re-inspects the plan.
Global IDs and cursors are encoded exactly as the DataLoader path encodes them, and the rows read
through audited relations are listed so the caller can write one audit insert.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from resolvers.pagination import encode_cursor
from resolvers.read_compiler.plan import Connection, ConnectionPart, ObjectPlan, OperationPlan, ToOne

AuditedReads = dict[tuple[str, int], None]
"""(entity type, id) in first-read order, each once (as the DataLoader path records them)."""
Getter = Callable[[list[Any], AuditedReads], Any]
Shaper = Callable[[Any, AuditedReads], Any]


def encode_global_id(type_name: str, row_id: int) -> str:
    """Relay's global ID, as strawberry writes it: base64 of ``Type:id``."""
    return base64.b64encode(f"{type_name}:{row_id}".encode()).decode()


def shape_operation(plan: OperationPlan, values: list[Any], audited: AuditedReads) -> dict[str, Any]:
    shaper = plan.shaper
    if shaper is None:
        shaper = plan.shaper = _operation_shaper(plan)
    return shaper(values, audited)


def _operation_shaper(plan: OperationPlan) -> Shaper:
    getters: list[tuple[str, Getter]] = []
    position = 0
    for field in plan.fields:
        if field.nested is None:
            getters.append((field.key, _constant(field.value)))
        else:
            getters.append((field.key, _at(position, _nested_shaper(field.nested))))
            position += 1
    return lambda values, audited: {key: get(values, audited) for key, get in getters}


def _constant(value: Any) -> Getter:
    return lambda _values, _audited: value


def _at(position: int, shaper: Shaper) -> Getter:
    return lambda values, audited: shaper(values[position], audited)


def _column(position: int, convert: Callable[[Any], Any] | None) -> Getter:
    if convert is None:
        return lambda values, _audited: values[position]

    def get(values: list[Any], _audited: AuditedReads) -> Any:
        value = values[position]
        return None if value is None else convert(value)

    return get


def _computed(position: int, count: int, compute: Callable[..., Any]) -> Getter:
    return lambda values, _audited: compute(*values[position : position + count])


def _global_id(type_name: str) -> Getter:
    return lambda values, _audited: encode_global_id(type_name, values[0])


def _nested_shaper(relation: ToOne | Connection) -> Shaper:
    if isinstance(relation, Connection):
        return _connection_shaper(relation)
    shape_target = _object_shaper(relation.target)
    entity_type = relation.audited_as

    def shape(value: Any, audited: AuditedReads) -> Any:
        if value is None:
            return None
        if entity_type is not None:
            audited[(entity_type, value[0])] = None
        return shape_target(value, audited)

    return shape


def _object_shaper(plan: ObjectPlan) -> Shaper:
    getters: list[tuple[str, Getter]] = []
    position = 1
    for field in plan.fields:
        if field.kind == "column":
            getters.append((field.key, _column(position, field.convert)))
            position += 1
        elif field.kind == "computed":
            getters.append((field.key, _computed(position, len(field.columns), field.convert)))  # type: ignore[arg-type]
            position += len(field.columns)
        elif field.kind == "id":
            getters.append((field.key, _global_id(plan.type_name)))
        elif field.kind == "constant":
            getters.append((field.key, _constant(field.value)))
        else:
            getters.append((field.key, _at(position, _nested_shaper(field.nested))))  # type: ignore[arg-type]
            position += 1
    return lambda values, audited: {key: get(values, audited) for key, get in getters}


class _Page:
    """One connection as read: ``[rows, has_next_page, totalCount?]``."""

    __slots__ = ("after", "has_next_page", "rows", "total")

    def __init__(self, connection: Connection, value: list[Any]) -> None:
        self.rows = value[0] or []
        self.has_next_page = bool(value[1])
        self.total = value[2] if connection.wants_total else None
        self.after = connection.after_id


PageGetter = Callable[[_Page, AuditedReads], Any]


def _connection_shaper(connection: Connection) -> Shaper:
    getters = [(part.key, _connection_part(connection, part)) for part in connection.parts]

    def shape(value: list[Any], audited: AuditedReads) -> dict[str, Any]:
        page = _Page(connection, value)
        return {key: get(page, audited) for key, get in getters}

    return shape


def _connection_part(connection: Connection, part: ConnectionPart) -> PageGetter:
    kind = part.kind
    if kind == "typename":
        value = part.value
        return lambda _page, _audited: value
    if kind == "totalCount":
        return lambda page, _audited: page.total
    if kind == "edges":
        edge = _edge_shaper(connection, part.parts)
        return lambda page, audited: [edge(row, audited) for row in page.rows]
    page_info = [(sub.key, _page_info_part(sub)) for sub in part.parts]
    return lambda page, _audited: {key: get(page) for key, get in page_info}


def _edge_shaper(connection: Connection, parts: list[ConnectionPart]) -> Shaper:
    getters: list[tuple[str, Getter]] = []
    for part in parts:
        if part.kind == "cursor":
            getters.append((part.key, lambda row, _audited: encode_cursor(row[0])))
        elif part.kind == "node":
            assert connection.node is not None
            getters.append((part.key, _object_shaper(connection.node)))
        else:
            getters.append((part.key, _constant(part.value)))
    return lambda row, audited: {key: get(row, audited) for key, get in getters}


def _page_info_part(part: ConnectionPart) -> Callable[[_Page], Any]:
    kind = part.kind
    if kind == "hasNextPage":
        return lambda page: page.has_next_page
    if kind == "hasPreviousPage":
        return lambda page: page.after is not None
    if kind == "startCursor":
        return lambda page: encode_cursor(page.rows[0][0]) if page.rows else None
    if kind == "endCursor":
        return lambda page: encode_cursor(page.rows[-1][0]) if page.rows else None
    value = part.value
    return lambda _page: value
