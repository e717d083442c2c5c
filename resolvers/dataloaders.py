"""Per-request DataLoaders: every relation of the graph resolves through one of these.

Built fresh for each request in the GraphQL context (never at module level: a
process-wide cache would leak one user's data to another). Each batch opens its own
short session, so sibling resolvers running concurrently never share one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any, Protocol

from sqlmodel import SQLModel, col, select
from strawberry.dataloader import DataLoader

from gateway.db import read_session
from gateway.models import KpiPriority
from resolvers.pagination import Page, PageRequest, count_children, fetch_child_pages
from resolvers.services.audit import Actor, record_reads
from resolvers.services.kpi_priorities import EffectivePriority, effective_priorities


class Filter(Protocol):
    def __hash__(self) -> int: ...
    def clauses(self) -> list[Any]: ...


ChildPageKey = tuple[int, PageRequest, Filter]
ChildCountKey = tuple[int, Filter]


def _rows_by_id_loader(model: type[SQLModel]) -> DataLoader[int, Any]:
    """``<Model>ByIdLoader``: rows by primary key (None for unknown ids)."""

    async def load(ids: Sequence[int]) -> list[Any]:
        async with read_session() as session:
            rows = (await session.exec(select(model).where(col(model.id).in_(ids)))).all()  # type: ignore[attr-defined]
        by_id = {row.id: row for row in rows}  # type: ignore[attr-defined]
        return [by_id.get(row_id) for row_id in ids]

    return DataLoader(load_fn=load)


def _row_by_column_loader(model: type[SQLModel], column: Any) -> DataLoader[int, Any]:
    """``<Model>By<Column>Loader``: the one row (or None) whose unique column equals the key."""

    async def load(keys: Sequence[int]) -> list[Any]:
        async with read_session() as session:
            rows = (await session.exec(select(model).where(col(column).in_(keys)))).all()
        by_key = {getattr(row, column.key): row for row in rows}
        return [by_key.get(key) for key in keys]

    return DataLoader(load_fn=load)


def _latest_by_column_loader(model: type[SQLModel], column: Any) -> DataLoader[int, Any]:
    """``<Model>LatestBy<Column>Loader``: the newest row (highest id) per key (an application's latest interview)."""

    async def load(keys: Sequence[int]) -> list[Any]:
        async with read_session() as session:
            rows = (await session.exec(select(model).where(col(column).in_(keys)))).all()
        latest: dict[int, Any] = {}
        for row in rows:
            key = getattr(row, column.key)
            if key not in latest or row.id > latest[key].id:  # type: ignore[attr-defined]
                latest[key] = row
        return [latest.get(key) for key in keys]

    return DataLoader(load_fn=load)


def _child_page_loader(model: type[SQLModel], parent_column: Any) -> DataLoader[ChildPageKey, Page[Any]]:
    """``<Model>PageBy<Parent>Loader``: one page of children per parent, one statement per distinct page request."""

    async def load(keys: Sequence[ChildPageKey]) -> list[Page[Any]]:
        groups: dict[tuple[PageRequest, Filter], list[int]] = defaultdict(list)
        for parent_id, request, row_filter in keys:
            groups[(request, row_filter)].append(parent_id)
        results: dict[ChildPageKey, Page[Any]] = {}
        async with read_session() as session:
            for (request, row_filter), parent_ids in groups.items():
                pages = await fetch_child_pages(
                    model, parent_column, parent_ids, request, row_filter.clauses(), session=session
                )
                for parent_id, page in pages.items():
                    results[(parent_id, request, row_filter)] = page
        return [results[key] for key in keys]

    return DataLoader(load_fn=load)


def _child_count_loader(model: type[SQLModel], parent_column: Any) -> DataLoader[ChildCountKey, int]:
    """``<Model>CountBy<Parent>Loader``: totalCount of a nested connection, grouped in one statement."""

    async def load(keys: Sequence[ChildCountKey]) -> list[int]:
        groups: dict[Filter, list[int]] = defaultdict(list)
        for parent_id, row_filter in keys:
            groups[row_filter].append(parent_id)
        results: dict[ChildCountKey, int] = {}
        async with read_session() as session:
            for row_filter, parent_ids in groups.items():
                counts = await count_children(model, parent_column, parent_ids, row_filter.clauses(), session=session)
                for parent_id, count in counts.items():
                    results[(parent_id, row_filter)] = count
        return [results[key] for key in keys]

    return DataLoader(load_fn=load)


def _kpi_priorities_loader() -> DataLoader[int, list[EffectivePriority]]:
    """``KpiPrioritiesByVersionLoader``: each version's linked KPIs with the priority that counts."""

    async def load(version_ids: Sequence[int]) -> list[list[EffectivePriority]]:
        async with read_session() as session:
            priorities = await effective_priorities(list(version_ids), session=session)
        return [priorities.get(version_id, []) for version_id in version_ids]

    return DataLoader(load_fn=load)


def audit_read_loader(actor: Actor) -> DataLoader[tuple[str, int], None]:
    """``AuditReadLoader``: every report or archive read in one batch is audited with one insert."""

    async def load(keys: Sequence[tuple[str, int]]) -> list[None]:
        await record_reads(actor, keys)
        return [None] * len(keys)

    return DataLoader(load_fn=load)


class Loaders:
    """The request's loaders, created on first use and keyed by what they load."""

    def __init__(self) -> None:
        self._loaders: dict[tuple[str, Any, Any], DataLoader[Any, Any]] = {}

    def _get(self, kind: str, model: type[SQLModel], column: Any, factory: Any) -> DataLoader[Any, Any]:
        key = (kind, model, column)
        if key not in self._loaders:
            self._loaders[key] = factory()
        return self._loaders[key]

    def by_id(self, model: type[SQLModel]) -> DataLoader[int, Any]:
        return self._get("by_id", model, None, lambda: _rows_by_id_loader(model))

    def one_by(self, model: type[SQLModel], column: Any) -> DataLoader[int, Any]:
        return self._get("one_by", model, column.key, lambda: _row_by_column_loader(model, column))

    def latest_by(self, model: type[SQLModel], column: Any) -> DataLoader[int, Any]:
        return self._get("latest_by", model, column.key, lambda: _latest_by_column_loader(model, column))

    def page_by(self, model: type[SQLModel], parent_column: Any) -> DataLoader[ChildPageKey, Page[Any]]:
        return self._get("page_by", model, parent_column.key, lambda: _child_page_loader(model, parent_column))

    def count_by(self, model: type[SQLModel], parent_column: Any) -> DataLoader[ChildCountKey, int]:
        return self._get("count_by", model, parent_column.key, lambda: _child_count_loader(model, parent_column))

    def kpi_priorities(self) -> DataLoader[int, list[EffectivePriority]]:
        return self._get("kpi_priorities", KpiPriority, None, _kpi_priorities_loader)
