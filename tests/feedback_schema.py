"""A schema that carries the bulk KPI import and the human decision until the root ``Mutation`` does.

Once ``schema.root.Mutation`` includes ``KpiImportMutations`` and ``DecisionMutations`` the root schema
is used as is, so these tests run against what clients get.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import strawberry

from resolvers.services.audit import Actor
from schema.context import Context
from schema.mutations.decisions import DecisionMutations
from schema.mutations.kpi_import import KpiImportMutations
from schema.root import NODE_TYPES, Mutation, RootQuery
from schema.root import schema as root_schema
from tests.graphql_client import HR_ADMIN, GraphQLClient


@cache
def feedback_schema() -> strawberry.Schema:
    if issubclass(Mutation, KpiImportMutations) and issubclass(Mutation, DecisionMutations):
        return root_schema

    @strawberry.type(name="Mutation")
    class FeedbackMutation(Mutation, KpiImportMutations, DecisionMutations):
        pass

    return strawberry.Schema(query=RootQuery, mutation=FeedbackMutation, types=NODE_TYPES)


class FeedbackClient(GraphQLClient):
    """``GraphQLClient`` over ``feedback_schema()``."""

    def __init__(self, actor: Actor = HR_ADMIN) -> None:
        super().__init__(actor)

    async def execute(self, query: str, **variables: Any) -> Any:
        return await feedback_schema().execute(
            query, variable_values=variables, context_value=Context(actor=self.actor)
        )


def error_codes(result: Any) -> list[str | None]:
    return [(error.extensions or {}).get("code") for error in result.errors or []]
