"""Running a plan: one statement for the answer, one multi-row insert for the audit of what it read.

Both run on one pooled connection in autocommit (no BEGIN/COMMIT round trips, no pre-ping): a
single SELECT is its own consistent snapshot. The audit insert happens before any data leaves: if
it fails, the request fails.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import insert
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
    statement = StatementBuilder(engine.dialect.name).operation(plan)
    async with engine.connect() as connection:
        connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
        try:
            raw = (await connection.execute(statement)).scalar_one()
        except OperationalError as error:
            if "parser stack overflow" in str(error.orig):
                raise TooDeepForDatabase from None
            raise
        values = json.loads(raw) if isinstance(raw, str | bytes) else raw
        data = shape_operation(plan, values, audited)
        if audited and actor.kind in AUDITED_ACTOR_KINDS:
            await connection.execute(insert(AuditEvent).values(read_events(actor, audited)))
    return data
