"""Hostile-input limits and production hardening: the graphql-cop checks, written as tests.

Schema-level checks run the operation in-process; transport checks (GET, CSRF,
batching, body size, GraphiQL, rate limit) go through the ASGI app over HTTP.
"""

from __future__ import annotations

import pytest

import schema.query
import schema.read_planner
from gateway.settings import Settings, get_settings
from schema.context import Context
from schema.limits import MAX_ALIASES, MAX_COST, MAX_DEPTH, MAX_DIRECTIVES, MAX_TOKENS
from schema.root import schema as graphql_schema
from tests.graphql_client import HR_ADMIN
from tests.tokens import bearer, hr_admin_headers, person_token, service_token

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
    assert codes(result) == ["TOO_MANY_DIRECTIVES"]  # one error, not one per repeated directive


@pytest.mark.parametrize(
    "query",
    [
        "{ __typename @aa@aa@aa@aa@aa@aa@aa@aa@aa@aa }",  # unknown, repeated
        "{ __typename @skip(if: false) @skip(if: false) @skip(if: false) @skip(if: false) }",  # repeated
        "{ a: __typename @deprecated b: __typename @deprecated c: __typename @deprecated }",  # misplaced
    ],
)
async def test_bad_directives_give_one_error(query):
    result = await run(query)
    assert codes(result) == ["INVALID_DIRECTIVE"] and result.data is None


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

    monkeypatch.setattr(schema.query, "root_connection", broken)  # the DataLoader path
    monkeypatch.setattr(schema.read_planner, "run_plan", broken)  # the read compiler
    for compiled_reads in (True, False):
        context = production_context()
        context.compiled_reads = compiled_reads
        masked = await run("{ requisitions(first: 1) { totalCount } }", context)
        assert [error.message for error in masked.errors] == ["Unexpected error."]
        assert "hunter2" not in str(masked.errors[0].formatted)


@pytest.mark.parametrize("query", ["{", 'query { requisitions(first: "x") { totalCount } }'])
async def test_malformed_queries_give_errors_without_internals(query):
    result = await run(query, production_context())
    formatted = [error.formatted for error in result.errors]
    assert formatted and all(
        "stack" not in str(item).lower() and "traceback" not in str(item).lower() for item in formatted
    )


# --- over HTTP: transport rules of the ASGI app -------------------------------------------------


@pytest.fixture
async def production_http():
    import httpx

    from gateway.app import create_app

    settings = Settings(environment="production", database_url=get_settings().resolved_database_url)
    app = create_app(settings, embedded_worker=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hrgate.test") as client:
        yield client


async def test_queries_and_mutations_over_get_are_refused(http):
    query = await http.get("/graphql", params={"query": "{ __typename }"}, headers=hr_admin_headers())
    assert query.status_code in (400, 405) and "data" not in query.text
    mutation = await http.get(
        "/graphql",
        params={"query": 'mutation { requisitionClose(input: {id: "x"}) { errors { code } } }'},
        headers=hr_admin_headers(),
    )
    assert mutation.status_code in (400, 405) and "data" not in mutation.text


async def test_csrf_simple_requests_are_refused(http):
    form = await http.post("/graphql", data={"query": "{ __typename }"}, headers=hr_admin_headers())
    assert form.status_code == 400 and form.json()["errors"][0]["extensions"]["code"] == "CSRF_REFUSED"
    plain = await http.post(
        "/graphql", content='{"query": "{ __typename }"}', headers={**hr_admin_headers(), "content-type": "text/plain"}
    )
    assert plain.status_code == 400
    multipart = await http.post(
        "/graphql",
        data={"operations": '{"query": "{ __typename }"}', "map": "{}"},
        files={"0": ("a.wav", b"RIFF", "audio/wav")},
        headers=hr_admin_headers(),
    )
    assert multipart.status_code == 400 and "Apollo-Require-Preflight" in multipart.text


async def test_batches_are_refused_for_people_and_capped_for_services(http):
    batch = [{"query": "{ __typename }"}] * 2
    person = await http.post("/graphql", json=batch, headers=hr_admin_headers())
    assert person.status_code == 400
    connector = bearer(service_token("erp-sap", "requisitions:read"))
    allowed = await http.post("/graphql", json=batch, headers=connector)
    assert allowed.status_code == 200 and [item["data"] for item in allowed.json()] == [{"__typename": "Query"}] * 2
    too_many = await http.post("/graphql", json=[{"query": "{ __typename }"}] * 6, headers=connector)
    assert too_many.status_code == 400


async def test_request_bodies_over_one_mebibyte_are_refused(http):
    padding = "#" + "x" * (1024 * 1024) + "\n"
    response = await http.post("/graphql", json={"query": padding + "{ __typename }"}, headers=hr_admin_headers())
    assert response.status_code == 413


async def test_no_tracing_and_cost_reported(http):
    response = await http.post("/graphql", json={"query": "{ __typename }"}, headers=hr_admin_headers())
    extensions = response.json()["extensions"]
    assert "tracing" not in extensions and extensions["cost"]["maximum"] == MAX_COST


async def test_production_has_no_graphiql_and_no_introspection(production_http):
    page = await production_http.get("/graphql", headers={"accept": "text/html"})
    assert "graphiql" not in page.text.lower()
    introspection = await production_http.post(
        "/graphql", json={"query": "{ __schema { types { name } } }"}, headers=hr_admin_headers()
    )
    assert introspection.json()["errors"][0]["extensions"]["code"] == "INTROSPECTION_DISABLED"


async def test_graphql_cop_directive_overloading_passes_in_production(production_http):
    """graphql-cop reports "vulnerable" when its ten unknown directives give ten errors."""
    query = "query cop { __typename @aa@aa@aa@aa@aa@aa@aa@aa@aa@aa }"
    for headers in ({}, hr_admin_headers()):
        body = (await production_http.post("/graphql", json={"query": query}, headers=headers)).json()
        assert len(body["errors"]) == 1 and body.get("data") is None
        assert body["errors"][0]["extensions"]["code"] == "INVALID_DIRECTIVE"
        assert body["errors"][0]["message"].startswith("Unknown directive '@aa'.")


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ("query($s: RequisitionStatus) { requisitions(first: 1, status: $s) { totalCount } }", {"s": "OPN"}),
        (
            "mutation($i: CandidateCreateInput!) { candidateCreate(input: $i) { errors { code } } }",
            {"i": {"fullNam": "Ana", "email": "ana@example.com"}},
        ),
        ('mutation { candidateCreate(input: {fullNam: "Ana", email: "ana@example.com"}) { errors { code } } }', {}),
    ],
)
async def test_production_suggests_no_names_in_variable_and_input_errors(production_http, http, query, variables):
    request = {"query": query, "variables": variables}
    production = (await production_http.post("/graphql", json=request, headers=hr_admin_headers())).json()
    assert production["errors"] and all("Did you mean" not in error["message"] for error in production["errors"])
    assert all("OPEN" not in error["message"] for error in production["errors"])
    development = (await http.post("/graphql", json=request, headers=hr_admin_headers())).json()
    assert any("Did you mean" in error["message"] for error in development["errors"])


async def test_rate_limit_answers_429_with_retry_after(monkeypatch):
    import httpx

    from gateway.app import create_app

    settings = Settings(rate_limit_per_minute=3, database_url=get_settings().resolved_database_url)
    app = create_app(settings, embedded_worker=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hrgate.test") as client:
        headers = hr_admin_headers()
        statuses = [
            (await client.post("/graphql", json={"query": "{ __typename }"}, headers=headers)).status_code
            for _ in range(4)
        ]
        assert statuses == [200, 200, 200, 429]
        limited = await client.post("/graphql", json={"query": "{ __typename }"}, headers=headers)
        assert limited.status_code == 429 and 1 <= int(limited.headers["retry-after"]) <= 60
        other = await client.post(
            "/graphql", json={"query": "{ __typename }"}, headers=bearer(person_token("r-2", "recruiter"))
        )
        assert other.status_code == 200  # limits are per principal
