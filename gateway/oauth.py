"""The embedded token issuer: ERP connectors trade client credentials for a short-lived JWT.

``POST /oauth/token`` is authlib's ``AuthorizationServer`` with the client-credentials grant
(RFC 6749 §4.4; client secret by HTTP Basic or in the form). Tokens are ES256 JWTs signed
with a key of hrgate's own (generated under ``HRGATE_DATA_DIR`` on first start unless one is
configured); its public half is served at ``/.well-known/jwks.json``. Clients are registered
in a JSON file (``hrgate client-add``): only a salted hash of each secret is stored.

Guessing secrets is slowed by backoff: after a few refused credentials for one client id (or
more from one address) that client id (or address) is locked for 1 s, doubling with every further
failure up to ``HRGATE_OAUTH_LOCKOUT_MAX_SECONDS``; while locked, even the right secret is
answered 429 with ``Retry-After``. The counts live in ``gateway.counters`` (Redis in production).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import json
import math
import os
import re
import secrets
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from authlib.oauth2.rfc6749 import AuthorizationServer, ClientMixin, OAuth2Request
from authlib.oauth2.rfc6749.grants import ClientCredentialsGrant
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oauth2.rfc6749.util import scope_to_list
from joserfc import jwt
from joserfc.jwk import ECKey
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gateway.counters import LimitCounters, MemoryCounters
from gateway.settings import Settings

SIGNING_ALGORITHM = "ES256"
SCOPES = (
    "requisitions:read",
    "requisitions:write",
    "candidates:read",
    "candidates:write",
    "reports:read",
    "employees:read",
    "employees:write",
    "kpi:write",
    "competency:write",
    "learning:write",
)
"""Every scope a connector may be granted (see README, "Who may see what")."""
_HASH_ITERATIONS = 100_000
TOKEN_FORM_MAX_BYTES = 4096
"""A client-credentials form is a few short fields; anything larger is refused (413) before parsing."""
FAILURES_FORGOTTEN_AFTER_SECONDS = 3600.0
_CLIENT_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")


# --- the signing key ---------------------------------------------------------------------------------


def load_or_create_signing_key(path: Path) -> ECKey:
    """The issuer's private key; a new P-256 key is written (mode 0600) when the file does not exist."""
    if path.exists():
        key = ECKey.import_key(json.loads(path.read_text()))
        if not key.kid:
            key.ensure_kid()
        return key
    key = ECKey.generate_key("P-256", auto_kid=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        json.dump(key.as_dict(private=True), file)
    return key


def public_key(key: ECKey) -> ECKey:
    return ECKey.import_key(key.as_dict(private=False))


def public_jwks(key: ECKey) -> dict[str, Any]:
    return {"keys": [{**key.as_dict(private=False), "alg": SIGNING_ALGORITHM, "use": "sig"}]}


# --- registered clients ------------------------------------------------------------------------------


def hash_secret(secret: str, *, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", secret.encode(), salt, _HASH_ITERATIONS)
    return f"pbkdf2_sha256${_HASH_ITERATIONS}${salt.hex()}${digest.hex()}"


def verify_secret(secret: str, stored: str) -> bool:
    try:
        scheme, iterations, salt, expected = stored.split("$")
        if scheme != "pbkdf2_sha256":
            return False
        digest = hashlib.pbkdf2_hmac("sha256", secret.encode(), bytes.fromhex(salt), int(iterations))
    except ValueError:
        return False
    return hmac.compare_digest(digest.hex(), expected)


@dataclass(frozen=True)
class OAuthClient(ClientMixin):
    client_id: str
    name: str
    secret_hash: str
    scopes: tuple[str, ...]

    def get_client_id(self) -> str:
        return self.client_id

    def get_allowed_scope(self, scope: str | None) -> str:
        """The requested scopes this client holds (all of its scopes when none are requested)."""
        if not scope:
            return " ".join(self.scopes)
        return " ".join(item for item in scope_to_list(scope) if item in self.scopes)

    def check_client_secret(self, client_secret: str) -> bool:
        return verify_secret(client_secret, self.secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return endpoint == "token" and method in ("client_secret_basic", "client_secret_post")

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "client_credentials"


class ClientRegistry:
    """The JSON file of registered clients: ``{"clients": [{client_id, name, secret_hash, scopes}]}``."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _read(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        return list(json.loads(self.path.read_text()).get("clients", []))

    def find(self, client_id: str) -> OAuthClient | None:
        for entry in self._read():
            if entry.get("client_id") == client_id:
                return OAuthClient(
                    client_id=entry["client_id"],
                    name=entry.get("name", entry["client_id"]),
                    secret_hash=entry["secret_hash"],
                    scopes=tuple(entry.get("scopes", [])),
                )
        return None

    def add(self, name: str, scopes: list[str]) -> tuple[str, str]:
        """Register a client; returns (client_id, secret). The secret is not stored and cannot be shown again."""
        if not _CLIENT_NAME.fullmatch(name):
            raise ValueError("a client name is 1–64 letters, digits, '.', '_' or '-'")
        if not scopes:
            raise ValueError("give at least one scope")
        unknown = sorted(set(scopes) - set(SCOPES))
        if unknown:
            raise ValueError(f"unknown scope(s): {', '.join(unknown)}; known: {', '.join(SCOPES)}")
        client_id = f"{name}-{secrets.token_hex(4)}"
        secret = secrets.token_urlsafe(32)
        clients = self._read()
        clients.append(
            {"client_id": client_id, "name": name, "secret_hash": hash_secret(secret), "scopes": sorted(set(scopes))}
        )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as file:
            json.dump({"clients": clients}, file, indent=2)
        temporary.replace(self.path)
        return client_id, secret


# --- the token endpoint ------------------------------------------------------------------------------


class _FormRequest(OAuth2Request):
    """authlib's request view of a Starlette request whose form has already been read."""

    def __init__(self, method: str, uri: str, headers: Mapping[str, str], form: dict[str, str]) -> None:
        super().__init__(method=method, uri=uri, headers=headers)
        self._form = form
        self.payload = BasicOAuth2Payload(form)

    @property
    def args(self) -> dict[str, str]:
        return {}

    @property
    def form(self) -> dict[str, str]:
        return self._form


def _claimed_client_id(authorization: str | None, form: dict[str, str]) -> str | None:
    """The client id a request claims (HTTP Basic or form), before anything about it is verified."""
    scheme, _, credentials = (authorization or "").strip().partition(" ")
    if scheme.lower() == "basic" and credentials:
        try:
            decoded = base64.b64decode(credentials.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None
        client_id = unquote(decoded.partition(":")[0])
        return client_id[:256] or None
    client_id = form.get("client_id")
    return client_id[:256] if client_id else None


class _ClientCredentialsGrant(ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]


class TokenServer(AuthorizationServer):
    """Client-credentials only; issues ES256 JWT access tokens for hrgate's own audience."""

    def __init__(self, settings: Settings, signing_key: ECKey, counters: LimitCounters | None = None) -> None:
        super().__init__(scopes_supported=list(SCOPES))
        self.counters = counters or MemoryCounters()
        self.client_failures_before_lockout = settings.oauth_client_failures_before_lockout
        self.address_failures_before_lockout = settings.oauth_address_failures_before_lockout
        self.lockout_max_seconds = settings.oauth_lockout_max_seconds
        self.registry = ClientRegistry(settings.resolved_oauth_clients_path)
        self.signing_key = signing_key
        self.issuer = settings.public_base_url.rstrip("/")
        self.audience = settings.jwt_audience
        self.ttl_seconds = settings.oauth_token_ttl_seconds
        self.register_grant(_ClientCredentialsGrant)
        self.register_token_generator("default", self._generate_token)

    def query_client(self, client_id: str) -> OAuthClient | None:
        return self.registry.find(client_id)

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        """Nothing to store: the token is a self-contained, short-lived JWT."""

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        """No signal bus in hrgate."""

    def create_oauth2_request(self, request: OAuth2Request) -> OAuth2Request:
        return request

    def handle_response(self, status: int, body: Any, headers: list[tuple[str, str]]) -> Response:
        return JSONResponse(body, status_code=status, headers=dict(headers))

    def _generate_token(
        self, grant_type: str, client: OAuthClient, user: Any = None, scope: str | None = None, **_: Any
    ) -> dict[str, Any]:
        granted = client.get_allowed_scope(scope)
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": client.client_id,
            "client_id": client.client_id,
            "scope": granted,
            "iat": now,
            "exp": now + self.ttl_seconds,
            "jti": uuid.uuid4().hex,
        }
        header = {"alg": SIGNING_ALGORITHM, "kid": self.signing_key.kid, "typ": "at+jwt"}
        return {
            "token_type": "Bearer",
            "access_token": jwt.encode(header, claims, self.signing_key, algorithms=[SIGNING_ALGORITHM]),
            "expires_in": self.ttl_seconds,
            "scope": granted,
        }

    async def token_endpoint(self, request: Request) -> Response:
        form = {key: value for key, value in (await request.form()).items() if isinstance(value, str)}
        client_id = _claimed_client_id(request.headers.get("authorization"), form)
        lock_keys = [f"oauth-lock:address:{request.client.host if request.client else 'unknown'}"]
        if client_id:
            lock_keys.append(f"oauth-lock:client:{hashlib.sha256(client_id.encode()).hexdigest()}")
        wait = max([await self.counters.locked_for(key) for key in lock_keys])
        if wait > 0:
            retry_after = max(1, math.ceil(wait))
            return JSONResponse(
                {
                    "error": "too_many_attempts",
                    "error_description": f"too many refused client credentials; retry after {retry_after} s",
                },
                status_code=429,
                headers={"Retry-After": str(retry_after), "Cache-Control": "no-store"},
            )
        # authlib refuses plain-http URIs; TLS is terminated in front of the gateway, so the scheme here says nothing.
        uri = str(request.url.replace(scheme="https"))
        oauth_request = _FormRequest(request.method, uri, request.headers, form)
        # Checking the secret (PBKDF2) and reading the client file are blocking: off the event loop.
        response = await asyncio.to_thread(self.create_token_response, oauth_request)
        if response.status_code == 401:  # invalid_client: unknown client id or wrong secret
            await self._count_failure(lock_keys[0], self.address_failures_before_lockout)
            if client_id:
                await self._count_failure(lock_keys[1], self.client_failures_before_lockout)
        elif response.status_code == 200 and client_id:
            await self.counters.reset("failures:" + lock_keys[1])
        return response

    async def _count_failure(self, lock_key: str, free_failures: int) -> None:
        """From the ``free_failures``-th failure on, lock for 1 s, doubling with each further one."""
        failures = await self.counters.add_failure("failures:" + lock_key, FAILURES_FORGOTTEN_AFTER_SECONDS)
        if failures >= free_failures:
            exponent = min(failures - free_failures, 30)
            await self.counters.lock(lock_key, min(self.lockout_max_seconds, 2**exponent))

    async def jwks_endpoint(self, request: Request) -> Response:
        return JSONResponse(public_jwks(self.signing_key), headers={"cache-control": "public, max-age=300"})
