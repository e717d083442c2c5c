"""The ASGI app over HTTP: GraphQL, GraphiQL in development only, health and readiness probes."""

from __future__ import annotations

import httpx
import pytest

from gateway.app import create_app
from gateway.settings import Settings, get_settings
from tests.tokens import hr_admin_headers


@pytest.fixture
async def client():
    app = create_app(get_settings(), embedded_worker=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hrgate.test") as http:
        yield http


async def test_graphql_over_post(client):
    response = await client.post(
        "/graphql", json={"query": "{ requisitions(first: 5) { totalCount } }"}, headers=hr_admin_headers()
    )
    assert response.status_code == 200
    assert response.json()["data"] == {"requisitions": {"totalCount": 0}}


async def test_mutation_payload_errors_over_http(client):
    response = await client.post(
        "/graphql",
        json={
            "query": "mutation($input: ApplicationCreateInput!) { applicationCreate(input: $input) "
            "{ application { id } errors { field code message } } }",
            "variables": {"input": {"candidateId": "bad", "requisitionId": "bad"}},
        },
        headers=hr_admin_headers(),
    )
    assert response.status_code == 200
    payload = response.json()["data"]["applicationCreate"]
    assert payload["application"] is None
    assert payload["errors"][0]["field"] == "candidateId" and payload["errors"][0]["code"] == "INVALID_ID"


async def test_graphiql_in_development(client):
    response = await client.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 200 and "graphiql" in response.text.lower()


async def test_no_graphiql_and_no_get_queries_in_production():
    settings = Settings(environment="production", database_url=get_settings().resolved_database_url)
    app = create_app(settings, embedded_worker=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hrgate.test") as http:
        page = await http.get("/graphql", headers={"accept": "text/html"})
        assert "graphiql" not in page.text.lower()
        query = await http.get("/graphql", params={"query": "{ requisitions(first: 1) { totalCount } }"})
        assert query.status_code in (400, 404, 405)


async def test_health_and_readiness(client):
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"database": "ok"}}


async def test_readiness_stays_ready_but_degraded_when_redis_is_unreachable(monkeypatch, client):
    """Reads and submissions need only the database: a Redis outage must not take every replica out of rotation."""
    monkeypatch.setenv("HRGATE_PUBSUB_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setenv("HRGATE_BROKER_URL", "redis://127.0.0.1:1/1")
    get_settings.cache_clear()
    try:
        ready = await client.get("/readyz")
    finally:
        monkeypatch.delenv("HRGATE_PUBSUB_URL")
        monkeypatch.delenv("HRGATE_BROKER_URL")
        get_settings.cache_clear()
    assert ready.status_code == 200
    body = ready.json()
    assert body["status"] == "degraded"
    assert body["checks"] == {"database": "ok", "broker": "unavailable", "pubsub": "unavailable"}
    assert "submissions are kept" in body["degraded"] and "live status updates are paused" in body["degraded"]
