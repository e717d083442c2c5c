"""Keyset pagination by primary key, for top-level lists and, batched, for nested ones.

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
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, func
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

Row = TypeVar("Row", bound=SQLModel)

_CURSOR_PREFIX = "cursor:"


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


@dataclass(frozen=True)
class PageRequest:
    first: int
    after_id: int | None = None


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
    """One page of a table, ordered by id, fetching one extra row to know if there is a next page."""
    id_column = col(model.id)  # type: ignore[attr-defined]
    statement = select(model).where(*where)
    if request.after_id is not None:
        statement = statement.where(id_column > request.after_id)
    rows = (await session.exec(statement.order_by(id_column).limit(request.first + 1))).all()
    return _page_of(rows, request)


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
