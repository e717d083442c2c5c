"""Relay nodes backed by a table row and fetched through the request's DataLoaders."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterable
from typing import Any, ClassVar, Self

from sqlmodel import SQLModel
from strawberry import relay

from resolvers.services.policy import rows_in_scope
from schema.context import Info
from schema.permissions import Resource, check_read


class RowNode(relay.Node):
    """A node whose fields are copied from a row of ``table`` (relations resolve lazily via loaders)."""

    table: ClassVar[type[SQLModel]]
    row_attributes: ClassVar[dict[str, str]] = {}
    """Type field → row attribute, where the names differ (e.g. a private ``raw_tags`` from ``tags``)."""
    resource: ClassVar[Resource] = Resource.REFERENCE
    """What reading this type needs (``schema.permissions``); checked by ``node(id:)`` lookups too."""
    audited_as: ClassVar[str | None] = None
    """Entity type recorded in the audit trail whenever a person or service reads one (reports, archives)."""
    audited_id_attribute: ClassVar[str] = "id"
    """The row attribute holding the audited entity's id (a dimension score audits its report)."""

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
        decision = check_read(info.context, cls.resource)
        loader = info.context.loaders.by_id(cls.table)
        rows = await loader.load_many([row_id for row_id in ids if row_id is not None])
        by_id = {row.id: row for row in rows if row is not None}
        if decision.row_scope is not None:  # the policy's row scope (fails closed for tables without a path)
            visible = await rows_in_scope(decision, cls.table, by_id)
            by_id = {row_id: row for row_id, row in by_id.items() if row_id in visible}
        await cls.audit_reads(info, [getattr(row, cls.audited_id_attribute) for row in by_id.values()])
        return [cls.from_optional_row(by_id.get(row_id)) if row_id is not None else None for row_id in ids]

    @classmethod
    async def audit_reads(cls, info: Info, row_ids: Iterable[int]) -> None:
        if cls.audited_as is not None:
            await asyncio.gather(*(info.context.audit_read(cls.audited_as, row_id) for row_id in row_ids))
