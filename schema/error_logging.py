"""How GraphQL errors reach the log: expected refusals at INFO without a traceback, the rest as strawberry logs them.

Strawberry logs every error of a result at ERROR with the traceback of its original exception, so each
FORBIDDEN from a permission class looked like a crash and buried real ones. Errors whose
``extensions.code`` says the caller was refused or sent bad input are expected outcomes: one INFO line
(code, path, message), no traceback. Everything else keeps strawberry's ERROR line with traceback.
"""

from __future__ import annotations

import logging

import strawberry
from graphql import GraphQLError
from strawberry.types import ExecutionContext

EXPECTED_CODES = frozenset({"UNAUTHENTICATED", "FORBIDDEN", "BAD_USER_INPUT"})
logger = logging.getLogger("hrgate.graphql")


def is_expected(error: GraphQLError) -> bool:
    return (error.extensions or {}).get("code") in EXPECTED_CODES


class HrSchema(strawberry.Schema):
    """strawberry's schema with expected refusals logged quietly (see the module docstring)."""

    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        unexpected = []
        for error in errors:
            if is_expected(error):
                path = ".".join(str(part) for part in error.path or ()) or None
                logger.info("graphql %s at %s: %s", (error.extensions or {})["code"], path, error.message)
            else:
                unexpected.append(error)
        if unexpected:
            super().process_errors(unexpected, execution_context)
