"""Keyset pagination by primary key, for top-level lists and, batched, for nested ones.

A top-level list read with ``updated_since`` (incremental sync) is ordered by ``(updated_at, id)`` instead,
with cursors that carry both: a row changed while a client pages moves behind the cursor and comes
again on a later page (with its new state), so a poller that upserts by id never misses it.

Nested lists (a requisition's applications) are fetched for many parents in ONE
statement with ``row_number() OVER (PARTITION BY parent)``, so a page of 20
requisitions with their applications costs the same number of statements as a page of 2.
"""

from __future__ import annotations

import base64
import binascii
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, and_, func, or_
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

Row = TypeVar("Row", bound=SQLModel)

_CURSOR_PREFIX = "cursor:"
_SYNC_CURSOR_PREFIX = "sync:"


def encode_cursor(row_id: int) -> str:
    """An opaque ``after`` cursor for keyset pagination by id."""
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{row_id}".encode()).decode()


def decode_cursor(cursor: str) -> int:
    """The id inside a cursor; ``ValueError`` for anything that is not one of ours."""
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise ValueError(cursor) from None
    if not text.startswith(_CURSOR_PREFIX):
        raise ValueError(cursor)
    return int(text.removeprefix(_CURSOR_PREFIX))


def encode_sync_cursor(updated_at: datetime, row_id: int) -> str:
    """An opaque ``after`` cursor for a list ordered by ``(updated_at, id)`` (``updatedSince``)."""
    stamp = updated_at.astimezone(UTC).isoformat(timespec="microseconds")
    return base64.urlsafe_b64encode(f"{_SYNC_CURSOR_PREFIX}{stamp}|{row_id}".encode()).decode()


def decode_sync_cursor(cursor: str) -> tuple[datetime, int]:
    """``(updated_at, id)`` inside a sync cursor; ``ValueError`` for anything else (an id-order cursor too)."""
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise ValueError(cursor) from None
    if not text.startswith(_SYNC_CURSOR_PREFIX):
        raise ValueError(cursor)
    stamp, _, row_id = text.removeprefix(_SYNC_CURSOR_PREFIX).partition("|")
    updated_at = datetime.fromisoformat(stamp)
    if updated_at.tzinfo is None:
        raise ValueError(cursor)
    return updated_at.astimezone(UTC), int(row_id)


@dataclass(frozen=True)
class PageRequest:
    first: int
    after_id: int | None = None
    updated_since: datetime | None = None
    """Incremental sync: rows with ``updated_at >= updated_since``, ordered by ``(updated_at, id)``."""
    after_updated_at: datetime | None = None
    """With ``after_id``: the position of a sync cursor."""

    @property
    def by_update(self) -> bool:
        return self.updated_since is not None

    def cursor(self, row: Any) -> str:
        return encode_sync_cursor(row.updated_at, row.id) if self.by_update else encode_cursor(row.id)


@dataclass
class Page(Generic[Row]):
    rows: list[Row] = field(default_factory=list)
    has_next_page: bool = False
    has_previous_page: bool = False


def _page_of(rows: Sequence[Row], request: PageRequest) -> Page[Row]:
    return Page(
        rows=list(rows[: request.first]),
        has_next_page=len(rows) > request.first,
        has_previous_page=request.after_id is not None,
    )


async def fetch_page(
    model: type[Row], request: PageRequest, where: Sequence[ColumnElement[bool]], *, session: AsyncSession
) -> Page[Row]:
    """One page of a table, ordered by id (or by ``(updated_at, id)`` for a sync read), fetching one extra row to
    know if there is a next page."""
    id_column = col(model.id)  # type: ignore[attr-defined]
    statement = select(model).where(*where)
    if request.by_update:
        updated_column = col(model.updated_at)  # type: ignore[attr-defined]
        statement = statement.where(*updated_since_clauses(model, request))
        statement = statement.order_by(updated_column, id_column)
    else:
        if request.after_id is not None:
            statement = statement.where(id_column > request.after_id)
        statement = statement.order_by(id_column)
    rows = (await session.exec(statement.limit(request.first + 1))).all()
    return _page_of(rows, request)


def updated_since_clauses(model: Any, request: PageRequest) -> list[ColumnElement[bool]]:
    """``updated_at >= since``, and past the cursor's ``(updated_at, id)`` position when there is one."""
    if request.updated_since is None:
        return []
    updated_column, id_column = col(model.updated_at), col(model.id)
    clauses = [updated_column >= request.updated_since]
    if request.after_updated_at is not None and request.after_id is not None:
        clauses.append(
            or_(
                updated_column > request.after_updated_at,
                and_(updated_column == request.after_updated_at, id_column > request.after_id),
            )
        )
    return clauses


async def count_rows(model: type[SQLModel], where: Sequence[ColumnElement[bool]], *, session: AsyncSession) -> int:
    return (await session.exec(select(func.count()).select_from(model).where(*where))).one()


async def fetch_child_pages(
    model: type[Row],
    parent_column: Any,
    parent_ids: Sequence[int],
    request: PageRequest,
    where: Sequence[ColumnElement[bool]],
    *,
    session: AsyncSession,
) -> dict[int, Page[Row]]:
    """The same page (first/after) of children for many parents, in one statement."""
    id_column = col(model.id)  # type: ignore[attr-defined]
    ranked = select(
        id_column.label("child_id"),
        func.row_number().over(partition_by=parent_column, order_by=id_column).label("position"),
    ).where(col(parent_column).in_(parent_ids), *where)
    if request.after_id is not None:
        ranked = ranked.where(id_column > request.after_id)
    ranked_subquery = ranked.subquery()
    statement = (
        select(model)
        .join(ranked_subquery, ranked_subquery.c.child_id == id_column)
        .where(ranked_subquery.c.position <= request.first + 1)
        .order_by(parent_column, id_column)
    )
    by_parent: dict[int, list[Row]] = defaultdict(list)
    for row in (await session.exec(statement)).all():
        by_parent[getattr(row, parent_column.key)].append(row)
    return {parent_id: _page_of(by_parent.get(parent_id, []), request) for parent_id in parent_ids}


async def count_children(
    model: type[SQLModel],
    parent_column: Any,
    parent_ids: Sequence[int],
    where: Sequence[ColumnElement[bool]],
    *,
    session: AsyncSession,
) -> dict[int, int]:
    statement = (
        select(parent_column, func.count())
        .select_from(model)
        .where(col(parent_column).in_(parent_ids), *where)
        .group_by(parent_column)
    )
    counts = dict((await session.exec(statement)).all())
    return {parent_id: counts.get(parent_id, 0) for parent_id in parent_ids}
