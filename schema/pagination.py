"""Cursor connections for every list: ``first`` ≤ the configured page size, opaque ``after`` cursors.

Top-level lists also take ``updatedSince`` (incremental sync): rows changed at or after that instant,
ordered by ``(updatedAt, id)`` with cursors carrying both (``resolvers.pagination``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar

import strawberry
from graphql import GraphQLError
from strawberry import relay

from gateway.db import read_session
from resolvers.filters import NoFilter
from resolvers.pagination import (
    Page,
    PageRequest,
    count_rows,
    decode_cursor,
    decode_sync_cursor,
    fetch_page,
    updated_since_clauses,
)

NodeType = TypeVar("NodeType")

DEFAULT_PAGE_SIZE = 20
UPDATED_SINCE_DESCRIPTION = (
    "Incremental sync: only rows changed at or after this instant (ISO 8601 with a UTC offset, not in the "
    "future), ordered by (updatedAt, id) so a poller paging while others write never misses a change."
)
UpdatedSince = Annotated[datetime | None, strawberry.argument(description=UPDATED_SINCE_DESCRIPTION)]


@strawberry.type(name="Connection", description="A page of a list, with a cursor per edge.")
class Connection(relay.Connection[NodeType], Generic[NodeType]):
    count_total: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="Number of items in the whole list (all pages), with the same filters.")
    async def total_count(self) -> int:
        return await self.count_total()


def _decode_cursor(cursor: str) -> int:
    try:
        return decode_cursor(cursor)
    except ValueError:
        raise GraphQLError(f"invalid cursor '{cursor}'", extensions={"code": "BAD_USER_INPUT"}) from None


def _bad_since(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "BAD_USER_INPUT", "field": "updatedSince"})


def checked_updated_since(updated_since: datetime | None, *, now: datetime | None = None) -> datetime | None:
    """``updatedSince`` in UTC; BAD_USER_INPUT without a UTC offset (ambiguous) or in the future (a client bug
    that would silently return nothing)."""
    if updated_since is None:
        return None
    if updated_since.tzinfo is None:
        raise _bad_since("updatedSince needs a UTC offset (e.g. 2026-01-31T08:00:00Z)")
    since = updated_since.astimezone(UTC)
    if since > (now or datetime.now(UTC)):
        raise _bad_since("updatedSince is in the future")
    return since


def page_request(
    first: int, after: str | None, max_page_size: int, updated_since: datetime | None = None
) -> PageRequest:
    if not 0 <= first <= max_page_size:
        raise GraphQLError(
            f"first must be between 0 and {max_page_size}", extensions={"code": "BAD_USER_INPUT", "field": "first"}
        )
    since = checked_updated_since(updated_since)
    if since is None:
        return PageRequest(first=first, after_id=_decode_cursor(after) if after else None)
    if not after:
        return PageRequest(first=first, updated_since=since)
    try:
        after_updated_at, after_id = decode_sync_cursor(after)
    except ValueError:
        raise GraphQLError(
            f"invalid cursor '{after}' (with updatedSince, use the cursors of a list read with updatedSince)",
            extensions={"code": "BAD_USER_INPUT", "field": "after"},
        ) from None
    return PageRequest(first=first, after_id=after_id, updated_since=since, after_updated_at=after_updated_at)


def to_connection(
    page: Page[Any],
    to_node: Callable[[Any], NodeType],
    count_total: Callable[[], Awaitable[int]],
    request: PageRequest | None = None,
) -> Connection[NodeType]:
    request = request or PageRequest(first=len(page.rows))
    edges = [relay.Edge(node=to_node(row), cursor=request.cursor(row)) for row in page.rows]
    return Connection(
        edges=edges,
        page_info=relay.PageInfo(
            has_next_page=page.has_next_page,
            has_previous_page=page.has_previous_page,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        count_total=count_total,
    )


def _filter_or_none(row_filter: Any) -> Any:
    return row_filter if row_filter is not None else NoFilter()


async def child_connection(
    info: Any,
    model: Any,
    parent_column: Any,
    parent_id: int,
    to_node: Callable[[Any], NodeType],
    *,
    first: int,
    after: str | None,
    row_filter: Any = None,
) -> Connection[NodeType]:
    """A nested list (e.g. a requisition's applications), batched across all parents on the page."""
    request = page_request(first, after, info.context.settings.page_size_max)
    row_filter = _filter_or_none(row_filter)
    loaders = info.context.loaders
    page = await loaders.page_by(model, parent_column).load((parent_id, request, row_filter))
    return to_connection(page, to_node, lambda: loaders.count_by(model, parent_column).load((parent_id, row_filter)))


async def root_connection(
    info: Any,
    model: Any,
    to_node: Callable[[Any], NodeType],
    *,
    first: int,
    after: str | None,
    row_filter: Any = None,
    updated_since: datetime | None = None,
) -> Connection[NodeType]:
    """A top-level list, one statement for the page and one (only if asked) for totalCount.

    ``totalCount`` of a sync read counts every row changed since ``updatedSince`` (not only past the cursor).
    """
    request = page_request(first, after, info.context.settings.page_size_max, updated_since)
    clauses = _filter_or_none(row_filter).clauses()
    async with read_session() as session:
        page = await fetch_page(model, request, clauses, session=session)
    since_only = PageRequest(first=first, updated_since=request.updated_since)

    async def count_total() -> int:
        async with read_session() as session:
            return await count_rows(model, [*clauses, *updated_since_clauses(model, since_only)], session=session)

    return to_connection(page, to_node, count_total, request)
