"""Hostile-query limits that must hold in linear time: fragment bombs, expanded size, nesting.

A fragment spread three times per level is walked 3ⁿ times by a checker that does
not remember fragments; these tests send such documents and require a quick, single
refusal. Validation is CPU-bound on the event loop, so an asyncio timeout cannot stop
it: ``deadline`` turns a hang into a failure with a real-time signal instead.
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager

from graphql import get_introspection_query, parse, validate

from schema.context import Context
from schema.ids import encode_id
from schema.limits import (
    MAX_EXPANDED_NESTING,
    MAX_EXPANDED_SELECTIONS,
    MAX_FIELD_REPEATS,
    MAX_MERGED_FIELD_REPEATS,
    DepthRule,
    document_shape,
    field_repeat_refusal,
    static_cost,
)
from schema.root import schema as graphql_schema
from tests.graphql_client import HR_ADMIN
from tests.tokens import hr_admin_headers


def fragment_chain(levels: int, spreads: int = 3) -> str:
    """``query Q{...F0} fragment F0 on Query{...F1 ...F1 ...F1} … fragment Fn on Query{__typename}``."""
    fragments = " ".join(
        f"fragment F{level} on Query{{{' '.join([f'...F{level + 1}'] * spreads)}}}" for level in range(levels)
    )
    return f"query Q{{...F0}} {fragments} fragment F{levels} on Query{{__typename}}"


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Fail (instead of hanging for hours) when the block runs longer than ``seconds``."""

    def expire(*_args: object) -> None:
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def codes(result) -> list[str]:  # noqa: ANN001
    return [(error.extensions or {}).get("code") for error in result.errors or []]


async def run(query: str, **variables):  # noqa: ANN201
    return await graphql_schema.execute(query, variable_values=variables, context_value=Context(actor=HR_ADMIN))


async def test_the_reported_fragment_bomb_is_refused_with_one_error():
    query = fragment_chain(15)
    assert len(query.encode()) < 800  # the 722-byte document of the report
    with deadline(5):
        result = await graphql_schema.execute(query, context_value=Context(actor=HR_ADMIN))
    assert codes(result) == ["QUERY_TOO_LARGE"] and result.data is None
    assert str(MAX_EXPANDED_SELECTIONS) in result.errors[0].message


async def test_a_forty_level_fragment_chain_is_refused_within_50_ms():
    """Best of three (the machine is shared): the old checker needed hours for one."""
    timings = []
    with deadline(5):
        for _ in range(3):
            started = time.perf_counter()
            result = await graphql_schema.execute(fragment_chain(40), context_value=Context(actor=HR_ADMIN))
            timings.append(time.perf_counter() - started)
            assert codes(result) == ["QUERY_TOO_LARGE"]
    assert min(timings) < 0.05, f"refusing took {min(timings) * 1000:.1f} ms"


async def test_every_rule_is_linear_on_a_fragment_chain():
    """Each rule alone (as if the size check were missing) still finishes at once."""
    document = parse(fragment_chain(40))
    with deadline(5):
        started = time.perf_counter()
        validate(graphql_schema._schema, document, [DepthRule])
        cost = static_cost(graphql_schema._schema, document, "Q", {})
        shape = document_shape(document)
        repeats = field_repeat_refusal(document)
        elapsed = time.perf_counter() - started
    assert elapsed < 0.05, f"took {elapsed * 1000:.1f} ms"
    assert repeats.extensions["code"] == "FIELD_REPEATED" and "once its fragments are merged" in repeats.message
    assert cost == 0  # only __typename, priced nothing
    assert shape.selections == (3**41 - 1) // 2 + 3**40  # 1 + 3 + … + 3⁴⁰ spreads, 3⁴⁰ __typename


async def test_fragment_bomb_over_http_leaves_the_gateway_answering(http):
    """No token, one request: refused at once, and a health probe sent meanwhile answers."""
    with deadline(10):
        started = time.perf_counter()
        bomb, health = await asyncio.gather(
            http.post("/graphql", json={"query": fragment_chain(40)}), http.get("/healthz")
        )
        elapsed = time.perf_counter() - started
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    errors = bomb.json()["errors"]
    assert [error["extensions"]["code"] for error in errors] == ["QUERY_TOO_LARGE"]
    assert elapsed < 2, f"took {elapsed:.2f} s"


async def test_a_long_chain_of_single_spreads_is_refused_by_nesting(http):
    levels = MAX_EXPANDED_NESTING + 5
    response = await http.post(
        "/graphql", json={"query": fragment_chain(levels, spreads=1)}, headers=hr_admin_headers()
    )
    errors = response.json()["errors"]
    assert [error["extensions"]["code"] for error in errors] == ["QUERY_TOO_LARGE"]
    assert "nests" in errors[0]["message"]


async def test_the_standard_introspection_query_and_fragments_still_work():
    introspection = await graphql_schema.execute(get_introspection_query(), context_value=Context(actor=HR_ADMIN))
    assert introspection.errors is None
    shared = await graphql_schema.execute(
        "query { ...A ...A } fragment A on Query { ...B } fragment B on Query { requisitions(first: 2) { totalCount } }",
        context_value=Context(actor=HR_ADMIN),
    )
    assert shared.errors is None
    assert shared.extensions["cost"]["requested"] == 2 * 2  # priced at each spread, as written


async def test_fields_merged_from_many_inline_fragments_are_refused_before_overlap_checks():
    """graphql-core compares same-named fields pairwise: 720 of them took 0.4 s and ended in "Validation aborted."."""
    query = "{" + " ... on Query { __typename __typename __typename }" * 240 + "}"  # 1,922 tokens
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        result = await run(query)
        timings.append(time.perf_counter() - started)
    assert codes(result) == ["FIELD_REPEATED"]
    assert "720 times" in result.errors[0].message and str(MAX_MERGED_FIELD_REPEATS) in result.errors[0].message
    assert min(timings) < 0.05, f"refusing took {min(timings) * 1000:.1f} ms"


async def test_fields_repeated_as_written_keep_their_error_also_inside_inline_fragments():
    repeated = " ".join(["__typename"] * (MAX_FIELD_REPEATS + 1))
    result = await run(f"{{ ... on Query {{ {repeated} }} }}")
    assert codes(result) == ["FIELD_REPEATED"]
    assert result.errors[0].message == f"field '__typename' repeated more than {MAX_FIELD_REPEATS} times"


async def test_fragments_that_each_select_the_same_field_are_fine():
    """Relay-style clients select ``id`` and ``totalCount`` in every fragment on a node."""
    fragments = " ".join(
        f"fragment F{index} on Query {{ requisitions(first: 1) {{ totalCount }} }}" for index in range(10)
    )
    spreads = " ".join(f"...F{index}" for index in range(10))
    result = await run(f"{{ {spreads} }} {fragments}")
    assert result.errors is None and result.data == {"requisitions": {"totalCount": 0}}


# --- static cost: variables priced by value, nodes by list length ------------------------------

NESTED_BY_VARIABLE = (
    "query($n: Int! = 100) { requisitions(first: $n) { edges { node { applications(first: $n) { totalCount } } } } }"
)


async def test_a_variable_is_priced_by_its_default_when_none_is_sent():
    result = await run(NESTED_BY_VARIABLE)
    assert codes(result) == ["QUERY_TOO_COSTLY"] and result.data is None
    assert result.errors[0].extensions["cost"] == 100 * (1 + 100)


async def test_a_variable_is_priced_by_its_value_also_as_an_integral_float(http):
    response = await http.post(
        "/graphql", json={"query": NESTED_BY_VARIABLE, "variables": {"n": 100.0}}, headers=hr_admin_headers()
    )
    body = response.json()
    assert body.get("data") is None
    assert [error["extensions"]["code"] for error in body["errors"]] == ["QUERY_TOO_COSTLY"]
    assert body["errors"][0]["extensions"]["cost"] == 100 * (1 + 100)
    small = await run(NESTED_BY_VARIABLE, n=2)
    assert small.errors is None and small.extensions["cost"]["requested"] == 2 * (1 + 2)


NODES_WITH_CONNECTIONS = "... on Requisition { applications(first: 100) { edges { node { candidate { fullName } } } } }"


async def test_nodes_is_priced_by_the_length_of_its_id_list():
    ids = [str(encode_id("Requisition", number)) for number in range(1, 101)]
    literal = await run(f"{{ nodes(ids: {json.dumps(ids)}) {{ {NODES_WITH_CONNECTIONS} }} }}")
    assert codes(literal) == ["QUERY_TOO_COSTLY"] and literal.data is None
    assert literal.errors[0].extensions["cost"] == 100 * (1 + 100 * (1 + 1))
    variable = await run(f"query($ids: [ID!]!) {{ nodes(ids: $ids) {{ {NODES_WITH_CONNECTIONS} }} }}", ids=ids)
    assert codes(variable) == ["QUERY_TOO_COSTLY"]
    assert variable.errors[0].extensions["cost"] == literal.errors[0].extensions["cost"]
    two = await run("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", ids=ids[:2])
    assert two.extensions["cost"]["requested"] == 2 * (1 + 0)
