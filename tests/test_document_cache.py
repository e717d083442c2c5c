"""Parse and validation cached by document: the second request of a document refuses and answers exactly as
the first did, and checks that depend on the variables still run on every request."""

from __future__ import annotations

import pytest

from gateway.settings import Settings, get_settings
from schema.context import Context
from schema.document_cache import validation_cache_info
from schema.limits import MAX_ALIASES, MAX_COST, MAX_DIRECTIVES, MAX_TOKENS
from schema.root import schema as graphql_schema
from tests.graphql_client import HR_ADMIN
from tests.tokens import hr_admin_headers

TOO_DEEP = '{ node(id: "x") { ... on Requisition { competencyModelVersion { model { versions(first: 1) { edges { node { dimensions(first: 1) { edges { node { questions(first: 1) { edges { node { dimension { modelVersion { model { key } } } } } } } } } } } } } } } } }'

HOSTILE = {
    "aliases": (" ".join(f"a{index}: __typename" for index in range(MAX_ALIASES + 1)), "TOO_MANY_ALIASES"),
    "directives": ("__typename " + "@include(if: true)" * (MAX_DIRECTIVES + 1), "TOO_MANY_DIRECTIVES"),
    "repeated field": ("__typename " * 5, "FIELD_REPEATED"),
    "depth": (None, "QUERY_TOO_DEEP"),
    "unknown field": ("requisitons { totalCount }", "GRAPHQL_VALIDATION_FAILED"),
}


def _code(error) -> str | None:  # noqa: ANN001
    return (error.extensions or {}).get("code")


async def _run(query: str, context: Context | None = None, **variables):
    return await graphql_schema.execute(
        query, variable_values=variables, context_value=context or Context(actor=HR_ADMIN)
    )


@pytest.mark.parametrize("case", sorted(HOSTILE))
async def test_hostile_documents_are_refused_on_every_request_not_only_the_first(case):
    selection, code = HOSTILE[case]
    query = TOO_DEEP if selection is None else f"query {{ {selection} }}"
    answers = [await _run(query) for _ in range(3)]
    first = [(error.message, _code(error)) for error in answers[0].errors]
    assert answers[0].data is None and first
    if code != "GRAPHQL_VALIDATION_FAILED":  # graphql-core's own errors carry no code
        assert code in [error_code for _, error_code in first]
    for later in answers[1:]:
        assert later.data is None
        assert [(error.message, _code(error)) for error in later.errors] == first
        assert [error.locations for error in later.errors] == [error.locations for error in answers[0].errors]


async def test_the_token_limit_holds_on_repeated_documents():
    query = "query { " + " ".join(f"a{i}: __typename" for i in range(MAX_TOKENS // 2)) + " }"
    for _ in range(2):
        result = await _run(query)
        assert result.data is None and "token" in result.errors[0].message.lower()


async def test_a_cached_document_is_still_priced_by_the_variables_of_each_request():
    query = "query($n: Int!) { requisitions(first: $n) { edges { node { applications(first: $n) { totalCount } } } } }"
    cheap = await _run(query, n=3)
    hits = validation_cache_info().hits
    costly = await _run(query, n=100)
    assert validation_cache_info().hits == hits + 1  # the second request did not validate again
    assert cheap.errors is None and cheap.extensions["cost"]["requested"] == 3 * (1 + 3)
    assert costly.data is None and [_code(error) for error in costly.errors] == ["QUERY_TOO_COSTLY"]
    assert costly.errors[0].extensions["cost"] == 100 * (1 + 100) > MAX_COST
    again = await _run(query, n=3)
    assert again.errors is None and again.extensions["cost"]["requested"] == 12


async def test_production_edits_to_cached_errors_do_not_leak_into_other_requests():
    """Production strips "Did you mean" from messages; development, asking the same document next, still sees it."""
    production = Context(
        actor=HR_ADMIN, settings=Settings(environment="production", database_url=get_settings().database_url)
    )
    query = "{ requisitionz { totalCount } }"
    assert "Did you mean" in (await _run(query)).errors[0].message
    assert (await _run(query, production)).errors[0].message == "Cannot query field 'requisitionz' on type 'Query'."
    assert "Did you mean" in (await _run(query)).errors[0].message


async def test_repeated_documents_over_http_answer_and_refuse_as_the_first_time(http):
    body = {
        "query": "query Open($first: Int!) { requisitions(first: $first) { totalCount } }",
        "variables": {"first": 2},
    }
    answers = [await http.post("/graphql", json=body, headers=hr_admin_headers()) for _ in range(2)]
    assert [answer.status_code for answer in answers] == [200, 200]
    assert answers[0].json() == answers[1].json() and answers[0].json()["data"] == {"requisitions": {"totalCount": 0}}

    hostile = {"query": "query { " + HOSTILE["aliases"][0] + " }"}
    refusals = [await http.post("/graphql", json=hostile, headers=hr_admin_headers()) for _ in range(2)]
    assert refusals[0].json() == refusals[1].json()
    assert refusals[1].json()["data"] is None
    assert refusals[1].json()["errors"][0]["extensions"]["code"] == "TOO_MANY_ALIASES"
