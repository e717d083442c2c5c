"""A plan as one SQL statement whose single value is the whole answer as JSON.

Every object becomes a JSON array ``[id, field…]``; a to-one relation a correlated scalar
subquery; a connection ``[rows, has_next_page, totalCount?]`` where rows are the page aggregated in
id order (read with one extra row that is counted, never built, to tell whether a next page exists).
PostgreSQL builds it with ``json_build_array`` / ``json_agg``, SQLite with JSON1's ``json_array`` /
``json_group_array`` (a subquery's text is re-read with ``json()`` so it nests as JSON, not as a string).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, ColumnElement, FromClause, Select, and_, func, literal_column, or_, select
from sqlalchemy.dialects.postgresql import aggregate_order_by

from resolvers.read_compiler.plan import Connection, ObjectPlan, OperationPlan, ToOne


class StatementBuilder:
    def __init__(self, dialect_name: str) -> None:
        self.postgresql = dialect_name == "postgresql"

    def operation(self, plan: OperationPlan) -> Select[Any]:
        values = [self._nested(field.nested, None) for field in plan.fields if field.nested is not None]
        return select(self._array(values))

    def _array(self, items: list[Any]) -> ColumnElement[Any]:
        return func.json_build_array(*items) if self.postgresql else func.json_array(*items)

    def _embed(self, subquery: Any) -> ColumnElement[Any]:
        """A subquery's JSON as a nested value (SQLite returns text, which ``json()`` turns back into JSON)."""
        return subquery if self.postgresql else func.json(subquery)

    def _object(self, plan: ObjectPlan, source: FromClause, trailing: tuple[Any, ...] = ()) -> ColumnElement[Any]:
        items: list[Any] = [source.c.id]
        for field in plan.fields:
            if field.kind == "column":
                items.append(self._column(source, field.column))
            elif field.kind == "computed":
                items.extend(self._column(source, name) for name in field.columns)
            elif field.kind == "nested":
                items.append(self._nested(field.nested, source))
        return self._array([*items, *trailing])

    def _column(self, source: FromClause, name: str | None) -> ColumnElement[Any]:
        column = source.c[name]
        return func.json(column) if not self.postgresql and isinstance(column.type, JSON) else column

    def _nested(self, relation: ToOne | Connection | None, parent: FromClause | None) -> ColumnElement[Any]:
        if isinstance(relation, ToOne):
            return self._embed(self._to_one(relation, parent))
        assert isinstance(relation, Connection)
        return self._connection(relation, parent)

    def _to_one(self, relation: ToOne, parent: FromClause | None) -> Any:
        assert parent is not None
        target = relation.target.table.alias()
        statement = select(self._object(relation.target, target))
        if relation.parent_column is not None:
            statement = statement.where(target.c.id == parent.c[relation.parent_column])
        else:
            statement = statement.where(target.c[relation.child_column] == parent.c.id)
        if relation.newest:
            statement = statement.order_by(target.c.id.desc())
        return statement.limit(1).correlate(parent).scalar_subquery()

    def _conditions(self, connection: Connection, parent: FromClause | None) -> list[Any]:
        table = connection.table
        conditions = list(connection.where)
        if connection.parent_column is not None:
            assert parent is not None
            conditions.append(table.c[connection.parent_column] == parent.c.id)
        for child_column, parent_column in connection.correlate:
            assert parent is not None
            conditions.append(table.c[child_column] == parent.c[parent_column])
        return conditions

    def _connection(self, connection: Connection, parent: FromClause | None) -> ColumnElement[Any]:
        """``[rows, has_next_page, totalCount?]``: the page is read with one extra row, which only counts.

        The extra row (``page_position > first``) is filtered out of the aggregate, so its nested objects are
        never built; the page selects only the columns the plan reads.
        """
        table = connection.table
        conditions = self._conditions(connection, parent)
        order = [table.c.updated_at, table.c.id] if connection.by_update else [table.c.id]
        position = func.row_number().over(order_by=order).label("page_position")
        columns = _columns_read(connection.node, table, with_updated_at=connection.by_update)
        page_select = select(*columns, position).where(*conditions, *_after(connection))
        page_select = page_select.order_by(*order).limit(connection.first + 1)
        if parent is not None:
            page_select = page_select.correlate(parent)
        page = page_select.subquery()
        trailing = (page.c.updated_at,) if connection.by_update else ()
        if connection.node is not None:
            row = self._object(connection.node, page, trailing)
        else:
            row = self._array([page.c.id, *trailing])
        kept = page.c.page_position <= connection.first
        if self.postgresql:
            rows = func.coalesce(
                func.json_agg(aggregate_order_by(row, page.c.page_position)).filter(kept),
                literal_column("'[]'::json"),
            )
        else:
            rows = func.json_group_array(row).filter(kept)
        items: list[Any] = [rows, func.count() > connection.first]
        if connection.wants_total:
            total = select(func.count()).select_from(table).where(*conditions)
            if parent is not None:
                total = total.correlate(parent)
            items.append(total.scalar_subquery())
        page_json = select(self._array(items)).select_from(page)
        if parent is not None:
            page_json = page_json.correlate(parent)
        return self._embed(page_json.scalar_subquery())


def _after(connection: Connection) -> list[Any]:
    """Keyset past the cursor: by id, or by ``(updated_at, id)`` for a sync read."""
    table = connection.table
    if connection.after_id is None:
        return []
    if not connection.by_update:
        return [table.c.id > connection.after_id]
    return [
        or_(
            table.c.updated_at > connection.after_updated_at,
            and_(table.c.updated_at == connection.after_updated_at, table.c.id > connection.after_id),
        )
    ]


def _columns_read(plan: ObjectPlan | None, table: Any, *, with_updated_at: bool = False) -> list[Any]:
    """The columns of ``table`` a page of ``plan`` objects reads: its id, fields, and the keys of its relations."""
    names = ["id", *(["updated_at"] if with_updated_at else [])]
    for field in plan.fields if plan is not None else ():
        if field.kind == "column":
            names.append(field.column)
        elif field.kind == "computed":
            names.extend(field.columns)
        elif isinstance(field.nested, ToOne) and field.nested.parent_column is not None:
            names.append(field.nested.parent_column)
        elif isinstance(field.nested, Connection):
            names.extend(parent_column for _child, parent_column in field.nested.correlate)
    return [table.c[name] for name in dict.fromkeys(names)]
