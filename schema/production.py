"""Production hardening, decided per request from the context's settings (one schema serves both modes).

In production: introspection is refused, no error message suggests names ("Did you
mean …?" from validation, and from graphql-core's coercion of variables and input
values alike), and resolver exceptions are masked as "Unexpected error." while
validation and user-input errors stay readable.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from graphql import GraphQLError, validate
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import MaskErrors, SchemaExtension

# graphql-core's did_you_mean(): names only, so the first "?" ends it; it may sit mid-message
# ("… unknown field 'fullNam'. Did you mean 'fullName'? Found: {…}.").
_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


def _in_production(extension: SchemaExtension) -> bool:
    settings = getattr(extension.execution_context.context, "settings", None)
    return bool(settings is not None and settings.is_production)


class ProductionErrorMasking(MaskErrors):
    def __init__(self) -> None:
        super().__init__(should_mask_error=self._should_mask)

    def _should_mask(self, error: GraphQLError) -> bool:
        unexpected = error.original_error is not None and not isinstance(error.original_error, GraphQLError)
        return unexpected and _in_production(self)


def _strip_suggestions(errors: list[GraphQLError] | None) -> None:
    """In place: the errors are already in the result strawberry returns (path and locations kept)."""
    for error in errors or ():
        error.message = _SUGGESTION.sub("", error.message)


class ProductionValidation(SchemaExtension):
    def on_validate(self) -> Iterator[None]:
        yield
        if _in_production(self):
            _strip_suggestions(self.execution_context.pre_execution_errors)

    def on_operation(self) -> Iterator[None]:
        yield
        # Variable coercion errors ("Variable '$s' has invalid value: … Did you mean the enum
        # value 'OPEN'?") come from execution, after validation.
        result = self.execution_context.result
        if _in_production(self) and result is not None:
            _strip_suggestions(getattr(result, "errors", None))

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        if _in_production(self) and context.graphql_document is not None:
            refused = validate(context.schema._schema, context.graphql_document, [NoSchemaIntrospectionCustomRule])
            if refused:
                raise GraphQLError(refused[0].message, extensions={"code": "INTROSPECTION_DISABLED"})
        yield
