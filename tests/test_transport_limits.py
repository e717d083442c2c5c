"""Transport limits a hostile client meets before and around authentication (issue 8, findings 2, 5, 7, 12, 13).

Every test sends the kind of request the probe sent, through the ASGI app over HTTP (no uvicorn in
between, so the caps hold in the ASGI layer itself). The Redis tests run two app instances against
the real Redis on 127.0.0.1:6379, as two replicas would.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from gateway.app import create_app
from gateway.auth import AuthenticationError, TokenVerifier
from gateway.jwks import JwksSource
from gateway.log_redaction import RedactInvitationTokens
from gateway.oauth import ClientRegistry
from gateway.settings import Settings, get_settings
from tests.tokens import IDP_ISSUER, IDP_KEY, bearer, claims, person_token, service_token

QUERY = {"query": "{ requisitions(first: 1) { totalCount } }"}
REDIS_URL = "redis://127.0.0.1:6379/0"
CLIENT_FAILURES_BEFORE_LOCKOUT = 5  # the defaults
ADDRESS_FAILURES_BEFORE_LOCKOUT = 20


def _settings(**overrides) -> Settings:
    return Settings(database_url=get_settings().resolved_database_url, **overrides)


@asynccontextmanager
async def _client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, embedded_worker=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hrgate.test") as client:
        yield client


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# --- finding 2: the rate limit keys on who the token verifiably is ------------------------------------


async def test_made_up_tokens_count_against_the_client_address():
    async with _client(_settings(rate_limit_per_minute=5)) as http:
        statuses = [
            (await http.post("/graphql", json=QUERY, headers=bearer(f"junk-{number}"))).status_code
            for number in range(6)
        ]
        assert statuses == [200] * 5 + [429]
        anonymous = await http.post("/graphql", json=QUERY)
        assert anonymous.status_code == 429 and 1 <= int(anonymous.headers["retry-after"]) <= 60
        # a person with a valid token has an allowance of their own, whatever the address did
        person = await http.post("/graphql", json=QUERY, headers=bearer(person_token("rec-1", "recruiter")))
        assert person.status_code == 200 and person.json()["data"]


async def test_new_tokens_for_the_same_subject_share_one_allowance():
    async with _client(_settings(rate_limit_per_minute=3)) as http:
        statuses = [
            (await http.post("/graphql", json=QUERY, headers=bearer(person_token("rec-1", "recruiter")))).status_code
            for _ in range(4)
        ]
        assert statuses == [200, 200, 200, 429]


async def test_a_token_is_verified_once_per_request_and_remembered(monkeypatch):
    calls = []
    original = TokenVerifier.verify

    async def counting_verify(self, token):
        calls.append(token)
        return await original(self, token)

    monkeypatch.setattr(TokenVerifier, "verify", counting_verify)
    headers = bearer(person_token("rec-1", "recruiter"))
    async with _client(_settings()) as http:
        first = await http.post("/graphql", json=QUERY, headers=headers)
        assert first.json()["data"] == {"requisitions": {"totalCount": 0}}
        assert len(calls) == 1  # the rate limit verified it; the GraphQL context reused that
        await http.post("/graphql", json=QUERY, headers=headers)
        assert len(calls) == 1  # remembered for a few seconds


async def test_replicas_share_one_limit_in_redis():
    prefix = f"hrgate-test:{uuid.uuid4().hex}:"
    settings = _settings(rate_limit_per_minute=4, rate_limit_url=REDIS_URL, rate_limit_key_prefix=prefix)
    headers = bearer(person_token("rec-1", "recruiter"))
    async with _client(settings) as first, _client(settings) as second:
        statuses = [
            (await replica.post("/graphql", json=QUERY, headers=headers)).status_code
            for replica in (first, second, first, second, first)
        ]
        assert statuses == [200, 200, 200, 200, 429]
        refused = await second.post("/graphql", json=QUERY, headers=headers)
        assert refused.status_code == 429 and 1 <= int(refused.headers["retry-after"]) <= 60


def test_pubsub_redis_means_shared_counters_unless_set_apart():
    assert _settings(pubsub_url=REDIS_URL).resolved_rate_limit_url == REDIS_URL
    assert _settings(pubsub_url="", rate_limit_url="").resolved_rate_limit_url == ""
    assert _settings(pubsub_url=REDIS_URL, rate_limit_url="redis://other:6379/2").resolved_rate_limit_url == (
        "redis://other:6379/2"
    )


# --- finding 2: /oauth/token backs off after refused secrets -------------------------------------------


@pytest.fixture
def issuer_settings(tmp_path):
    def make(**overrides) -> Settings:
        return _settings(
            data_dir=tmp_path, oauth_clients_path=tmp_path / "clients.json", rate_limit_per_minute=0, **overrides
        )

    return make


async def _token(http: httpx.AsyncClient, client_id: str, secret: str) -> httpx.Response:
    return await http.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret))


async def test_wrong_secrets_lock_the_client_out_exponentially(issuer_settings):
    settings = issuer_settings()
    client_id, secret = ClientRegistry(settings.resolved_oauth_clients_path).add("sap", ["requisitions:read"])
    async with _client(settings) as http:
        for _ in range(CLIENT_FAILURES_BEFORE_LOCKOUT):
            assert (await _token(http, client_id, "guess")).status_code == 401
        locked = await _token(http, client_id, secret)  # the right secret, during the lockout
        assert locked.status_code == 429 and locked.headers["retry-after"] == "1"
        assert locked.json()["error"] == "too_many_attempts" and "retry after 1 s" in locked.json()["error_description"]
        await asyncio.sleep(1.1)
        assert (await _token(http, client_id, "guess again")).status_code == 401
        doubled = await _token(http, client_id, secret)
        assert doubled.status_code == 429 and doubled.headers["retry-after"] == "2"
        await asyncio.sleep(2.1)
        accepted = await _token(http, client_id, secret)
        assert accepted.status_code == 200 and accepted.json()["access_token"]
        # success forgets the client's failures: one more mistake does not lock it again
        assert (await _token(http, client_id, "typo")).status_code == 401
        assert (await _token(http, client_id, secret)).status_code == 200


async def test_guessing_many_client_ids_locks_the_address(issuer_settings):
    settings = issuer_settings()
    client_id, secret = ClientRegistry(settings.resolved_oauth_clients_path).add("sap", ["requisitions:read"])
    async with _client(settings) as http:
        for number in range(ADDRESS_FAILURES_BEFORE_LOCKOUT):
            assert (await _token(http, f"ghost-{number}", "guess")).status_code == 401
        locked = await _token(http, client_id, secret)
        assert locked.status_code == 429 and int(locked.headers["retry-after"]) >= 1


async def test_the_lockout_holds_across_replicas_in_redis(issuer_settings):
    settings = issuer_settings(rate_limit_url=REDIS_URL, rate_limit_key_prefix=f"hrgate-test:{uuid.uuid4().hex}:")
    client_id, secret = ClientRegistry(settings.resolved_oauth_clients_path).add("sap", ["requisitions:read"])
    async with _client(settings) as first, _client(settings) as second:
        for number in range(CLIENT_FAILURES_BEFORE_LOCKOUT):
            assert (await _token(first if number % 2 else second, client_id, "guess")).status_code == 401
        assert (await _token(first, client_id, secret)).status_code == 429
        assert (await _token(second, client_id, secret)).status_code == 429


# --- finding 5: bodies and headers are capped before authentication ------------------------------------


async def test_token_endpoint_refuses_a_large_form_before_parsing_it(http):
    fields = {f"field{number}": "x" * 10_000 for number in range(400)}
    declared = await http.post("/oauth/token", data={"grant_type": "client_credentials", **fields})
    assert declared.status_code == 413 and declared.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"

    async def streamed():  # no Content-Length: counted while it arrives
        yield b"grant_type=client_credentials"
        for number in range(400):
            yield f"&field{number}=".encode() + b"x" * 10_000

    chunked = await http.post(
        "/oauth/token", content=streamed(), headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert chunked.status_code == 413


async def test_token_endpoint_refuses_multipart(http):
    response = await http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        files={"upload": ("big.bin", b"\0" * 100_000, "application/octet-stream")},
    )
    assert response.status_code == 415
    assert response.json()["errors"][0]["extensions"]["code"] == "UNSUPPORTED_MEDIA_TYPE"


async def test_oversized_headers_are_refused_with_431(http):
    huge = {"authorization": "Bearer " + "A" * (1024 * 1024)}
    for request in (
        http.post("/graphql", json=QUERY, headers=huge),
        http.post("/oauth/token", data={"grant_type": "client_credentials"}, headers=huge),
        http.get("/healthz", headers={"x-padding": "p" * 20_000}),
    ):
        response = await request
        assert response.status_code == 431
        assert response.json()["errors"][0]["extensions"]["code"] == "HEADERS_TOO_LARGE"
    assert (await http.get("/healthz", headers={"x-padding": "p" * 8_000})).status_code == 200


# --- finding 12: a deeply nested token header is a 401, not a 500 ---------------------------------------


async def test_deeply_nested_token_header_is_unauthenticated(http):
    payload = _b64(json.dumps(claims("hr-1", roles=["hr_admin"])).encode())
    finding = _b64(('["' * 5000 + '"]' * 5000).encode())
    # over HTTP the probe's 27 KB header is refused by the header cap before any token is read ...
    too_large = await http.post("/graphql", json=QUERY, headers=bearer(f"{finding}.{payload}.c2ln"))
    assert too_large.status_code == 431
    # ... a nested header within the cap is a 401-style refusal, and so is the probe's (over websockets, the
    # token arrives in connection_init where no header cap applies)
    within_cap = _b64(('["' * 2000 + '"]' * 2000).encode())
    response = await http.post("/graphql", json=QUERY, headers=bearer(f"{within_cap}.{payload}.c2ln"))
    assert response.status_code == 200
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED" and "malformed token" in error["message"]
    verifier = TokenVerifier(audience="hrgate", issuers={IDP_ISSUER: JwksSource(local_keys=[IDP_KEY])})
    with pytest.raises(AuthenticationError, match="malformed token"):
        await verifier.authenticate(f"Bearer {finding}.{payload}.c2ln")


async def test_deeply_nested_claims_are_refused_as_malformed():
    verifier = TokenVerifier(audience="hrgate", issuers={IDP_ISSUER: JwksSource(local_keys=[IDP_KEY])})
    header = _b64(json.dumps({"alg": "RS256", "kid": IDP_KEY.kid}).encode())
    nested = _b64(("[" * 4000 + "]" * 4000).encode())  # within the token size cap: the JSON parser's recursion
    with pytest.raises(AuthenticationError, match="malformed token"):
        await verifier.verify(f"{header}.{nested}.c2ln")


# --- finding 13: an identity provider's token without roles is nobody, unless configured ----------------


async def test_identity_provider_tokens_without_roles_are_refused_by_default(issuer_settings):
    settings = issuer_settings(idp_service_tokens=False)  # the default (conftest turns it on for the suite)
    client_id, secret = ClientRegistry(settings.resolved_oauth_clients_path).add("sap", ["requisitions:read"])
    async with _client(settings) as http:
        from_idp = await http.post("/graphql", json=QUERY, headers=bearer(service_token("erp", "requisitions:read")))
        (error,) = from_idp.json()["errors"]
        assert error["extensions"]["code"] == "UNAUTHENTICATED" and "no roles claim" in error["message"]
        own = (await _token(http, client_id, secret)).json()["access_token"]
        connector = await http.post("/graphql", json=QUERY, headers=bearer(own))
        assert connector.json()["data"] == {"requisitions": {"totalCount": 0}}
    async with _client(issuer_settings(idp_service_tokens=True)) as http:
        allowed = await http.post("/graphql", json=QUERY, headers=bearer(service_token("erp", "requisitions:read")))
        assert allowed.json()["data"] == {"requisitions": {"totalCount": 0}}
    assert Settings.model_fields["idp_service_tokens"].default is False


# --- finding 7: no credentials or query literals in the logs --------------------------------------------


def test_access_log_record_loses_the_invitation_token():
    token = "k3xT0ken-abcdefghijklmnopqrstuvwxyz0123456789"
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "PUT", f"/interview/{token}/answers/UXVlc3Rpb246MQ==?x=1", "1.1", 204),
        None,
    )
    RedactInvitationTokens().filter(record)
    message = record.getMessage()
    assert token not in message and "/interview/[redacted]/answers/UXVlc3Rpb246MQ==" in message


async def test_graphql_error_logs_carry_neither_the_query_nor_its_literals(http, caplog):
    secret = "inv-9fK2mZ7qLw4tY8vB1nR6xC3pH5jD0sGa"
    query = f'{{ requisitions(first: "{secret}") {{ totalCount }} }}'
    with caplog.at_level(logging.DEBUG):
        response = await http.post("/graphql", json={"query": query}, headers=bearer(person_token("r", "recruiter")))
        await http.post(
            "/graphql",
            json={"query": f'{{ candidates(first: 1, search: "{secret}") {{ edges {{ node {{ nope }} }} }} }}'},
            headers=bearer(person_token("r", "recruiter")),
        )
    assert response.json()["errors"]  # the error still reaches the client
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert logged, "the errors are logged"
    assert secret not in logged and "requisitions(first:" not in logged and "search:" not in logged


def test_a_token_cached_past_its_expiry_is_not_used():
    from gateway.auth import VerifiedPrincipal
    from resolvers.services.audit import ANONYMOUS

    assert VerifiedPrincipal(ANONYMOUS, usable_until=time.time() - 1).expired()
    assert not VerifiedPrincipal(ANONYMOUS, usable_until=time.time() + 60).expired()
