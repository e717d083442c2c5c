"""Running a plan: one statement for the answer, one multi-row insert for the audit of what it read.

Both run on one pooled connection in autocommit (no BEGIN/COMMIT round trips, no pre-ping): a
single SELECT is its own consistent snapshot. The audit insert happens before any data leaves: if
it fails, the request fails.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import orjson
from sqlalchemy import JSON, Integer, String, bindparam, cast, func, insert, select
from sqlalchemy.exc import OperationalError

from gateway.db import get_engine
from gateway.models import AuditEvent
from resolvers.read_compiler.plan import OperationPlan
from resolvers.read_compiler.shape import AuditedReads, shape_operation
from resolvers.read_compiler.sql import StatementBuilder
from resolvers.services.audit import Actor, read_events

AUDITED_ACTOR_KINDS = frozenset({"person", "service"})


class TooDeepForDatabase(Exception):
    """SQLite's parser refuses statements nested this deep (about five nested lists): read another way."""


async def run_plan(plan: OperationPlan, actor: Actor) -> dict[str, Any]:
    """The ``data`` of the operation, with every audited read recorded for ``actor``."""
    audited: AuditedReads = {}
    if all(field.nested is None for field in plan.fields):
        return shape_operation(plan, [], audited)
    engine = get_engine()
    statement = plan.statements.get(engine.dialect.name)
    if statement is None:  # built once per plan and database: cached plans reuse it
        statement = plan.statements[engine.dialect.name] = StatementBuilder(engine.dialect.name).operation(plan)
    async with engine.connect() as connection:
        connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
        try:
            raw = (await connection.execute(statement)).scalar_one()
        except OperationalError as error:
            if "parser stack overflow" in str(error.orig):
                raise TooDeepForDatabase from None
            raise
        values = orjson.loads(raw) if isinstance(raw, str | bytes) else raw
        data = shape_operation(plan, values, audited)
        if audited and actor.kind in AUDITED_ACTOR_KINDS:
            for statement, parameters in audit_statements(engine.dialect.name, actor, audited):
                await connection.execute(statement, parameters)
    return data


def audit_statements(dialect_name: str, actor: Actor, audited: AuditedReads) -> list[tuple[Any, dict[str, Any]]]:
    """One ``INSERT … SELECT`` per audited entity type, its ids passed as one JSON array parameter.

    The statement's shape does not depend on how many rows were read, so it is compiled once per
    process (a ``VALUES`` list of a hundred rows would be compiled anew on every request).
    """
    ids_by_type: dict[str, list[int]] = {}
    for entity_type, entity_id in audited:
        ids_by_type.setdefault(entity_type, []).append(entity_id)
    statements = []
    for entity_type, ids in ids_by_type.items():
        event = read_events(actor, [(entity_type, ids[0])])[0]
        statements.append(
            (_insert_reads(dialect_name), {**event, "details": json.dumps(event["details"]), "ids": json.dumps(ids)})
        )
    return statements


@cache
def _insert_reads(dialect_name: str) -> Any:
    table = AuditEvent.__table__  # type: ignore[attr-defined]
    ids = bindparam("ids", type_=String)
    elements = (
        func.json_array_elements_text(cast(ids, JSON)) if dialect_name == "postgresql" else func.json_each(ids)
    ).table_valued("value")
    constants = [
        bindparam("occurred_at", type_=table.c.occurred_at.type),
        bindparam("actor", type_=String),
        bindparam("role", type_=String),
        bindparam("action", type_=String),
        bindparam("entity_type", type_=String),
        cast(bindparam("details", type_=String), table.c.details.type)
        if dialect_name == "postgresql"
        else bindparam("details", type_=String),
    ]
    columns = ["occurred_at", "actor", "role", "action", "entity_type", "details", "entity_id"]
    return insert(table).from_select(columns, select(*constants, cast(elements.c.value, Integer)).select_from(elements))
