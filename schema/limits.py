"""Limits against hostile queries: size, depth, aliases, tokens, directives, repeated fields, static cost.

Passed to the schema as classes (a fresh instance per operation, never shared state).

Every check runs in time linear in the document: a fragment is measured once and
remembered (keyed by its name and whatever context changes its value), never walked
again at each spread. Before any other validation rule (graphql-core's, such as
OverlappingFieldsCanBeMerged, included) sees a document, ``DocumentLimits`` measures
what the operations expand to once their fragments are inlined and refuses oversized
documents with one error, so the work of every later rule is bounded too.

Static cost, priced by ``first``: a list field costs ``first`` × (1 + the cost of
what it selects); a list field taking a list argument (``nodes(ids:)``) costs its
length × (1 + …); another field selecting an object costs 1 + its selection;
connection plumbing (``edges``, ``node``, ``pageInfo``) and scalars are free. A
variable is priced by its value, or by its default value when none is given. The
cost of each operation is reported in the response's ``extensions.cost``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    ListValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_list_type,
    validate,
    value_from_ast_untyped,
)
from graphql.validation import KnownDirectivesRule, UniqueDirectivesPerLocationRule
from strawberry.extensions import AddValidationRules, MaxTokensLimiter, SchemaExtension

MAX_DEPTH = 8
MAX_ALIASES = 15
MAX_TOKENS = 2000
MAX_COST = 1000
MAX_DIRECTIVES = 10
MAX_FIELD_REPEATS = 3
# One response name in a selection set once its inline fragments and fragment spreads are
# merged (Relay-style clients select ``id`` in every fragment on a node): graphql-core's
# OverlappingFieldsCanBeMerged compares these pairwise, so their number must stay small.
MAX_MERGED_FIELD_REPEATS = 20
# Fields, fragment spreads and inline fragments once every fragment is inlined. The
# standard introspection query of GraphQL clients expands to about 240.
MAX_EXPANDED_SELECTIONS = 2000
# Selection sets and fragment spreads on the deepest path once fragments are inlined
# (the standard introspection query reaches 18); it also bounds the recursion of the
# depth and cost rules.
MAX_EXPANDED_NESTING = 50


class TokenLimit(MaxTokensLimiter):
    def __init__(self) -> None:
        super().__init__(max_token_count=MAX_TOKENS)


def _fragments(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}


@dataclass(frozen=True)
class Shape:
    """What a selection set amounts to once its fragments are inlined."""

    selections: int = 0
    aliases: int = 0
    nesting: int = 0


@dataclass(frozen=True)
class _LocalShape:
    """A definition's own selections, and the fragments it spreads at which nesting level."""

    shape: Shape
    spreads: tuple[tuple[str, int], ...]


def _local_shape(selection_set: SelectionSetNode) -> _LocalShape:
    """Walk one definition's own AST (iteratively: nesting is bounded only by the parser)."""
    selections = aliases = nesting = 0
    spreads: list[tuple[str, int]] = []
    pending = [(selection_set, 1)]
    while pending:
        current, level = pending.pop()
        nesting = max(nesting, level)
        for selection in current.selections:
            selections += 1
            if isinstance(selection, FragmentSpreadNode):
                spreads.append((selection.name.value, level))
                continue
            if isinstance(selection, FieldNode) and selection.alias is not None:
                aliases += 1
            if selection.selection_set is not None:
                pending.append((selection.selection_set, level + 1))
    return _LocalShape(Shape(selections, aliases, nesting), tuple(spreads))


def document_shape(document: DocumentNode) -> Shape:
    """The expanded size of every operation of a document, in time linear in the document.

    Each fragment's shape is computed once (post-order over the spread graph, without
    recursion) and reused at every spread. A spread that closes a cycle counts as
    empty: graphql-core's NoFragmentCyclesRule refuses such documents.
    """
    local = {name: _local_shape(fragment.selection_set) for name, fragment in _fragments(document).items()}
    expanded: dict[str, Shape] = {}
    in_progress: set[str] = set()

    def combine(own: _LocalShape) -> Shape:
        selections, aliases, nesting = own.shape.selections, own.shape.aliases, own.shape.nesting
        for name, level in own.spreads:
            inner = expanded.get(name, Shape())
            selections += inner.selections
            aliases += inner.aliases
            nesting = max(nesting, level + inner.nesting)
        return Shape(selections, aliases, nesting)

    def expand(root: str) -> None:
        pending = [root]
        while pending:
            name = pending[-1]
            if name in expanded or name not in local:
                pending.pop()
            elif name in in_progress:
                expanded[name] = combine(local[name])
                in_progress.discard(name)
                pending.pop()
            else:
                in_progress.add(name)
                spreads = {spread for spread, _ in local[name].spreads}
                pending.extend(spreads - in_progress - expanded.keys())

    for name in local:
        expand(name)
    total = Shape()
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            shape = combine(_local_shape(definition.selection_set))
            total = Shape(
                total.selections + shape.selections, total.aliases + shape.aliases, max(total.nesting, shape.nesting)
            )
    return total


def _refusal(message: str, code: str, **extensions: Any) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code, **extensions})


def _directive_refusal(schema: GraphQLSchema, document: DocumentNode) -> GraphQLError | None:
    """One error for any number of bad directives (graphql-core reports one per directive).

    Counted on the document as written, before fragments are inlined.
    """
    count = sum(1 for _ in _directives(document))
    if count > MAX_DIRECTIVES:
        return _refusal(f"more than {MAX_DIRECTIVES} directives in one document", "TOO_MANY_DIRECTIVES")
    refused = validate(schema, document, [KnownDirectivesRule, UniqueDirectivesPerLocationRule])
    if not refused:
        return None
    others = f" ({len(refused) - 1} more directive errors)" if len(refused) > 1 else ""
    return GraphQLError(refused[0].message + others, refused[0].nodes, extensions={"code": "INVALID_DIRECTIVE"})


def _directives(document: DocumentNode) -> Iterator[Any]:
    pending: list[Any] = list(document.definitions)
    while pending:
        node = pending.pop()
        yield from getattr(node, "directives", None) or ()
        selection_set = getattr(node, "selection_set", None)
        if selection_set is not None:
            pending.extend(selection_set.selections)
        pending.extend(getattr(node, "variable_definitions", None) or ())


def document_refusal(schema: GraphQLSchema, document: DocumentNode) -> GraphQLError | None:
    """The first limit a document breaks, checked in linear time before any other validation rule."""
    shape = document_shape(document)
    if shape.selections > MAX_EXPANDED_SELECTIONS:
        return _refusal(
            f"the query expands to {shape.selections} selections once its fragments are inlined; "
            f"the limit is {MAX_EXPANDED_SELECTIONS}",
            "QUERY_TOO_LARGE",
            maxSelections=MAX_EXPANDED_SELECTIONS,
        )
    if shape.nesting > MAX_EXPANDED_NESTING:
        return _refusal(
            f"the query nests {shape.nesting} selection sets and fragment spreads deep once its fragments are "
            f"inlined; the limit is {MAX_EXPANDED_NESTING}",
            "QUERY_TOO_LARGE",
            maxNesting=MAX_EXPANDED_NESTING,
        )
    if shape.aliases > MAX_ALIASES:
        return _refusal(f"{shape.aliases} aliases found. Allowed: {MAX_ALIASES}", "TOO_MANY_ALIASES")
    return field_repeat_refusal(document) or _directive_refusal(schema, document)


def field_repeat_refusal(document: DocumentNode) -> GraphQLError | None:
    """Call only on a document whose nesting is bounded (``document_refusal`` checks that first)."""
    return _FieldRepeats(_fragments(document)).refusal(document)


class _FieldRepeats:
    """The same field at most ``MAX_FIELD_REPEATS`` times in one selection set as written (field
    duplication), and at most ``MAX_MERGED_FIELD_REPEATS`` once fragments are merged into it.

    Each fragment's response names are counted once. Recursion is safe: ``document_refusal``
    has already bounded the nesting of selection sets and spreads.
    """

    def __init__(self, fragments: dict[str, FragmentDefinitionNode]) -> None:
        self.fragments = fragments
        self.memo: dict[str, Counter[str]] = {}
        self.in_progress: set[str] = set()

    def refusal(self, document: DocumentNode) -> GraphQLError | None:
        pending = [(d.selection_set, True) for d in document.definitions if hasattr(d, "selection_set")]
        while pending:
            selection_set, merges = pending.pop()
            written: Counter[str] = Counter()
            for selection in selection_set.selections:
                if isinstance(selection, FieldNode):
                    key = (selection.alias or selection.name).value
                    written[key] += 1
                    if written[key] > MAX_FIELD_REPEATS:
                        return GraphQLError(
                            f"field '{key}' repeated more than {MAX_FIELD_REPEATS} times",
                            selection,
                            extensions={"code": "FIELD_REPEATED"},
                        )
                if getattr(selection, "selection_set", None) is not None:
                    # An inline fragment's fields are merged into (and counted with) its parent's.
                    pending.append((selection.selection_set, isinstance(selection, FieldNode)))
            if merges:
                name, count = max(self.collected(selection_set).items(), key=lambda item: item[1], default=("", 0))
                if count > MAX_MERGED_FIELD_REPEATS:
                    return _refusal(
                        f"field '{name}' is selected {count} times in one selection set once its fragments "
                        f"are merged; the limit is {MAX_MERGED_FIELD_REPEATS}",
                        "FIELD_REPEATED",
                    )
        return None

    def collected(self, selection_set: SelectionSetNode) -> Counter[str]:
        """Response names of the fields merged into this selection set (inline fragments and spreads)."""
        counts: Counter[str] = Counter()
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                counts[(selection.alias or selection.name).value] += 1
            elif isinstance(selection, InlineFragmentNode):
                counts.update(self.collected(selection.selection_set))
            else:
                counts.update(self.fragment(selection.name.value))
        return counts

    def fragment(self, name: str) -> Counter[str]:
        if name not in self.memo:
            if name not in self.fragments or name in self.in_progress:
                return Counter()  # unknown or cyclic: graphql-core's own rules refuse the document
            self.in_progress.add(name)
            self.memo[name] = self.collected(self.fragments[name].selection_set)
            self.in_progress.discard(name)
        return self.memo[name]


class DocumentLimits(SchemaExtension):
    """Refuse oversized documents before the validation rules run (one error, no rule walks them).

    strawberry skips its validation when an extension has already set
    ``pre_execution_errors``; this extension must come first in the schema's list.
    """

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is not None and context.pre_execution_errors is None:
            refusal = document_refusal(context.schema._schema, context.graphql_document)
            if refusal is not None:
                context.pre_execution_errors = [refusal]
        yield


class DepthRule(ValidationRule):
    """Operations nest at most ``MAX_DEPTH`` object fields deep.

    Relay plumbing (``edges`` and the ``node`` inside it) does not count, so
    ``requisitions → applications → candidate`` is depth 3. Introspection fields
    count (a circular ``types → fields → type → fields …`` query is refused) except
    ``ofType``, whose chains the standard introspection query of every GraphQL
    client nests deeply and the schema bounds anyway.
    """

    def enter_operation_definition(self, node: OperationDefinitionNode, *_args) -> None:  # noqa: ANN001
        depth = _Depth(_fragments(self.context.document)).of(node.selection_set, parent_is_edges=False)
        if depth > MAX_DEPTH:
            name = node.name.value if node.name else "anonymous"
            self.report_error(
                GraphQLError(
                    f"'{name}' nests {depth} levels deep; the limit is {MAX_DEPTH}",
                    node,
                    extensions={"code": "QUERY_TOO_DEEP"},
                )
            )


class _Depth:
    """Depth with each fragment measured once per context (whether it is spread inside ``edges``)."""

    def __init__(self, fragments: dict[str, FragmentDefinitionNode]) -> None:
        self.fragments = fragments
        self.memo: dict[tuple[str, bool], int] = {}
        self.in_progress: set[str] = set()

    def of(self, selection_set: SelectionSetNode | None, *, parent_is_edges: bool) -> int:
        if selection_set is None:
            return 0
        deepest = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                if selection.selection_set is None:
                    continue
                name = selection.name.value
                plumbing = name in ("edges", "ofType") or (name == "node" and parent_is_edges)
                below = self.of(selection.selection_set, parent_is_edges=name == "edges")
                deepest = max(deepest, below + (0 if plumbing else 1))
            elif isinstance(selection, InlineFragmentNode):
                deepest = max(deepest, self.of(selection.selection_set, parent_is_edges=parent_is_edges))
            elif isinstance(selection, FragmentSpreadNode):
                deepest = max(deepest, self.fragment(selection.name.value, parent_is_edges=parent_is_edges))
        return deepest

    def fragment(self, name: str, *, parent_is_edges: bool) -> int:
        key = (name, parent_is_edges)
        if key not in self.memo:
            if name not in self.fragments or name in self.in_progress:
                return 0  # unknown or cyclic: graphql-core's own rules refuse the document
            self.in_progress.add(name)
            self.memo[key] = self.of(self.fragments[name].selection_set, parent_is_edges=parent_is_edges)
            self.in_progress.discard(name)
        return self.memo[key]


class DocumentRules(AddValidationRules):
    def __init__(self) -> None:
        super().__init__([DepthRule])


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
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    operation = next((o for o in operations if o.name and o.name.value == operation_name), None) or operations[0]
    root = schema.get_root_type(operation.operation)
    return _Cost(schema, _fragments(document), _variable_values(operation, variables)).of(operation.selection_set, root)


def _variable_values(operation: OperationDefinitionNode, variables: dict[str, Any]) -> dict[str, Any]:
    """The value each variable will have: the one sent, else the operation's default for it."""
    values: dict[str, Any] = {}
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        if variables.get(name) is not None:
            values[name] = variables[name]
        elif definition.default_value is not None:
            values[name] = value_from_ast_untyped(definition.default_value)
    return values


CONNECTION_PLUMBING = frozenset({"edges", "node", "pageInfo"})


class _Cost:
    """Static cost with each fragment priced once (its price depends on nothing but its name here)."""

    def __init__(self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode], variables: dict[str, Any]):
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.memo: dict[str, int] = {}
        self.in_progress: set[str] = set()

    def of(self, selection_set: SelectionSetNode, parent_type: Any) -> int:
        cost = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                fields = getattr(parent_type, "fields", {}) or {}
                definition = fields.get(selection.name.value)
                if definition is None or selection.selection_set is None:
                    continue
                children = self.of(selection.selection_set, get_named_type(definition.type))
                items = self._items(selection, definition)
                if items is not None:
                    cost += items * (1 + children)
                elif selection.name.value in CONNECTION_PLUMBING and parent_type is not self.schema.query_type:
                    cost += children
                else:
                    cost += 1 + children
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                fragment_type = self.schema.get_type(condition.name.value) if condition else parent_type
                cost += self.of(selection.selection_set, fragment_type)
            elif isinstance(selection, FragmentSpreadNode):
                cost += self.fragment(selection.name.value)
        return cost

    def fragment(self, name: str) -> int:
        if name not in self.memo:
            fragment = self.fragments.get(name)
            if fragment is None or name in self.in_progress:
                return 0  # unknown or cyclic: graphql-core's own rules refuse the document
            self.in_progress.add(name)
            fragment_type = self.schema.get_type(fragment.type_condition.name.value)
            self.memo[name] = self.of(fragment.selection_set, fragment_type)
            self.in_progress.discard(name)
        return self.memo[name]

    def _items(self, node: FieldNode, definition: Any) -> int | None:
        """How many items a list field returns at most: its ``first``, or the length of its list argument."""
        arguments = {argument.name.value: argument.value for argument in node.arguments or ()}
        if "first" in definition.args:
            first = self._count(arguments.get("first"))
            if first is None:
                default = definition.args["first"].default_value
                first = default if isinstance(default, int) else 100
            return max(first, 1)
        if not is_list_type(get_nullable_type(definition.type)):
            return None
        lengths = [
            self._length(arguments.get(name), argument.default_value)
            for name, argument in definition.args.items()
            if is_list_type(get_nullable_type(argument.type))
        ]
        return max([1, *lengths]) if lengths else None

    def _value(self, node: Any) -> Any:
        if isinstance(node, VariableNode):
            return self.variables.get(node.name.value)
        return None if node is None else value_from_ast_untyped(node, self.variables)

    def _count(self, node: Any) -> int | None:
        value = self._value(node)
        if isinstance(value, bool):
            return None
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)  # GraphQL's Int accepts 100.0 as 100
        return None

    def _length(self, node: Any, default: Any) -> int:
        if node is None:
            value = default
        elif isinstance(node, ListValueNode):
            return len(node.values)
        else:
            value = self._value(node)
        if value is None or not isinstance(value, (list, tuple)):
            return 0 if value is None else 1  # a single value is coerced to a list of one
        return len(value)


LIMITS: list[type[SchemaExtension]] = [DocumentLimits, TokenLimit, DocumentRules, QueryCost]
