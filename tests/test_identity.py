"""Bearer tokens: what is accepted (RS256/ES256 from a trusted issuer, right audience, unexpired), what is
refused and why, key rotation through a JWKS URL, and the embedded client-credentials issuer end to end."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import httpx
import pytest
from joserfc.jwk import ECKey, RSAKey

from gateway.app import HrGraphQL, create_app
from gateway.auth import AuthenticationError, TokenVerifier, actor_from_claims
from gateway.jwks import JwksSource
from gateway.oauth import ClientRegistry
from gateway.settings import Settings, get_settings
from resolvers.services.audit import ANONYMOUS
from schema.context import Context
from tests.tokens import IDP_ISSUER, IDP_KEY, bearer, claims, person_token, service_token, sign

QUERY = {"query": "{ requisitions(first: 1) { totalCount } }"}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unsigned(header: dict, payload: dict) -> str:
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(payload).encode())}"


async def _graphql(http, token: str | None, body: dict = QUERY) -> dict:
    headers = bearer(token) if token is not None else {}
    response = await http.post("/graphql", json=body, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def _refusal(result: dict) -> tuple[str, str]:
    (error,) = result["errors"]
    return error["extensions"]["code"], error["message"]


# --- over HTTP: the test identity provider of conftest (JWKS file) -----------------------------------


async def test_a_valid_person_token_reads(http):
    result = await _graphql(http, person_token("hr-1", "hr_admin"))
    assert result["data"] == {"requisitions": {"totalCount": 0}}


async def test_no_token_is_unauthenticated_but_probes_and_keys_are_open(http):
    assert _refusal(await _graphql(http, None))[0] == "UNAUTHENTICATED"
    assert (await http.get("/healthz")).status_code == 200
    keys = (await http.get("/.well-known/jwks.json")).json()["keys"]
    assert keys and all("d" not in key for key in keys) and keys[0]["alg"] == "ES256"


def _forged_hs256(public_pem: bytes) -> str:
    signing_input = _unsigned({"alg": "HS256", "kid": IDP_KEY.kid, "typ": "JWT"}, claims("hr-1", roles=["hr_admin"]))
    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


OTHER_RSA = RSAKey.generate_key(2048, auto_kid=True)
REFUSED = {
    "malformed": ("not-a-jwt", "malformed"),
    "garbage segments": ("a.b.c", "malformed"),
    "expired": (
        sign(claims("hr-1", roles=["hr_admin"], iat=int(time.time()) - 7200, exp=int(time.time()) - 3600)),
        "expired",
    ),
    "no exp": (sign(claims("hr-1", roles=["hr_admin"], exp=None)), "exp"),
    "wrong audience": (person_token("hr-1", "hr_admin", aud="another-api"), "aud"),
    "wrong issuer": (person_token("hr-1", "hr_admin", iss="https://evil.example"), "issuer"),
    "alg none": (_unsigned({"alg": "none"}, claims("hr-1", roles=["hr_admin"])) + ".", "none"),
    "HS256 with the RSA public key as secret": (_forged_hs256(IDP_KEY.as_pem(private=False)), "HS256"),
    "signed by another key under the IdP's kid": (
        sign(claims("hr-1", roles=["hr_admin"]), OTHER_RSA, kid=IDP_KEY.kid),
        "signature",
    ),
    "unknown kid": (sign(claims("hr-1", roles=["hr_admin"]), OTHER_RSA), "unknown signing key"),
    "RS384": (sign(claims("hr-1", roles=["hr_admin"]), alg="RS384"), "RS384"),
}


@pytest.mark.parametrize("case", list(REFUSED))
async def test_refused_tokens_are_unauthenticated_with_a_reason(http, case):
    token, reason = REFUSED[case]
    code, message = _refusal(await _graphql(http, token))
    assert code == "UNAUTHENTICATED"
    assert reason.lower() in message.lower(), message


async def test_not_a_bearer_scheme_is_refused(http):
    response = await http.post("/graphql", json=QUERY, headers={"authorization": "Basic dXNlcjpwYXNz"})
    assert _refusal(response.json())[0] == "UNAUTHENTICATED"


async def test_a_token_without_the_needed_scope_is_forbidden(http):
    code, _ = _refusal(await _graphql(http, service_token("erp-1", "kpi:write")))
    assert code == "FORBIDDEN"
    assert (await _graphql(http, service_token("erp-1", "requisitions:read")))["data"]["requisitions"] == {
        "totalCount": 0
    }


async def test_candidate_operations_need_no_bearer_token(http, gql):
    from tests.interview_helpers import invited_candidate

    invited = await invited_candidate(gql)
    body = {
        "query": "query($t: String!) { invitation(token: $t) { status } }",
        "variables": {"t": invited.token},
    }
    assert (await _graphql(http, None, body))["data"] == {"invitation": {"status": "INVITED"}}
    consent = {
        "query": "mutation($t: String!) { interviewConsentRecord(input: {invitationToken: $t, aiProcessing: true,"
        ' biometric: false, noticeVersion: "2026-01"}) { errors { code } } }',
        "variables": {"t": invited.token},
    }
    assert (await _graphql(http, None, consent))["data"]["interviewConsentRecord"]["errors"] == []
    # another interview's question id with this candidate's token is refused as data, nothing leaks
    other = await invited_candidate(gql)
    upload = await http.put(f"/interview/{invited.token}/answers/{other.question_ids[0]}", content=b"RIFF")
    assert upload.status_code in (400, 404, 422), upload.text


# --- the verifier itself: ES256, rotation through a JWKS URL -----------------------------------------


async def test_es256_tokens_from_a_jwks_source_are_accepted():
    key = ECKey.generate_key("P-256", auto_kid=True)
    issuers = {IDP_ISSUER: JwksSource(local_keys=[key])}
    token = sign(claims("svc", scope="reports:read"), key, alg="ES256")
    verifier = TokenVerifier(audience="hrgate", issuers=issuers, idp_service_tokens=True)
    actor = await verifier.authenticate(f"Bearer {token}")
    assert actor.kind == "service" and actor.scopes == {"reports:read"}
    # by default an identity provider's token without roles is nobody's: not a connector holding its scope
    with pytest.raises(AuthenticationError, match="no roles claim"):
        await TokenVerifier(audience="hrgate", issuers=issuers).authenticate(f"Bearer {token}")


async def test_key_rotation_fetches_the_jwks_again_for_an_unknown_kid():
    old, new = RSAKey.generate_key(2048, auto_kid=True), RSAKey.generate_key(2048, auto_kid=True)
    published = [old]
    fetches: list[str] = []

    async def fetch(url: str) -> dict:
        fetches.append(url)
        return {"keys": [key.as_dict(private=False) for key in published]}

    source = JwksSource(url="https://idp.example/jwks", fetch=fetch, cache_seconds=3600, refetch_min_seconds=0)
    verifier = TokenVerifier(audience="hrgate", issuers={IDP_ISSUER: source})
    actor = await verifier.authenticate(f"Bearer {sign(claims('hr-1', roles=['recruiter']), old)}")
    assert actor.roles == {"recruiter"}
    assert len(fetches) == 1
    await verifier.verify(sign(claims("hr-1", roles=["recruiter"]), old))
    assert len(fetches) == 1, "cached"

    published.append(new)  # the provider publishes the new key, then signs with it
    actor = await verifier.authenticate(f"Bearer {sign(claims('hr-2', roles=['auditor']), new)}")
    assert actor.roles == {"auditor"} and len(fetches) == 2

    with pytest.raises(AuthenticationError, match="unknown signing key"):
        await verifier.verify(sign(claims("hr-3", roles=["auditor"]), OTHER_RSA))


async def test_unknown_kids_cannot_make_us_hammer_the_identity_provider():
    fetches: list[str] = []

    async def fetch(url: str) -> dict:
        fetches.append(url)
        return {"keys": [IDP_KEY.as_dict(private=False)]}

    source = JwksSource(url="https://idp.example/jwks", fetch=fetch, refetch_min_seconds=60)
    verifier = TokenVerifier(audience="hrgate", issuers={IDP_ISSUER: source})
    for _ in range(5):
        with pytest.raises(AuthenticationError):
            await verifier.verify(sign(claims("x", roles=[]), OTHER_RSA))
    assert len(fetches) == 1


def test_roles_claim_makes_a_person_and_unknown_roles_are_dropped():
    actor = actor_from_claims(
        {"sub": "u1", "roles": ["hiring_manager", "superuser"], "email": "m@bank.example"}, service_allowed=False
    )
    assert (actor.kind, actor.subject, actor.roles, actor.name) == (
        "person",
        "u1",
        {"hiring_manager"},
        "m@bank.example",
    )
    connector_claims = {"sub": "c1", "scope": "kpi:write employees:read"}
    assert actor_from_claims(connector_claims, service_allowed=True).scopes == {"kpi:write", "employees:read"}
    with pytest.raises(AuthenticationError):
        actor_from_claims(connector_claims, service_allowed=False)


# --- websockets: connection_init --------------------------------------------------------------------


async def test_websocket_connection_init_authenticates_by_bearer_or_invitation_token(gql):
    from strawberry.exceptions import ConnectionRejectionError

    from tests.interview_helpers import invited_candidate

    app = create_app(get_settings(), embedded_worker=False)
    view = next(route.app for route in app.routes if isinstance(getattr(route, "app", None), HrGraphQL))

    recruiter = {"authorization": f"Bearer {person_token('rec-1', 'recruiter')}"}
    context = Context(actor=ANONYMOUS, connection_params=recruiter)
    await view.on_ws_connect(context)
    assert context.actor.roles == {"recruiter"}

    invited = await invited_candidate(gql)
    context = Context(actor=ANONYMOUS, connection_params={"invitationToken": invited.token})
    await view.on_ws_connect(context)
    assert context.actor.kind == "candidate" and context.actor.interview_id is not None

    for params in ({"invitationToken": "forged"}, {"authorization": "Bearer forged"}):
        with pytest.raises(ConnectionRejectionError):
            await view.on_ws_connect(Context(actor=ANONYMOUS, connection_params=params))


# --- the embedded issuer: client credentials over HTTP, end to end -----------------------------------


@pytest.fixture
async def issuer(tmp_path):
    settings = Settings(
        database_url=get_settings().resolved_database_url,
        data_dir=tmp_path,
        oauth_clients_path=tmp_path / "clients.json",
        public_base_url="https://hrgate.bank.example",
    )
    registry = ClientRegistry(settings.resolved_oauth_clients_path)
    app = create_app(settings, embedded_worker=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hrgate.test") as client:
        yield client, registry


async def test_client_credentials_token_then_graphql_with_scope_enforced(issuer):
    http, registry = issuer
    client_id, secret = registry.add("sap", ["requisitions:read", "kpi:write"])
    assert secret not in (registry.path.read_text())

    response = await http.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret))
    assert response.status_code == 200, response.text
    token = response.json()
    assert token["token_type"] == "Bearer" and set(token["scope"].split()) == {"requisitions:read", "kpi:write"}

    allowed = await _graphql(http, token["access_token"])
    assert allowed["data"] == {"requisitions": {"totalCount": 0}}
    refused = await _graphql(http, token["access_token"], {"query": "{ candidates(first: 1) { totalCount } }"})
    assert _refusal(refused)[0] == "FORBIDDEN"

    narrowed = await http.post(
        "/oauth/token", data={"grant_type": "client_credentials", "scope": "kpi:write"}, auth=(client_id, secret)
    )
    narrow_token = narrowed.json()["access_token"]
    assert _refusal(await _graphql(http, narrow_token))[0] == "FORBIDDEN"

    header = json.loads(base64.urlsafe_b64decode(token["access_token"].split(".")[0] + "=="))
    keys = (await http.get("/.well-known/jwks.json")).json()["keys"]
    assert header["alg"] == "ES256" and header["kid"] in {key["kid"] for key in keys}


async def test_token_endpoint_refuses_bad_credentials_grants_and_scopes(issuer):
    http, registry = issuer
    client_id, secret = registry.add("kingdee", ["kpi:write"])
    wrong = await http.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, "nope"))
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    unknown = await http.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=("ghost", secret))
    assert unknown.status_code == 401
    password = await http.post(
        "/oauth/token", data={"grant_type": "password", "username": "a", "password": "b"}, auth=(client_id, secret)
    )
    assert password.status_code == 400 and password.json()["error"] == "unsupported_grant_type"
    invalid = await http.post(
        "/oauth/token", data={"grant_type": "client_credentials", "scope": "root"}, auth=(client_id, secret)
    )
    assert invalid.status_code == 400 and invalid.json()["error"] == "invalid_scope"
    in_form = await http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )
    assert in_form.status_code == 200


async def test_own_tokens_are_refused_by_another_deployment(issuer, http):
    own, registry = issuer
    client_id, secret = registry.add("sap", ["requisitions:read"])
    token = (
        await own.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret))
    ).json()["access_token"]
    # the suite's default app has its own signing key and issuer: this token is not its own
    assert _refusal(await _graphql(http, token))[0] == "UNAUTHENTICATED"
