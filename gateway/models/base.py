"""Column helpers shared by every table."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps on PostgreSQL and SQLite alike (SQLite drops the zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def created_at_field() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


def updated_at_field() -> Any:
    """When the row last changed: set on insert and by every UPDATE, ORM or Core (the column's ``onupdate``).

    Incremental sync (``updatedSince`` on the top-level lists) pages by ``(updated_at, id)``, so the column
    is indexed. A Core ``update()`` that names ``updated_at`` itself wins over ``onupdate``; raw SQL text
    would bypass it (there is none that updates rows).
    """
    return Field(
        default_factory=utcnow,
        sa_type=UTCDateTime,
        nullable=False,
        index=True,
        sa_column_kwargs={"default": utcnow, "onupdate": utcnow},
    )


def timestamp_field(*, nullable: bool = True) -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable)


def json_field(*, default_factory: Any = list) -> Any:
    return Field(default_factory=default_factory, sa_type=sa.JSON, nullable=False)


def enum_field(enum_cls: type, *, default: Any = ..., nullable: bool = False, index: bool = False) -> Any:
    """Enums stored as their string values (readable in SQL, no native enum to migrate)."""
    column_type = sa.Enum(
        enum_cls,
        name=enum_cls.__name__.lower(),
        values_callable=lambda members: [member.value for member in members],
        native_enum=False,
        length=32,
    )
    if nullable and default is ...:
        default = None
    return Field(default=default, sa_type=column_type, nullable=nullable, index=index)


def table_for_statements(model: Any, stamp: bool = True) -> Any:
    """``model``'s table for Core statements; without ``updated_at`` when ``stamp`` is False (a migration that
    runs before migration 0019 gave every table the column, and so must not let ``onupdate`` name it)."""
    table = model.__table__
    if stamp:
        return table
    return sa.table(
        table.name, *(sa.column(column.name, column.type) for column in table.c if column.name != "updated_at")
    )
