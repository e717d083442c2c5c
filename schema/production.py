"""Production hardening, decided per request from the context's settings (one schema serves both modes).

In production: introspection is refused, validation messages carry no field
suggestions, and resolver exceptions are masked as "Unexpected error." while
validation and user-input errors stay readable.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from graphql import GraphQLError, validate
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import MaskErrors, SchemaExtension

_SUGGESTION = re.compile(r"\s*Did you mean .*\?$")


def _in_production(extension: SchemaExtension) -> bool:
    settings = getattr(extension.execution_context.context, "settings", None)
    return bool(settings is not None and settings.is_production)


class ProductionErrorMasking(MaskErrors):
    def __init__(self) -> None:
        super().__init__(should_mask_error=self._should_mask)

    def _should_mask(self, error: GraphQLError) -> bool:
        unexpected = error.original_error is not None and not isinstance(error.original_error, GraphQLError)
        return unexpected and _in_production(self)


class ProductionValidation(SchemaExtension):
    def on_validate(self) -> Iterator[None]:
        yield
        errors = self.execution_context.pre_execution_errors
        if errors and _in_production(self):
            # In place: strawberry has already put this very list into the result.
            errors[:] = [
                GraphQLError(_SUGGESTION.sub("", error.message), error.nodes, extensions=error.extensions)
                for error in errors
            ]

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        if _in_production(self) and context.graphql_document is not None:
            refused = validate(context.schema._schema, context.graphql_document, [NoSchemaIntrospectionCustomRule])
            if refused:
                raise GraphQLError(refused[0].message, extensions={"code": "INTROSPECTION_DISABLED"})
        yield
