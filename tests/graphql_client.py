"""Running operations against the schema in-process, the way the HTTP endpoint does."""

from __future__ import annotations

from typing import Any

from resolvers.services.audit import Actor, person
from schema.context import Context
from schema.root import schema

HR_ADMIN = person("hr-admin-1", ["hr_admin"], name="hr.admin@bank.example")


class GraphQLClient:
    def __init__(self, actor: Actor = HR_ADMIN) -> None:
        self.actor = actor

    async def execute(self, query: str, **variables: Any) -> Any:
        """Return the result (data and errors) of one operation; a fresh context (and loaders) each time."""
        return await schema.execute(query, variable_values=variables, context_value=Context(actor=self.actor))

    async def __call__(self, query: str, **variables: Any) -> dict[str, Any]:
        result = await self.execute(query, **variables)
        assert result.errors is None, result.errors
        assert result.data is not None
        return result.data

    async def mutate(self, query: str, payload_field: str, **variables: Any) -> dict[str, Any]:
        """Run a mutation expected to succeed; returns its payload (asserts no payload errors)."""
        payload = (await self(query, **variables))[payload_field]
        assert payload["errors"] == [], payload["errors"]
        return payload
