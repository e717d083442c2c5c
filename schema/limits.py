"""Limits against hostile queries: depth, aliases, tokens, directives, repeated fields, static cost.

Passed to the schema as classes (a fresh instance per operation, never shared state).
Static cost, priced by ``first``: a list field costs ``first`` × (1 + the cost of
what it selects); another field selecting an object costs 1 + its selection;
connection plumbing (``edges``, ``node``, ``pageInfo``) and scalars are free. The
cost of each operation is reported in the response's ``extensions.cost``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    VariableNode,
    get_named_type,
)
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    SchemaExtension,
)

MAX_DEPTH = 8
MAX_ALIASES = 15
MAX_TOKENS = 2000
MAX_COST = 1000
MAX_DIRECTIVES = 10
MAX_FIELD_REPEATS = 3


class AliasLimit(MaxAliasesLimiter):
    def __init__(self) -> None:
        super().__init__(max_alias_count=MAX_ALIASES)


class TokenLimit(MaxTokensLimiter):
    def __init__(self) -> None:
        super().__init__(max_token_count=MAX_TOKENS)


class DirectiveCountRule(ValidationRule):
    """At most ``MAX_DIRECTIVES`` directives in a document (directive overloading)."""

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        self.count = 0

    def enter_directive(self, node, *_args) -> None:  # noqa: ANN001
        self.count += 1
        if self.count == MAX_DIRECTIVES + 1:
            self.report_error(
                GraphQLError(
                    f"more than {MAX_DIRECTIVES} directives in one document",
                    node,
                    extensions={"code": "TOO_MANY_DIRECTIVES"},
                )
            )


class FieldRepeatRule(ValidationRule):
    """The same field at most ``MAX_FIELD_REPEATS`` times in one selection set (field duplication)."""

    def enter_selection_set(self, node: SelectionSetNode, *_args) -> None:  # noqa: ANN001
        seen: dict[str, int] = {}
        for selection in node.selections:
            if isinstance(selection, FieldNode):
                key = (selection.alias or selection.name).value
                seen[key] = seen.get(key, 0) + 1
                if seen[key] == MAX_FIELD_REPEATS + 1:
                    self.report_error(
                        GraphQLError(
                            f"field '{key}' repeated more than {MAX_FIELD_REPEATS} times",
                            selection,
                            extensions={"code": "FIELD_REPEATED"},
                        )
                    )


class DepthRule(ValidationRule):
    """Operations nest at most ``MAX_DEPTH`` object fields deep.

    Relay plumbing (``edges`` and the ``node`` inside it) does not count, so
    ``requisitions → applications → candidate`` is depth 3. Introspection fields
    count (a circular ``types → fields → type → fields …`` query is refused) except
    ``ofType``, whose chains the standard introspection query of every GraphQL
    client nests deeply and the schema bounds anyway.
    """

    def enter_operation_definition(self, node: OperationDefinitionNode, *_args) -> None:  # noqa: ANN001
        fragments = {
            definition.name.value: definition
            for definition in self.context.document.definitions
            if isinstance(definition, FragmentDefinitionNode)
        }
        depth = _depth(node.selection_set, fragments, parent_is_edges=False, visiting=frozenset())
        if depth > MAX_DEPTH:
            name = node.name.value if node.name else "anonymous"
            self.report_error(
                GraphQLError(
                    f"'{name}' nests {depth} levels deep; the limit is {MAX_DEPTH}",
                    node,
                    extensions={"code": "QUERY_TOO_DEEP"},
                )
            )


def _depth(selection_set: SelectionSetNode | None, fragments, *, parent_is_edges: bool, visiting) -> int:  # noqa: ANN001
    if selection_set is None:
        return 0
    deepest = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            if selection.selection_set is None:
                continue
            name = selection.name.value
            plumbing = name in ("edges", "ofType") or (name == "node" and parent_is_edges)
            below = _depth(selection.selection_set, fragments, parent_is_edges=name == "edges", visiting=visiting)
            deepest = max(deepest, below + (0 if plumbing else 1))
        elif isinstance(selection, InlineFragmentNode):
            deepest = max(
                deepest, _depth(selection.selection_set, fragments, parent_is_edges=parent_is_edges, visiting=visiting)
            )
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name in fragments and name not in visiting and len(visiting) < 50:
                deepest = max(
                    deepest,
                    _depth(
                        fragments[name].selection_set,
                        fragments,
                        parent_is_edges=parent_is_edges,
                        visiting=visiting | {name},
                    ),
                )
    return deepest


class DocumentRules(AddValidationRules):
    def __init__(self) -> None:
        super().__init__([DepthRule, DirectiveCountRule, FieldRepeatRule])


class QueryCost(SchemaExtension):
    """Refuse operations whose static cost exceeds ``MAX_COST``; report the cost in ``extensions``."""

    def __init__(self) -> None:
        self.cost: int | None = None

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is not None:
            graphql_schema = context.schema._schema  # the graphql-core schema behind strawberry's
            self.cost = static_cost(
                graphql_schema, context.graphql_document, context.operation_name, context.variables or {}
            )
            if self.cost > MAX_COST:
                raise GraphQLError(
                    f"query cost {self.cost} exceeds the limit of {MAX_COST}: ask for fewer items (first) or nest less",
                    extensions={"code": "QUERY_TOO_COSTLY", "cost": self.cost, "maxCost": MAX_COST},
                )
        yield

    def get_results(self) -> dict[str, Any]:
        return {} if self.cost is None else {"cost": {"requested": self.cost, "maximum": MAX_COST}}


def static_cost(
    schema: GraphQLSchema, document: DocumentNode, operation_name: str | None, variables: dict[str, Any]
) -> int:
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    operation = next((o for o in operations if o.name and o.name.value == operation_name), None) or operations[0]
    root = schema.get_root_type(operation.operation)
    return _selection_cost(schema, operation.selection_set, root, fragments, variables, frozenset())


CONNECTION_PLUMBING = frozenset({"edges", "node", "pageInfo"})


def _selection_cost(schema, selection_set, parent_type, fragments, variables, visiting) -> int:  # noqa: ANN001
    cost = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            fields = getattr(parent_type, "fields", {}) or {}
            definition = fields.get(selection.name.value)
            if definition is None or selection.selection_set is None:
                continue
            children = _selection_cost(
                schema, selection.selection_set, get_named_type(definition.type), fragments, variables, visiting
            )
            if "first" in definition.args:
                cost += max(_first(selection, definition, variables), 1) * (1 + children)
            elif selection.name.value in CONNECTION_PLUMBING and parent_type is not schema.query_type:
                cost += children
            else:
                cost += 1 + children
        elif isinstance(selection, InlineFragmentNode):
            fragment_type = (
                schema.get_type(selection.type_condition.name.value) if selection.type_condition else parent_type
            )
            cost += _selection_cost(schema, selection.selection_set, fragment_type, fragments, variables, visiting)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is None or name in visiting:
                continue
            fragment_type = schema.get_type(fragment.type_condition.name.value)
            cost += _selection_cost(
                schema, fragment.selection_set, fragment_type, fragments, variables, visiting | {name}
            )
    return cost


def _first(node: FieldNode, definition: Any, variables: dict[str, Any]) -> int:
    for argument in node.arguments or ():
        if argument.name.value != "first":
            continue
        if isinstance(argument.value, IntValueNode):
            return int(argument.value.value)
        if isinstance(argument.value, VariableNode):
            value = variables.get(argument.value.name.value)
            if isinstance(value, int):
                return value
    default = definition.args["first"].default_value
    return default if isinstance(default, int) else 100


LIMITS: list[type[SchemaExtension]] = [AliasLimit, TokenLimit, DocumentRules, QueryCost]
