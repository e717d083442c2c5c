"""PostgreSQL's recipe for populating a database ("Populating a Database" in its manual), applied to the tables
the generator fills: their foreign keys and plain indexes are dropped before the load and made again after it,
from the definitions the migrations created (``pg_get_constraintdef`` / ``pg_get_indexdef``), so the schema ends
exactly as migrated. Re-adding a foreign key checks every row in one join, so the data is still proven to satisfy
it; primary keys, unique constraints and NOT NULL stay in force during the load."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import asyncpg


@asynccontextmanager
async def bulk_load(
    connection: asyncpg.Connection, tables: tuple[str, ...], say: Callable[[str], None]
) -> AsyncIterator[None]:
    foreign_keys = await connection.fetch(
        "SELECT conrelid::regclass::text AS table_name, conname, pg_get_constraintdef(oid) AS definition"
        " FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY($1::regclass[]) ORDER BY conrelid, conname",
        list(tables),
    )
    indexes = await connection.fetch(
        "SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS definition FROM pg_index AS i"
        " WHERE i.indrelid = ANY($1::regclass[]) AND NOT EXISTS (SELECT 1 FROM pg_constraint AS c"
        "   WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid AND c.contype IN ('p', 'u'))"
        " ORDER BY i.indrelid, 1",
        list(tables),
    )
    for row in foreign_keys:
        await connection.execute(f'ALTER TABLE {row["table_name"]} DROP CONSTRAINT "{row["conname"]}"')
    for row in indexes:
        await connection.execute(f"DROP INDEX {row['name']}")
    yield
    started = time.monotonic()
    for row in indexes:
        await connection.execute(row["definition"])
    say(f"  {len(indexes)} indexes made again in {time.monotonic() - started:.1f} s")
    started = time.monotonic()
    for row in foreign_keys:
        await connection.execute(
            f'ALTER TABLE {row["table_name"]} ADD CONSTRAINT "{row["conname"]}" {row["definition"]}'
        )
    say(f"  {len(foreign_keys)} foreign keys added again and checked in {time.monotonic() - started:.1f} s")
