"""Prometheus metrics at ``/metrics`` (issue 15, item 2): GraphQL latency and errors by a bounded operation label,
HTTP status classes, interview transitions and scoring outcomes, process metrics; off by setting; optional token.

The registry is process-wide and cumulative, so every check compares a scrape before and after.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from gateway.app import create_app
from gateway.metrics_http import ANONYMOUS, INVALID, OTHER, OperationLabels
from gateway.settings import get_settings
from resolvers.services import scoring_records as records
from tests.db_helpers import node_id
from tests.interview_helpers import SUBMIT, give_consent, invited_candidate, put_answer, wav_bytes

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def _scrape(client: httpx.AsyncClient, **headers: str) -> Samples:
    response = await client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def _value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def _delta(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return _value(after, name, **labels) - _value(before, name, **labels)


async def _client(**overrides: object) -> httpx.AsyncClient:
    settings = get_settings().model_copy(update=overrides)
    app = create_app(settings, embedded_worker=False)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hrgate.test")


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with await _client() as client:
        yield client


LATENCY = "hrgate_graphql_request_duration_seconds_count"
ERRORS = "hrgate_graphql_errors_total"


async def test_a_named_operation_is_timed_under_its_name(client):
    before = await _scrape(client)
    response = await client.post(
        "/graphql", json={"query": "query MetricsProbe { __typename }", "operationName": "MetricsProbe"}
    )
    assert response.json()["data"] == {"__typename": "Query"}
    # the name comes from the document when the request does not repeat it
    await client.post("/graphql", json={"query": "query MetricsProbe { __typename }"})
    after = await _scrape(client)
    assert _delta(before, after, LATENCY, operation="MetricsProbe") == 2
    assert _value(after, "hrgate_graphql_request_duration_seconds_sum", operation="MetricsProbe") > 0
    assert _delta(before, after, ERRORS, operation="MetricsProbe") == 0


async def test_an_unnamed_operation_is_anonymous(client):
    before = await _scrape(client)
    assert (await client.post("/graphql", json={"query": "{ __typename }"})).status_code == 200
    after = await _scrape(client)
    assert _delta(before, after, LATENCY, operation="anonymous") == 1


async def test_errors_are_counted_by_operation(client):
    before = await _scrape(client)
    answer = (await client.post("/graphql", json={"query": "query BrokenProbe { noSuchField }"})).json()
    assert answer["errors"]
    await client.post("/graphql", json={"query": "query { not even graphql"})  # does not parse
    refused = await client.post("/graphql", content=b"{not json", headers={"content-type": "application/json"})
    assert refused.status_code == 400
    after = await _scrape(client)
    assert _delta(before, after, ERRORS, operation="BrokenProbe") == 1
    assert _delta(before, after, LATENCY, operation="BrokenProbe") == 1
    assert _delta(before, after, ERRORS, operation="invalid") == 1
    assert _delta(before, after, ERRORS, operation="rejected") == 1  # refused before any operation ran
    assert _delta(before, after, "hrgate_http_responses_total", status_class="4xx") == 1


async def test_a_persisted_query_is_labelled_by_its_operation_name(client):
    document = "query PersistedProbe { __typename }"
    persisted = {"persistedQuery": {"version": 1, "sha256Hash": hashlib.sha256(document.encode()).hexdigest()}}
    before = await _scrape(client)
    missing = (await client.post("/graphql", json={"extensions": persisted})).json()
    assert missing["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    await client.post("/graphql", json={"query": document, "extensions": persisted})  # registers it
    answer = (await client.post("/graphql", json={"extensions": persisted})).json()
    assert answer["data"] == {"__typename": "Query"} and "errors" not in answer
    after = await _scrape(client)
    assert _delta(before, after, LATENCY, operation="PersistedProbe") == 2
    assert _delta(before, after, ERRORS, operation="persisted_query") == 1


async def test_status_classes_and_process_metrics(client):
    before = await _scrape(client)
    assert (await client.get("/healthz")).status_code == 200
    assert (await client.get("/no-such-route")).status_code == 404
    after = await _scrape(client)
    assert _delta(before, after, "hrgate_http_responses_total", status_class="2xx") >= 2  # healthz, first scrape
    assert _delta(before, after, "hrgate_http_responses_total", status_class="4xx") == 1
    assert _value(after, "process_resident_memory_bytes") > 0
    assert any(name == "python_gc_collections_total" for name, _ in after)


def test_operation_labels_are_bounded_and_come_from_the_document():
    labels = OperationLabels(max_names=2)
    labels.trust(["query TrustedOne { __typename }"])
    assert labels.label("query A { __typename }", None) == "A"
    assert labels.label("query B { __typename }", "B") == "B"
    assert labels.label("query C { __typename }", None) == OTHER  # the cap is reached: no new series
    assert labels.label("query A { __typename }", None) == "A"  # a name already labelled keeps its label
    assert labels.label("query TrustedOne { __typename }", None) == "TrustedOne"  # trusted names beyond the cap
    assert labels.label("query A { __typename }", "Robert'); DROP TABLE") == INVALID  # not in the document
    assert labels.label("query A { a } query B { b }", None) == INVALID  # ambiguous without operationName
    assert labels.label("query A { a } query B { b }", "B") == "B"
    assert labels.label("{ __typename }", None) == ANONYMOUS
    assert labels.label("fragment F on Query { __typename } query { ...F }", None) == ANONYMOUS
    assert labels.label(None, None) == INVALID
    long_name = "Q" * 65
    assert OperationLabels().label(f"query {long_name} {{ __typename }}", None) == OTHER


async def test_disabled_metrics_have_no_route():
    async with await _client(metrics_enabled=False) as client:
        assert (await client.get("/metrics")).status_code == 404
        assert (await client.post("/graphql", json={"query": "{ __typename }"})).status_code == 200


async def test_a_metrics_token_guards_the_scrape():
    async with await _client(metrics_token="scrape-secret") as client:
        refused = await client.get("/metrics")
        assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
        assert (await client.get("/metrics", headers={"authorization": "Bearer wrong"})).status_code == 401
        samples = await _scrape(client, authorization="Bearer scrape-secret")
        assert _value(samples, "process_resident_memory_bytes") > 0


async def _submitted(gql, http) -> int:
    invited = await invited_candidate(gql)
    await give_consent(gql, invited.token, biometric=False)
    for question_id in invited.question_ids:
        assert (await put_answer(http, invited.token, question_id, wav_bytes())).status_code == 201
    assert (await gql(SUBMIT, input={"invitationToken": invited.token}))["interviewSubmit"]["errors"] == []
    return node_id(invited.interview_id)


async def test_scoring_outcomes_durations_and_transitions(gql, http, client):
    scored_id, failed_id = await _submitted(gql, http), await _submitted(gql, http)
    before = await _scrape(client)
    job = await records.claim(scored_id)
    result = records.ReportResult(
        total=72.5,
        insufficient_evidence=False,
        strengths=[],
        weaknesses=[],
        tags=[],
        radar=[],
        models={},
        dimensions=[],
    )
    await records.save_report(job, result, pipeline_version="metrics-test")
    assert await records.claim(failed_id) is not None
    await records.mark_failed(failed_id, "the recording could not be read")
    await records.mark_failed(failed_id, "a second, late failure")  # no longer claimable: not counted again
    after = await _scrape(client)
    assert _delta(before, after, "hrgate_scoring_outcomes_total", outcome="scored") == 1
    assert _delta(before, after, "hrgate_scoring_outcomes_total", outcome="failed") == 1
    assert _delta(before, after, "hrgate_scoring_duration_seconds_count") == 1
    assert _delta(before, after, "hrgate_scoring_turnaround_seconds_count", outcome="scored") == 1
    assert _delta(before, after, "hrgate_scoring_turnaround_seconds_count", outcome="failed") == 1
    assert _delta(before, after, "hrgate_interview_transitions_total", status="scoring") == 2
    assert _delta(before, after, "hrgate_interview_transitions_total", status="scored") == 1
    assert _delta(before, after, "hrgate_interview_transitions_total", status="failed") == 1
    assert _value(before, "hrgate_interview_transitions_total", status="queued") >= 2  # the two submissions
