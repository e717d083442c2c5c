"""Hostile-input limits and production hardening: the graphql-cop checks, written as tests.

Schema-level checks run the operation in-process; transport checks (GET, CSRF,
batching, body size, GraphiQL, rate limit) go through the ASGI app over HTTP.
"""

from __future__ import annotations

import pytest

import schema.query
from gateway.settings import Settings, get_settings
from schema.context import Context
from schema.limits import MAX_ALIASES, MAX_COST, MAX_DEPTH, MAX_DIRECTIVES, MAX_TOKENS
from schema.root import schema as graphql_schema
from tests.graphql_client import HR_ADMIN

CIRCULAR_INTROSPECTION = """
query { __schema { types { fields { type { fields { type { fields { type { fields { type { name } } } } } } } } } } }
"""


def production_context() -> Context:
    return Context(
        actor=HR_ADMIN, settings=Settings(environment="production", database_url=get_settings().database_url)
    )


async def run(query: str, context: Context | None = None, **variables):
    return await graphql_schema.execute(
        query, variable_values=variables, context_value=context or Context(actor=HR_ADMIN)
    )


def codes(result) -> list[str]:
    return [(error.extensions or {}).get("code") for error in result.errors or []]


async def test_alias_overloading_is_refused():
    aliases = " ".join(f"a{index}: __typename" for index in range(MAX_ALIASES + 1))
    result = await run(f"query {{ {aliases} }}")
    assert result.errors and result.data is None
    assert "aliases" in result.errors[0].message
    within = " ".join(f"a{index}: __typename" for index in range(MAX_ALIASES))
    assert (await run(f"query {{ {within} }}")).errors is None


async def test_aliases_hidden_in_fragments_count_too():
    fragments = " ".join(f"... on Query {{ f{index}: __typename }}" for index in range(MAX_ALIASES + 1))
    assert (await run(f"query {{ {fragments} }}")).errors


async def test_directive_overloading_is_refused():
    directives = "@include(if: true)" * (MAX_DIRECTIVES + 1)
    result = await run(f"query {{ __typename {directives} }}")
    assert "TOO_MANY_DIRECTIVES" in codes(result)


async def test_field_duplication_is_refused():
    result = await run("query { " + "__typename " * 500 + "}")
    assert result.errors and result.data is None


async def test_circular_introspection_is_refused_by_depth():
    result = await run(CIRCULAR_INTROSPECTION)
    assert "QUERY_TOO_DEEP" in codes(result)


async def test_depth_counts_objects_not_relay_plumbing():
    nested = "requisitions(first: 1) { edges { node { applications(first: 1) { edges { node { candidate { fullName } } } } } } }"
    assert (await run(f"{{ {nested} }}")).errors is None
    too_deep = '{ node(id: "x") { ... on Requisition { competencyModelVersion { model { versions(first: 1) { edges { node { dimensions(first: 1) { edges { node { questions(first: 1) { edges { node { dimension { modelVersion { model { key } } } } } } } } } } } } } } } } }'
    result = await run(too_deep)
    assert "QUERY_TOO_DEEP" in codes(result) and str(MAX_DEPTH) in result.errors[0].message


async def test_token_limit():
    result = await run("query { " + " ".join(f"a{i}: __typename" for i in range(MAX_TOKENS // 2)) + " }")
    assert result.errors and "token" in result.errors[0].message.lower()


async def test_static_cost_is_priced_by_first_and_reported():
    cheap = await run("{ requisitions(first: 5) { edges { node { title applications(first: 2) { totalCount } } } } }")
    assert cheap.errors is None
    assert cheap.extensions["cost"] == {"requested": 5 * (1 + 2), "maximum": MAX_COST}
    costly = await run(
        "query($n: Int!) { requisitions(first: $n) { edges { node { applications(first: $n) { totalCount } } } } }",
        n=100,
    )
    assert "QUERY_TOO_COSTLY" in codes(costly) and costly.data is None
    assert costly.errors[0].extensions["cost"] == 100 * (1 + 100)


async def test_production_refuses_introspection_and_field_suggestions():
    introspection = await run("{ __schema { queryType { name } } }", production_context())
    assert "INTROSPECTION_DISABLED" in codes(introspection)
    development = await run("{ __schema { queryType { name } } }")
    assert development.errors is None
    misspelt = await run("{ requisitons { totalCount } }", production_context())
    assert misspelt.errors[0].message == "Cannot query field 'requisitons' on type 'Query'."
    assert "Did you mean" in (await run("{ requisitons { totalCount } }")).errors[0].message


async def test_production_masks_unexpected_errors_but_not_user_errors(monkeypatch):
    readable = await run("{ applications(first: 101) { totalCount } }", production_context())
    assert "first must be between 0 and 100" in readable.errors[0].message

    async def broken(*_args, **_kwargs):
        raise RuntimeError("connection to db-primary.internal:5432 failed, password=hunter2")

    monkeypatch.setattr(schema.query, "root_connection", broken)
    masked = await run("{ requisitions(first: 1) { totalCount } }", production_context())
    assert [error.message for error in masked.errors] == ["Unexpected error."]
    assert "hunter2" not in str(masked.errors[0].formatted)


@pytest.mark.parametrize("query", ["{", 'query { requisitions(first: "x") { totalCount } }'])
async def test_malformed_queries_give_errors_without_internals(query):
    result = await run(query, production_context())
    formatted = [error.formatted for error in result.errors]
    assert formatted and all(
        "stack" not in str(item).lower() and "traceback" not in str(item).lower() for item in formatted
    )
