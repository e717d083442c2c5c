"""From a validated GraphQL query to a read-compiler plan, deciding permissions once per field.

The planner walks the operation with graphql-core's own field collection (fragments, inline
fragments, aliases, ``@skip``/``@include`` and variables behave exactly as in execution). For each
field it checks the field's read permission once for the request, not once per object, and builds
the same list filters and row scopes as the resolvers (``schema.read_specs``). Anything it does not
know how to compile (a field with a plain resolver, a permission refusal, a bad argument, a
subscription or mutation) makes it give up: the operation then runs on the DataLoader path, which
answers it, errors included, exactly as before. ``CompiledReads`` is the schema extension that
runs a plan instead of graphql-core's execution.
"""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from graphql import (
    ExecutionResult,
    GraphQLEnumType,
    GraphQLError,
    GraphQLObjectType,
    OperationDefinitionNode,
    OperationType,
    get_named_type,
)
from graphql.execution.collect_fields import FragmentDetails, collect_fields, collect_subfields
from graphql.execution.values import get_argument_values, get_variable_values
from graphql.language import FragmentDefinitionNode
from strawberry.extensions import SchemaExtension
from strawberry.types.arguments import convert_arguments

from resolvers.pagination import decode_cursor, decode_sync_cursor
from resolvers.read_compiler.execute import TooDeepForDatabase, run_plan
from resolvers.read_compiler.plan import (
    Connection,
    ConnectionPart,
    FieldPlan,
    ObjectPlan,
    OperationPlan,
    ToOne,
)
from schema.pagination import checked_updated_since
from schema.permissions import ReadPermission, check_read
from schema.read_specs import READ_SPEC, ChildList, FromColumns, RootList, RowReference
from schema.types.base import RowNode

logger = logging.getLogger(__name__)

_DEFINITION = "strawberry-definition"
_PAGE_INFO_PARTS = frozenset({"hasNextPage", "hasPreviousPage", "startCursor", "endCursor"})


class NotCompilable(Exception):
    """The operation (or one of its fields) is left to the DataLoader path."""


def _timestamp(value: str) -> str:
    """An ISO 8601 timestamp as the DataLoader path writes it: UTC, ``datetime.isoformat()``."""
    parsed = datetime.fromisoformat(value)
    parsed = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    return parsed.isoformat()


def _converter(graphql_field: Any) -> Any:
    named = get_named_type(graphql_field.type)
    if isinstance(named, GraphQLObjectType):
        raise NotCompilable(f"object-typed column {named.name}")
    if isinstance(named, GraphQLEnumType):
        enum_class = named.extensions[_DEFINITION].wrapped_cls
        names = {member.value: member.name for member in enum_class}
        return names.__getitem__
    return {"DateTime": _timestamp, "Boolean": bool, "Float": float}.get(named.name)


class ReadPlanner:
    def __init__(
        self, strawberry_schema: Any, context: Any, operation: OperationDefinitionNode, document: Any, variables: Any
    ) -> None:
        self.strawberry_schema = strawberry_schema
        self.graphql_schema = strawberry_schema._schema
        self.context = context
        self.operation = operation
        self.fragments = {
            definition.name.value: FragmentDetails(definition)
            for definition in document.definitions
            if isinstance(definition, FragmentDefinitionNode)
        }
        self.variables = variables

    def plan(self) -> OperationPlan:
        query_type = self.graphql_schema.query_type
        collected = collect_fields(self.graphql_schema, self.fragments, self.variables, query_type, self.operation)
        if collected.new_defer_usages:
            raise NotCompilable("@defer")
        fields: list[FieldPlan] = []
        for key, details in collected.grouped_field_set.items():
            name = details[0].node.name.value
            if name == "__typename":
                fields.append(FieldPlan(key, "constant", value=query_type.name))
                continue
            graphql_field, strawberry_field, spec = self._field(query_type, name)
            if not isinstance(spec, RootList):
                raise NotCompilable(f"root field {name}")
            connection = self._connection(graphql_field, strawberry_field, details, spec)
            fields.append(FieldPlan(key, "nested", nested=connection))
        return OperationPlan(fields)

    def _field(self, parent_type: GraphQLObjectType, name: str) -> tuple[Any, Any, Any]:
        graphql_field = parent_type.fields.get(name)
        if graphql_field is None:
            raise NotCompilable(name)
        strawberry_field = graphql_field.extensions.get(_DEFINITION)
        if strawberry_field is None:
            raise NotCompilable(name)
        for permission in strawberry_field.permission_classes or ():
            if not issubclass(permission, ReadPermission):
                raise NotCompilable(f"permission {permission.__name__}")
            try:
                check_read(self.context, permission.resource)
            except Exception as refusal:  # the DataLoader path reports it, with its path
                raise NotCompilable("refused") from refusal
        return graphql_field, strawberry_field, (strawberry_field.metadata or {}).get(READ_SPEC)

    def _object(self, object_type: GraphQLObjectType, details: list[Any]) -> ObjectPlan:
        definition = object_type.extensions.get(_DEFINITION)
        origin = getattr(definition, "origin", None)
        if not (isinstance(origin, type) and issubclass(origin, RowNode)):
            raise NotCompilable(object_type.name)
        if origin.from_row.__func__ is not RowNode.from_row.__func__:  # type: ignore[attr-defined]
            raise NotCompilable(f"{object_type.name} builds its fields itself")
        table = origin.table.__table__  # type: ignore[attr-defined]
        collected = self._subfields(object_type, details)
        fields: list[FieldPlan] = []
        for key, sub_details in collected.grouped_field_set.items():
            name = sub_details[0].node.name.value
            if name == "__typename":
                fields.append(FieldPlan(key, "constant", value=object_type.name))
                continue
            if name == "id":
                fields.append(FieldPlan(key, "id"))
                continue
            graphql_field, strawberry_field, spec = self._field(object_type, name)
            if strawberry_field.base_resolver is None:
                attribute = origin.row_attributes.get(strawberry_field.python_name, strawberry_field.python_name)
                if attribute not in table.c:
                    raise NotCompilable(f"{object_type.name}.{name}")
                fields.append(FieldPlan(key, "column", column=attribute, convert=_converter(graphql_field)))
            elif isinstance(spec, FromColumns):
                fields.append(self._computed(key, graphql_field, spec, table))
            elif isinstance(spec, RowReference):
                target_type = get_named_type(graphql_field.type)
                target = self._object(target_type, sub_details)
                relation = ToOne(target, spec.parent_column, spec.child_column, spec.newest, spec.audited_as)
                fields.append(FieldPlan(key, "nested", nested=relation))
            elif isinstance(spec, ChildList):
                connection = self._connection(graphql_field, strawberry_field, sub_details, spec)
                connection.parent_column = spec.parent_column
                connection.correlate = spec.correlate
                fields.append(FieldPlan(key, "nested", nested=connection))
            else:
                raise NotCompilable(f"{object_type.name}.{name} has its own resolver")
        return ObjectPlan(table, object_type.name, fields)

    @staticmethod
    def _computed(key: str, graphql_field: Any, spec: FromColumns, table: Any) -> FieldPlan:
        """The resolver's rule over the raw column values; its result converted as a column of its type would be."""
        if any(name not in table.c for name in spec.columns):
            raise NotCompilable(key)
        output = _converter(graphql_field)

        def compute(*raw: Any) -> Any:
            result = spec.compute(*raw)
            return output(result) if output is not None and result is not None else result

        return FieldPlan(key, "computed", convert=compute, columns=spec.columns)

    def _subfields(self, object_type: GraphQLObjectType, details: list[Any]) -> Any:
        """The fields selected under ``details`` on ``object_type``, merged by response key (as execution does)."""
        return collect_subfields(
            self.graphql_schema, self.fragments, self.variables, self.operation, object_type, details
        )

    def _arguments(self, graphql_field: Any, strawberry_field: Any, node: Any) -> dict[str, Any]:
        try:
            raw = get_argument_values(graphql_field, node, self.variables)
        except GraphQLError as refusal:  # validation reports it; the planner never guesses
            raise NotCompilable("invalid argument") from refusal
        return convert_arguments(
            raw,
            strawberry_field.arguments,
            scalar_registry=self.strawberry_schema.schema_converter.scalar_registry,
            config=self.strawberry_schema.config,
        )

    def _connection(
        self, graphql_field: Any, strawberry_field: Any, details: list[Any], spec: RootList | ChildList
    ) -> Connection:
        arguments = self._arguments(graphql_field, strawberry_field, details[0].node)
        if spec.compile_when is not None and not spec.compile_when(arguments):
            raise NotCompilable(f"{graphql_field} with these arguments")
        model, row_filter = spec.model, spec.row_filter
        first = arguments.pop("first")
        after = arguments.pop("after", None)
        if not 0 <= first <= self.context.settings.page_size_max:
            raise NotCompilable("first out of range")
        try:
            updated_since = checked_updated_since(arguments.pop("updated_since", None))
        except GraphQLError as refusal:  # in the future or without an offset: the resolver reports it
            raise NotCompilable("updatedSince refused") from refusal
        after_updated_at = None
        try:
            if updated_since is not None and after:
                after_updated_at, after_id = decode_sync_cursor(after)
            else:
                after_id = decode_cursor(after) if after else None
        except ValueError:
            raise NotCompilable("bad cursor") from None
        try:
            row_filter_value = row_filter(self.context, **arguments) if row_filter is not None else None
        except GraphQLError as refusal:  # e.g. a malformed ID: the resolver reports it with its path
            raise NotCompilable("argument refused") from refusal
        where = row_filter_value.clauses() if row_filter_value is not None else []
        if updated_since is not None:
            where.append(model.__table__.c.updated_at >= updated_since)
        connection_type = get_named_type(graphql_field.type)
        connection = Connection(model.__table__, None, [], first, after_id, where)
        connection.updated_since, connection.after_updated_at = updated_since, after_updated_at
        collected = self._subfields(connection_type, details)
        for key, sub_details in collected.grouped_field_set.items():
            name = sub_details[0].node.name.value
            if name == "__typename":
                connection.parts.append(ConnectionPart(key, "typename", connection_type.name))
            elif name == "totalCount":
                connection.wants_total = True
                connection.parts.append(ConnectionPart(key, "totalCount"))
            elif name == "pageInfo":
                connection.parts.append(self._page_info(key, connection_type, sub_details))
            elif name == "edges":
                connection.parts.append(self._edges(key, connection, connection_type, sub_details))
            else:
                raise NotCompilable(f"{connection_type.name}.{name}")
        return connection

    def _page_info(self, key: str, connection_type: GraphQLObjectType, details: list[Any]) -> ConnectionPart:
        page_info_type = get_named_type(connection_type.fields["pageInfo"].type)
        collected = self._subfields(page_info_type, details)
        part = ConnectionPart(key, "pageInfo")
        for sub_key, sub_details in collected.grouped_field_set.items():
            name = sub_details[0].node.name.value
            if name == "__typename":
                part.parts.append(ConnectionPart(sub_key, "typename", page_info_type.name))
            elif name in _PAGE_INFO_PARTS:
                part.parts.append(ConnectionPart(sub_key, name))  # type: ignore[arg-type]
            else:
                raise NotCompilable(f"PageInfo.{name}")
        return part

    def _edges(
        self, key: str, connection: Connection, connection_type: GraphQLObjectType, details: list[Any]
    ) -> ConnectionPart:
        edge_type = get_named_type(connection_type.fields["edges"].type)
        collected = self._subfields(edge_type, details)
        part = ConnectionPart(key, "edges")
        for sub_key, sub_details in collected.grouped_field_set.items():
            name = sub_details[0].node.name.value
            if name == "__typename":
                part.parts.append(ConnectionPart(sub_key, "typename", edge_type.name))
            elif name == "cursor":
                part.parts.append(ConnectionPart(sub_key, "cursor"))
            elif name == "node":
                if connection.node is not None:
                    raise NotCompilable("several node selections under one connection")
                connection.node = self._object(get_named_type(edge_type.fields["node"].type), sub_details)
                part.parts.append(ConnectionPart(sub_key, "node"))
            else:
                raise NotCompilable(f"{edge_type.name}.{name}")
        return part


def plan_operation(
    strawberry_schema: Any,
    context: Any,
    document: Any,
    operation_name: str | None,
    raw_variables: dict[str, Any] | None,
) -> OperationPlan | None:
    """The plan of a query operation, or None when the DataLoader path must answer it."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    operation = (
        operations[0]
        if operation_name is None and len(operations) == 1
        else next((o for o in operations if o.name and o.name.value == operation_name), None)
    )
    if operation is None or operation.operation != OperationType.QUERY:
        return None
    if any(f.variable_definitions for f in document.definitions if isinstance(f, FragmentDefinitionNode)):
        return None
    variables = get_variable_values(
        strawberry_schema._schema, operation.variable_definitions or (), raw_variables or {}
    )
    if isinstance(variables, list):
        return None
    try:
        return ReadPlanner(strawberry_schema, context, operation, document, variables).plan()
    except NotCompilable as reason:
        logger.debug("read left to the DataLoader path: %s", reason)
        return None


PLAN_CACHE_SIZE = 512


class _PlanCache:
    """Plans (or "not compilable") by document, operation, variables and what the principal may see.

    A plan depends on nothing else: permissions on the principal's kind, roles and scopes, row
    scopes on a hiring manager's subject. Bounded, least recently used out first.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._plans: OrderedDict[tuple[Any, ...], OperationPlan | None] = OrderedDict()

    @staticmethod
    def key(query: str, operation_name: str | None, variables: Any, actor: Any) -> tuple[Any, ...] | None:
        try:
            variables_key = json.dumps(variables or {}, sort_keys=True)
        except (TypeError, ValueError):
            return None
        principal = (actor.kind, actor.roles, actor.scopes, actor.subject)
        return (query, operation_name, variables_key, principal)

    def get(self, key: tuple[Any, ...]) -> tuple[bool, OperationPlan | None]:
        if key not in self._plans:
            return False, None
        self._plans.move_to_end(key)
        return True, self._plans[key]

    def put(self, key: tuple[Any, ...], plan: OperationPlan | None) -> None:
        self._plans[key] = plan
        if len(self._plans) > self.size:
            self._plans.popitem(last=False)


_plans = _PlanCache(PLAN_CACHE_SIZE)


class PreparedDocuments:
    """Documents that passed validation and compiled, by (text, operation name, production mode).

    Validation depends on nothing else (not on the principal, not on the variables), so a document
    found here may skip parsing and validation (``schema.prepared_reads``).
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._documents: OrderedDict[tuple[str, str | None, bool], Any] = OrderedDict()

    def remember(self, query: str, operation_name: str | None, production: bool, document: Any) -> None:
        """Under the operation's name and, for a single-operation document, also without one (as clients send it)."""
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        names = {operation_name, None} if len(operations) == 1 else {operation_name}
        for name in names:
            key = (query, name, production)
            self._documents[key] = document
            self._documents.move_to_end(key)
        while len(self._documents) > self.size:
            self._documents.popitem(last=False)

    def get(self, query: str, operation_name: str | None, production: bool) -> Any:
        return self._documents.get((query, operation_name, production))


prepared_documents = PreparedDocuments(PLAN_CACHE_SIZE)


def cached_plan(
    strawberry_schema: Any,
    context: Any,
    query: str | None,
    document: Any,
    operation_name: str | None,
    variables: dict[str, Any] | None,
) -> OperationPlan | None:
    """``plan_operation`` through the plan cache (when the document's text is known)."""
    key = _PlanCache.key(query, operation_name, variables, context.actor) if query is not None else None
    cached, plan = _plans.get(key) if key is not None else (False, None)
    if not cached:
        plan = plan_operation(strawberry_schema, context, document, operation_name, variables)
        if key is not None:
            _plans.put(key, plan)
    return plan


class CompiledReads(SchemaExtension):
    """Answers a query operation with one SQL statement when the planner can compile it.

    Runs after the limits (depth, cost …): a refused operation never gets here. The context's
    ``compiled_reads`` switch turns it off (the reference path of the differential tests).
    """

    async def on_execute(self) -> AsyncIterator[None]:
        execution = self.execution_context
        context = execution.context
        if (
            getattr(context, "compiled_reads", False)
            and execution.graphql_document is not None
            and execution.result is None
        ):
            plan = cached_plan(
                execution.schema,
                context,
                execution.query,
                execution.graphql_document,
                execution.operation_name,
                execution.variables,
            )
            if plan is not None:
                try:
                    data = await run_plan(plan, context.actor)
                except TooDeepForDatabase:
                    logger.debug("read left to the DataLoader path: too deep for SQLite's parser")
                except Exception as failure:  # noqa: BLE001 - reported like a resolver's failure, masked in production
                    error = GraphQLError(str(failure), original_error=failure)
                    execution.result = ExecutionResult(data=None, errors=[error])
                else:
                    execution.result = ExecutionResult(data=data, errors=None)
                    if execution.query is not None:  # validated, compiled and answered: prepared from now on
                        prepared_documents.remember(
                            execution.query,
                            execution.operation_name,
                            context.settings.is_production,
                            execution.graphql_document,
                        )
        yield
