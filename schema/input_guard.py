"""Refuse NUL characters in any string an operation carries, before a resolver or the database sees it.

PostgreSQL cannot store or compare U+0000 in text: a filter such as ``candidates(search: "a\\u0000")``
used to reach asyncpg and come back as a database error (with the SQL text in development). Every
string argument, in the document (escaped as ``\\u0000``) or in the variables, is checked here once per
operation, so a new field cannot forget it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import DocumentNode, GraphQLError, StringValueNode, Visitor, visit
from strawberry.extensions import SchemaExtension

NUL = "\x00"


def _contains_nul(value: Any, depth: int = 0) -> bool:
    if isinstance(value, str):
        return NUL in value
    if depth > 64:  # variables are parsed JSON; the body limit bounds them, this bounds the walk
        return False
    if isinstance(value, dict):
        return any(_contains_nul(key, depth + 1) or _contains_nul(item, depth + 1) for key, item in value.items())
    if isinstance(value, list | tuple):
        return any(_contains_nul(item, depth + 1) for item in value)
    return False


class _NulLiteralFinder(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def enter_string_value(self, node: StringValueNode, *_args: Any) -> Any:
        if NUL in node.value:
            self.found = True
            return self.BREAK
        return None


def document_contains_nul(document: DocumentNode) -> bool:
    finder = _NulLiteralFinder()
    visit(document, finder)
    return finder.found


class NulCharacterGuard(SchemaExtension):
    """BAD_USER_INPUT for an operation whose string literals or variables contain U+0000."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if _contains_nul(context.variables or {}) or (document is not None and document_contains_nul(document)):
            raise GraphQLError(
                "strings may not contain the NUL character (U+0000)", extensions={"code": "BAD_USER_INPUT"}
            )
        yield
