"""Reading the database directly in tests, to prove what was (or was not) written."""

from __future__ import annotations

from typing import Any

from sqlmodel import func, select
from strawberry import relay

from gateway.db import read_session, unit_of_work
from gateway.models import metadata


async def row_count(model: Any) -> int:
    async with read_session() as session:
        return (await session.exec(select(func.count()).select_from(model))).one()


async def all_row_counts() -> dict[str, int]:
    """Rows per table: compare before/after a refused mutation to prove nothing was written."""
    counts = {}
    async with read_session() as session:
        for table in metadata.sorted_tables:
            counts[table.name] = (await session.exec(select(func.count()).select_from(table))).one()
    return counts


def node_id(global_id: str) -> int:
    return int(relay.GlobalID.from_id(global_id).node_id)


async def fetch(model: Any, global_id: str) -> Any:
    async with read_session() as session:
        return await session.get(model, node_id(global_id))


async def insert(*rows: Any) -> list[Any]:
    async with unit_of_work() as uow:
        for row in rows:
            uow.session.add(row)
        await uow.session.flush()
    return list(rows)


def global_id(type_name: str, row_id: int) -> str:
    return str(relay.GlobalID(type_name, str(row_id)))
