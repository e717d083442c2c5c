"""Persisted queries over HTTP and websockets: Apollo's APQ (in process and shared through Redis) and trusted documents."""

from __future__ import annotations

import hashlib
import json
import uuid

import httpx
import pytest
import redis.asyncio as redis
from starlette.testclient import TestClient

from gateway.app import create_app
from gateway.models import Candidate
from gateway.persisted_queries import MemoryStore, TrustedDocumentsError, load_trusted_documents
from gateway.settings import Settings, get_settings
from tests.db_helpers import row_count
from tests.factories import CANDIDATE_CREATE
from tests.tokens import bearer, hr_admin_headers, person_token, service_token

REDIS_URL = "redis://127.0.0.1:6379/0"
COUNT = "query Count { requisitions(first: 5) { totalCount } }"
PING = "query Ping { __typename }"
CREATE_INPUT = {"input": {"fullName": "王小明", "email": "apq@mail.example", "resumeText": "teller"}}


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def persisted(hash_: str, query: str | None = None, **extra) -> dict:
    body = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": hash_}}, **extra}
    if query is not None:
        body["query"] = query
    return body


def only_error(response: httpx.Response) -> tuple[str, str]:
    assert response.status_code == 200, response.text
    body = response.json()
    assert body.get("data") is None and len(body["errors"]) == 1, body
    return body["errors"][0]["message"], body["errors"][0]["extensions"]["code"]


def settings(**overrides) -> Settings:
    return Settings(database_url=get_settings().resolved_database_url, **overrides)


async def client_for(app_settings: Settings):
    app = create_app(app_settings, embedded_worker=False)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hrgate.test")


# --- automatic persisted queries, in process ---------------------------------------------------------------


async def test_unknown_hash_answers_persisted_query_not_found_then_the_full_text_registers_it(http):
    headers = hr_admin_headers()
    first = await http.post("/graphql", json=persisted(sha256(COUNT)), headers=headers)
    assert only_error(first) == ("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")  # what Apollo clients retry on

    registered = await http.post("/graphql", json=persisted(sha256(COUNT), COUNT), headers=headers)
    assert registered.status_code == 200 and registered.json()["data"] == {"requisitions": {"totalCount": 0}}

    by_hash = await http.post("/graphql", json=persisted(sha256(COUNT).upper()), headers=headers)
    assert by_hash.json()["data"] == {"requisitions": {"totalCount": 0}}
    assert by_hash.json()["extensions"]["cost"]["requested"] == 5  # the limits ran on the stored text


async def test_a_hash_that_does_not_match_its_document_runs_nothing_and_registers_nothing(http):
    headers = hr_admin_headers()
    mutation = persisted(sha256(COUNT), CANDIDATE_CREATE, variables=CREATE_INPUT)
    message, code = only_error(await http.post("/graphql", json=mutation, headers=headers))
    assert code == "PERSISTED_QUERY_HASH_MISMATCH" and "SHA-256" in message
    assert await row_count(Candidate) == 0
    assert only_error(await http.post("/graphql", json=persisted(sha256(COUNT)), headers=headers))[1] == (
        "PERSISTED_QUERY_NOT_FOUND"
    )


@pytest.mark.parametrize(
    "extension",
    [
        {"version": 2, "sha256Hash": "0" * 64},
        {"version": 1},
        {"version": 1, "sha256Hash": "not-a-sha256"},
        "v1",
    ],
)
async def test_malformed_persisted_query_extensions_are_refused_with_a_code(http, extension):
    response = await http.post(
        "/graphql", json={"query": PING, "extensions": {"persistedQuery": extension}}, headers=hr_admin_headers()
    )
    assert only_error(response)[1] == "PERSISTED_QUERY_INVALID"


async def test_every_operation_of_a_batch_goes_through_the_persisted_queries(http):
    connector = bearer(service_token("erp-sap", "requisitions:read"))
    batch = [persisted(sha256(PING)), persisted(sha256(PING), PING), persisted(sha256(PING)), persisted("f" * 64, PING)]
    response = await http.post("/graphql", json=batch, headers=connector)
    assert response.status_code == 200
    answers = response.json()
    assert answers[0]["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"  # operations run concurrently
    assert answers[1]["data"] == {"__typename": "Query"}
    assert answers[2]["data"] == {"__typename": "Query"} or answers[2]["errors"][0]["extensions"]["code"] == (
        "PERSISTED_QUERY_NOT_FOUND"
    )
    assert (
        answers[3]["data"] is None and answers[3]["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_HASH_MISMATCH"
    )
    again = await http.post("/graphql", json=[persisted(sha256(PING))], headers=connector)
    assert [answer["data"] for answer in again.json()] == [{"__typename": "Query"}]


async def test_the_in_process_store_is_bounded_by_size_and_keeps_the_recently_used():
    store = MemoryStore(max_bytes=30)
    await store.put("a", "x" * 10)
    await store.put("b", "y" * 10)
    assert await store.get("a") == "x" * 10  # a is now the most recently used
    await store.put("c", "z" * 15)
    assert await store.get("b") is None and await store.get("a") == "x" * 10 and await store.get("c") == "z" * 15
    assert store.size <= 30
    await store.put("huge", "h" * 31)
    assert await store.get("huge") is None


# --- shared through Redis ------------------------------------------------------------------------------------


@pytest.fixture
async def redis_prefix():
    prefix = f"hrgate-test:apq:{uuid.uuid4().hex}:"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    keys = [key async for key in client.scan_iter(match=prefix + "*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


async def test_a_document_registered_on_one_replica_runs_by_hash_on_another(redis_prefix):
    shared = {"persisted_queries_url": REDIS_URL, "persisted_queries_key_prefix": redis_prefix}
    headers = hr_admin_headers()
    async with await client_for(settings(**shared)) as replica_a, await client_for(settings(**shared)) as replica_b:
        assert only_error(await replica_b.post("/graphql", json=persisted(sha256(COUNT)), headers=headers))[1] == (
            "PERSISTED_QUERY_NOT_FOUND"
        )
        registered = await replica_a.post("/graphql", json=persisted(sha256(COUNT), COUNT), headers=headers)
        assert registered.json()["data"] == {"requisitions": {"totalCount": 0}}
        by_hash = await replica_b.post("/graphql", json=persisted(sha256(COUNT)), headers=headers)
        assert by_hash.json()["data"] == {"requisitions": {"totalCount": 0}}

    client = redis.Redis.from_url(REDIS_URL)
    try:
        key = redis_prefix + sha256(COUNT)
        assert (await client.get(key)).decode() == COUNT
        assert 0 < await client.ttl(key) <= Settings().persisted_queries_ttl_seconds
        await client.set(redis_prefix + sha256(PING), b"mutation { tampered }")  # a value that is not its hash's text
    finally:
        await client.aclose()
    async with await client_for(settings(**shared)) as replica_c:
        assert only_error(await replica_c.post("/graphql", json=persisted(sha256(PING)), headers=headers))[1] == (
            "PERSISTED_QUERY_NOT_FOUND"
        )


async def test_an_unreachable_redis_degrades_to_not_found_and_full_text_still_runs():
    down = settings(persisted_queries_url="redis://127.0.0.1:1/0")
    async with await client_for(down) as http:
        assert only_error(await http.post("/graphql", json=persisted(sha256(PING)), headers=hr_admin_headers()))[1] == (
            "PERSISTED_QUERY_NOT_FOUND"
        )
        full = await http.post("/graphql", json=persisted(sha256(PING), PING), headers=hr_admin_headers())
        assert full.status_code == 200 and full.json()["data"] == {"__typename": "Query"}


# --- trusted documents only ------------------------------------------------------------------------------------


@pytest.fixture
def manifest(tmp_path):
    """As GraphQL codegen's client preset writes it (``persistedDocuments: {hashAlgorithm: "sha256"}``)."""
    path = tmp_path / "persisted-documents.json"
    path.write_text(json.dumps({sha256(COUNT): COUNT, sha256(PING): PING}), encoding="utf-8")
    return path


@pytest.fixture
async def trusted_http(manifest):
    async with await client_for(settings(environment="production", trusted_documents=manifest)) as client:
        yield client


async def test_trusted_documents_only_free_form_documents_are_refused_and_nothing_runs(trusted_http):
    headers = hr_admin_headers()
    free_form = {"query": CANDIDATE_CREATE, "variables": CREATE_INPUT}
    message, code = only_error(await trusted_http.post("/graphql", json=free_form, headers=headers))
    assert code == "PERSISTED_QUERY_REQUIRED" and "trusted documents only" in message
    registering = persisted(sha256(CANDIDATE_CREATE), CANDIDATE_CREATE, variables=CREATE_INPUT)
    assert only_error(await trusted_http.post("/graphql", json=registering, headers=headers))[1] == (
        "PERSISTED_QUERY_NOT_IN_LIST"
    )
    assert await row_count(Candidate) == 0

    known = await trusted_http.post("/graphql", json=persisted(sha256(COUNT)), headers=headers)
    assert known.status_code == 200 and known.json()["data"] == {"requisitions": {"totalCount": 0}}
    in_full = await trusted_http.post("/graphql", json={"query": COUNT}, headers=headers)
    assert in_full.json()["data"] == {"requisitions": {"totalCount": 0}}
    swapped = await trusted_http.post("/graphql", json=persisted(sha256(COUNT), PING), headers=headers)
    assert only_error(swapped)[1] == "PERSISTED_QUERY_HASH_MISMATCH"
    unknown = await trusted_http.post("/graphql", json=persisted("0" * 64), headers=headers)
    assert only_error(unknown)[1] == "PERSISTED_QUERY_NOT_IN_LIST"


async def test_trusted_documents_only_applies_to_every_operation_of_a_batch(trusted_http):
    connector = bearer(service_token("erp-sap", "requisitions:read"))
    response = await trusted_http.post(
        "/graphql", json=[persisted(sha256(PING)), {"query": "{ __typename }"}], headers=connector
    )
    first, second = response.json()
    assert first["data"] == {"__typename": "Query"}
    assert second["data"] is None and second["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_REQUIRED"


def test_manifests_of_codegen_relay_and_apollo_are_read_and_bad_ones_refused(tmp_path):
    relay = tmp_path / "persisted-queries.json"
    relay.write_text(json.dumps({"3f1e4a8c0d9b2e7f6a5c4d3b2a1f0e9d": PING}), encoding="utf-8")  # Relay's MD5 ids
    assert load_trusted_documents(relay) == {"3f1e4a8c0d9b2e7f6a5c4d3b2a1f0e9d": PING}
    apollo = tmp_path / "persisted-query-manifest.json"
    apollo.write_text(
        json.dumps(
            {
                "format": "apollo-persisted-query-manifest",
                "version": 1,
                "operations": [{"id": sha256(PING), "name": "Ping", "type": "query", "body": PING}],
            }
        ),
        encoding="utf-8",
    )
    assert load_trusted_documents(apollo) == {sha256(PING): PING}
    for content in ("not json", "[]", "{}", json.dumps({"id": 3}), json.dumps({"id": ""})):
        bad = tmp_path / "bad.json"
        bad.write_text(content, encoding="utf-8")
        with pytest.raises(TrustedDocumentsError):
            load_trusted_documents(bad)
    with pytest.raises(TrustedDocumentsError):
        load_trusted_documents(tmp_path / "missing.json")
    with pytest.raises(TrustedDocumentsError):  # a deployment with a broken manifest does not start
        create_app(settings(trusted_documents=tmp_path / "missing.json"), embedded_worker=False)


# --- websockets ------------------------------------------------------------------------------------------------


def _subscribe(socket, operation_id: str, payload: dict) -> dict:  # noqa: ANN001
    socket.send_json({"id": operation_id, "type": "subscribe", "payload": payload})
    return socket.receive_json()


def test_websocket_operations_run_trusted_documents_only(manifest):
    app = create_app(settings(trusted_documents=manifest), embedded_worker=False)
    token = person_token("rec-1", "recruiter")
    with (
        TestClient(app) as client,
        client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as socket,
    ):
        socket.send_json({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
        assert socket.receive_json()["type"] == "connection_ack"

        refused = _subscribe(socket, "1", {"query": "{ __typename }"})
        assert refused["type"] == "error" and refused["id"] == "1"
        assert refused["payload"][0]["extensions"]["code"] == "PERSISTED_QUERY_REQUIRED"

        unknown = _subscribe(socket, "2", persisted("0" * 64))
        assert (
            unknown["type"] == "error" and unknown["payload"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_IN_LIST"
        )

        answered = _subscribe(socket, "3", persisted(sha256(PING)))
        assert answered == {"id": "3", "type": "next", "payload": answered["payload"]}
        assert answered["payload"]["data"] == {"__typename": "Query"}
        assert socket.receive_json() == {"id": "3", "type": "complete"}


def test_websocket_operations_use_automatic_persisted_queries():
    app = create_app(settings(), embedded_worker=False)
    token = person_token("rec-1", "recruiter")
    with (
        TestClient(app) as client,
        client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as socket,
    ):
        socket.send_json({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
        ack = socket.receive()
        assert "text" in ack, f"graphql-transport-ws messages must be text frames, got {ack}"
        assert json.loads(ack["text"])["type"] == "connection_ack"
        hash_ = sha256(PING + " ")  # a text no other test registered in this process
        missing = _subscribe(socket, "1", persisted(hash_))
        assert missing["type"] == "error" and missing["payload"][0]["message"] == "PersistedQueryNotFound"
        registered = _subscribe(socket, "2", persisted(hash_, PING + " "))
        assert registered["type"] == "next" and registered["payload"]["data"] == {"__typename": "Query"}
        assert socket.receive_json()["type"] == "complete"
        by_hash = _subscribe(socket, "3", persisted(hash_))
        assert by_hash["type"] == "next" and by_hash["payload"]["data"] == {"__typename": "Query"}
