"""Cursor connections for every list: ``first`` ≤ the configured page size, opaque ``after`` cursors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

import strawberry
from graphql import GraphQLError
from strawberry import relay

from gateway.db import read_session
from resolvers.filters import NoFilter
from resolvers.pagination import Page, PageRequest, count_rows, decode_cursor, encode_cursor, fetch_page

NodeType = TypeVar("NodeType")

DEFAULT_PAGE_SIZE = 20


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


def page_request(first: int, after: str | None, max_page_size: int) -> PageRequest:
    if not 0 <= first <= max_page_size:
        raise GraphQLError(
            f"first must be between 0 and {max_page_size}", extensions={"code": "BAD_USER_INPUT", "field": "first"}
        )
    return PageRequest(first=first, after_id=_decode_cursor(after) if after else None)


def to_connection(
    page: Page[Any], to_node: Callable[[Any], NodeType], count_total: Callable[[], Awaitable[int]]
) -> Connection[NodeType]:
    edges = [relay.Edge(node=to_node(row), cursor=encode_cursor(row.id)) for row in page.rows]
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
) -> Connection[NodeType]:
    """A top-level list, one statement for the page and one (only if asked) for totalCount."""
    request = page_request(first, after, info.context.settings.page_size_max)
    clauses = _filter_or_none(row_filter).clauses()
    async with read_session() as session:
        page = await fetch_page(model, request, clauses, session=session)

    async def count_total() -> int:
        async with read_session() as session:
            return await count_rows(model, clauses, session=session)

    return to_connection(page, to_node, count_total)
