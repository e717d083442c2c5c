"""Parse and validate each distinct GraphQL document once per process, not once per request.

Portals send the same few documents over and over (persisted queries make that explicit), and
graphql-core's validation was about half of the CPU of a trivial request. Both caches are bounded
LRUs keyed by the document's text, so a flood of distinct documents cannot grow memory without end.

What still runs on every request: the hostile-input limits that ``schema.limits.DocumentLimits``
checks before validation (its refusal is kept; this cache never overwrites it), the token limit (a
document over it fails to parse, and failures are not cached), and every check that depends on the
variables, such as the static cost in ``QueryCost.on_execute``.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from graphql import GraphQLError
from strawberry.extensions import ParserCache, SchemaExtension
from strawberry.schema.schema import validate_document

if TYPE_CHECKING:
    from graphql import DocumentNode, GraphQLSchema

PARSED_DOCUMENTS_MAX = 256
VALIDATED_DOCUMENTS_MAX = 256
"""Distinct documents kept parsed / validated. A document is at most ``schema.limits.MAX_TOKENS`` tokens,
so the caches stay within a few tens of MiB even when a client sends nothing but new documents."""


class DocumentParserCache(ParserCache):
    """strawberry's parser cache (keyed by the text and the parse options, the token limit included)."""

    def __init__(self) -> None:
        super().__init__(maxsize=PARSED_DOCUMENTS_MAX)


class _ValidationKey:
    """A cache key that hashes the document's text, not its AST.

    graphql-core's AST nodes are frozen dataclasses whose hash walks the whole tree on every call
    (about 0.1 ms for a portal query); the text's hash is cached by Python and the text determines
    the document. The schema and the rule classes are part of the key.
    """

    __slots__ = ("document", "rules", "schema", "text")

    def __init__(self, text: str, document: DocumentNode, schema: GraphQLSchema, rules: tuple[Any, ...]) -> None:
        self.text, self.document, self.schema, self.rules = text, document, schema, rules

    def __hash__(self) -> int:
        return hash((self.text, self.rules))

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, _ValidationKey)
            and self.schema is other.schema
            and self.text == other.text
            and self.rules == other.rules
        )


@lru_cache(maxsize=VALIDATED_DOCUMENTS_MAX)
def _validated(key: _ValidationKey) -> tuple[GraphQLError, ...]:
    return tuple(validate_document(key.schema, key.document, key.rules))


def validation_cache_info() -> Any:
    """Hits and misses of the validation cache (tests and diagnostics)."""
    return _validated.cache_info()


def _copy(error: GraphQLError) -> GraphQLError:
    """Each request gets its own error objects: later extensions edit messages in place (production strips
    "Did you mean" suggestions), which must not leak into the cached errors other requests will see."""
    return GraphQLError(
        error.message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=error.original_error,
        extensions=error.extensions,
    )


class DocumentValidationCache(SchemaExtension):
    """Validation with every rule (graphql-core's, the depth and repeated-field limits, strawberry's), cached.

    Comes after ``schema.limits.LIMITS`` in the schema's list: when ``DocumentLimits`` has already refused
    the document, that refusal stands and no rule runs.
    """

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if context.pre_execution_errors is None and context.graphql_document is not None and context.query:
            key = _ValidationKey(
                context.query, context.graphql_document, context.schema._schema, tuple(context.validation_rules)
            )
            context.pre_execution_errors = [_copy(error) for error in _validated(key)]
        yield


DOCUMENT_CACHES: list[type[SchemaExtension]] = [DocumentParserCache, DocumentValidationCache]
"""For ``strawberry.Schema(extensions=[*LIMITS, *DOCUMENT_CACHES, …])``."""
