"""Answering a repeated, already validated read without graphql-core: the portal's hot path.

Once a query document has gone through the whole schema (parse, every validation rule and limit,
then the read compiler) it is remembered as *prepared*. The next request with the same text skips
strawberry's per-request machinery: it re-runs only the checks that depend on the request (the
variables' cost and NUL characters), plans (from the plan cache, keyed by principal and
variables) and runs the one statement. Anything else — a new document, a mutation, a cost over
the limit, an operation the compiler leaves alone, a failure — returns None and the request takes
the full path, which answers it exactly as before (and is what the tests compare against).
"""

from __future__ import annotations

import logging
from typing import Any

from strawberry.types import ExecutionResult

from resolvers.read_compiler.execute import run_plan
from schema.input_guard import _contains_nul
from schema.limits import MAX_COST, static_cost
from schema.read_planner import cached_plan, prepared_documents

logger = logging.getLogger(__name__)


async def answer_prepared(
    strawberry_schema: Any,
    context: Any,
    query: str | None,
    variables: dict[str, Any] | None,
    operation_name: str | None,
) -> ExecutionResult | None:
    """The result of a prepared read, or None when the request must take the full path."""
    if not query or not getattr(context, "compiled_reads", False):
        return None
    document = prepared_documents.get(query, operation_name, context.settings.is_production)
    if document is None:
        return None
    variables = variables or {}
    if _contains_nul(variables):
        return None
    cost = static_cost(strawberry_schema._schema, document, operation_name, variables)
    if cost > MAX_COST:
        return None
    plan = cached_plan(strawberry_schema, context, query, document, operation_name, variables)
    if plan is None:
        return None
    try:
        data = await run_plan(plan, context.actor)
    except Exception:  # noqa: BLE001 - the full path reports it (masked in production)
        logger.debug("prepared read failed; taking the full path", exc_info=True)
        return None
    return ExecutionResult(data=data, errors=None, extensions={"cost": {"requested": cost, "maximum": MAX_COST}})
