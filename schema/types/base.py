"""Relay nodes backed by a table row and fetched through the request's DataLoaders."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any, ClassVar, Self

from sqlmodel import SQLModel
from strawberry import relay

from schema.context import Info


class RowNode(relay.Node):
    """A node whose fields are copied from a row of ``table`` (relations resolve lazily via loaders)."""

    table: ClassVar[type[SQLModel]]
    row_attributes: ClassVar[dict[str, str]] = {}
    """Type field → row attribute, where the names differ (e.g. a private ``raw_tags`` from ``tags``)."""

    @classmethod
    def from_row(cls, row: Any) -> Self:
        values = {
            field.name: getattr(row, cls.row_attributes.get(field.name, field.name))
            for field in dataclasses.fields(cls)
            if field.init
        }
        return cls(**values)

    @classmethod
    def from_optional_row(cls, row: Any) -> Self | None:
        return None if row is None else cls.from_row(row)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Self | None]:
        ids: list[int | None] = []
        for node_id in node_ids:
            try:
                ids.append(int(node_id))
            except ValueError:
                ids.append(None)
        loader = info.context.loaders.by_id(cls.table)
        rows = await loader.load_many([row_id for row_id in ids if row_id is not None])
        by_id = {row.id: row for row in rows if row is not None}
        return [cls.from_optional_row(by_id.get(row_id)) if row_id is not None else None for row_id in ids]
