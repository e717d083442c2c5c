"""Who is calling: a bearer JWT (a person's OIDC token or a connector's client-credentials token) → an Actor.

Only RS256 and ES256 are accepted (so ``alg: none`` and HS256 "signed" with a public key are refused
before any key is used); the signature must verify with a key of the token's issuer, and ``iss``,
``aud`` and ``exp`` are required and checked. A token with a ``roles`` claim is a person; one with
only a ``scope`` is a service when hrgate's own token endpoint issued it (an identity provider's
token without ``roles`` is refused unless ``HRGATE_IDP_SERVICE_TOKENS`` says the provider issues
connectors' tokens too). Candidates never carry a bearer token: they authenticate by their
invitation token, checked by the operations that take one.

A token is verified once per request (``gateway.rate_limit`` does it and leaves the result in the
ASGI scope) and verified tokens are remembered for a few seconds, so a client sending the same
token again costs no signature check.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import time
from collections import OrderedDict
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwt import JWTClaimsRegistry

from gateway.jwks import JwksSource, PublicKey
from gateway.settings import Settings
from resolvers.services.audit import ANONYMOUS, Actor, person, service

ALGORITHMS = ("RS256", "ES256")
PERSON_ROLES = frozenset({"hr_admin", "recruiter", "hiring_manager", "auditor"})
CLOCK_LEEWAY_SECONDS = 30
MAX_TOKEN_HEADER_CHARS = 2048
"""A JOSE header holds ``alg``, ``kid`` and ``typ``: a longer one is hostile (nested JSON, padding)."""
MAX_TOKEN_CHARS = 12 * 1024
VERIFIED_CACHE_SECONDS = 30.0
VERIFIED_CACHE_SIZE = 10_000


class AuthenticationError(Exception):
    """The bearer token is not acceptable; the message says why (never echoing the token)."""


@dataclass(frozen=True)
class VerifiedPrincipal:
    """Who a verified token speaks for, and until when (epoch seconds, the clock leeway included)."""

    actor: Actor
    usable_until: float | None = None

    def expired(self, now: float | None = None) -> bool:
        return self.usable_until is not None and (now if now is not None else time.time()) > self.usable_until


ANONYMOUS_PRINCIPAL = VerifiedPrincipal(ANONYMOUS)


def _b64_json(segment: str) -> dict[str, Any]:
    padded = segment + "=" * (-len(segment) % 4)
    try:
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except RecursionError:  # deeply nested arrays or objects: hostile, not a JOSE header or claim set
        raise ValueError("nested too deeply") from None
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    return value


def _unverified_parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and claims, only to choose the issuer's keys; nothing is trusted before verification."""
    parts = token.split(".")
    if len(parts) != 3 or len(token) > MAX_TOKEN_CHARS or len(parts[0]) > MAX_TOKEN_HEADER_CHARS:
        raise AuthenticationError("malformed token")
    try:
        return _b64_json(parts[0]), _b64_json(parts[1])
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise AuthenticationError("malformed token") from None


def _as_set(value: Any) -> frozenset[str]:
    if isinstance(value, str):
        return frozenset(value.split())
    if isinstance(value, list | tuple):
        return frozenset(str(item) for item in value)
    return frozenset()


@dataclass
class TokenVerifier:
    """Checks bearer tokens against the keys of each trusted issuer.

    ``own_issuer`` and ``own_key_ids`` name hrgate's own token endpoint: its tokens are connectors'
    (services). ``idp_service_tokens`` lets another issuer's tokens without ``roles`` be services too.
    """

    audience: str
    issuers: dict[str, JwksSource] = field(default_factory=dict)
    own_issuer: str | None = None
    own_key_ids: frozenset[str] = frozenset()
    idp_service_tokens: bool = False
    _verified: OrderedDict[str, tuple[float, VerifiedPrincipal]] = field(default_factory=OrderedDict, repr=False)

    async def verify(self, token: str) -> dict[str, Any]:
        header, unverified_claims = _unverified_parts(token)
        if header.get("alg") not in ALGORITHMS:
            raise AuthenticationError(f"algorithm {header.get('alg')!r} is not accepted (RS256 or ES256 only)")
        issuer = unverified_claims.get("iss")
        source = self.issuers.get(issuer) if isinstance(issuer, str) else None
        if source is None:
            raise AuthenticationError("untrusted issuer")
        kid = header.get("kid")
        key: PublicKey | None = await source.key_for(kid if isinstance(kid, str) else None)
        if key is None:
            raise AuthenticationError("unknown signing key")
        try:
            decoded = jwt.decode(token, key, algorithms=list(ALGORITHMS))
            JWTClaimsRegistry(
                leeway=CLOCK_LEEWAY_SECONDS,
                iss={"essential": True, "value": issuer},
                aud={"essential": True, "value": self.audience},
                exp={"essential": True},
                sub={"essential": True},
            ).validate(decoded.claims)
        except JoseError as error:
            raise AuthenticationError(_reason(error)) from None
        except (ValueError, TypeError):
            raise AuthenticationError("malformed token") from None
        return decoded.claims

    async def authenticate(self, authorization: str | None) -> Actor:
        """The Actor behind an ``Authorization`` header; ANONYMOUS without one."""
        return (await self.principal(authorization)).actor

    async def principal(self, authorization: str | None) -> VerifiedPrincipal:
        """The verified principal behind an ``Authorization`` header (remembered briefly, by the token's hash)."""
        if not authorization:
            return ANONYMOUS_PRINCIPAL
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise AuthenticationError("expected 'Authorization: Bearer <token>'")
        if len(token) > MAX_TOKEN_CHARS:
            raise AuthenticationError("malformed token")
        digest = hashlib.sha256(token.encode()).hexdigest()
        now_monotonic, now = time.monotonic(), time.time()
        cached = self._verified.get(digest)
        if cached is not None and cached[0] > now_monotonic and not cached[1].expired(now):
            return cached[1]
        claims = await self.verify(token)
        own = claims.get("iss") == self.own_issuer and _kid(token) in self.own_key_ids
        actor = actor_from_claims(claims, service_allowed=own or self.idp_service_tokens)
        expires = claims.get("exp")
        verified = VerifiedPrincipal(
            actor, float(expires) + CLOCK_LEEWAY_SECONDS if isinstance(expires, int | float) else None
        )
        self._verified[digest] = (now_monotonic + VERIFIED_CACHE_SECONDS, verified)
        while len(self._verified) > VERIFIED_CACHE_SIZE:
            self._verified.popitem(last=False)
        return verified


SCOPE_KEY = "hrgate.principal"
"""Where the verified principal (or the reason its token was refused) is kept in the ASGI scope."""


async def scope_principal(scope: MutableMapping[str, Any], verifier: TokenVerifier) -> VerifiedPrincipal:
    """The request's principal from its ``Authorization`` header, verified once per request.

    Raises ``AuthenticationError`` (again, from the scope) when the token was refused.
    """
    known = scope.get(SCOPE_KEY)
    if known is None:
        authorization = next((value for name, value in scope.get("headers") or [] if name == b"authorization"), None)
        try:
            known = await verifier.principal(authorization.decode("latin-1") if authorization else None)
        except AuthenticationError as error:
            known = error
        scope[SCOPE_KEY] = known
    if isinstance(known, AuthenticationError):
        raise known
    return known


def _kid(token: str) -> str | None:
    kid = _unverified_parts(token)[0].get("kid")
    return kid if isinstance(kid, str) else None


def _reason(error: JoseError) -> str:
    name = type(error).__name__
    return {
        "ExpiredTokenError": "token expired",
        "BadSignatureError": "bad signature",
        "InvalidClaimError": f"invalid claim: {getattr(error, 'claim', '')}".strip(),
        "MissingClaimError": f"missing claim: {getattr(error, 'claim', '')}".strip(),
    }.get(name, f"invalid token ({error.error})")


def actor_from_claims(claims: dict[str, Any], *, service_allowed: bool) -> Actor:
    """A person when the token carries ``roles``; otherwise, where ``service_allowed``, a service with its ``scope``.

    A person's token that merely lacks ``roles`` must not become a connector holding whatever
    ``scope`` the identity provider happened to put in it, so that is refused unless allowed.
    """
    subject = str(claims["sub"])
    if "roles" in claims:
        roles = _as_set(claims["roles"]) & PERSON_ROLES
        name = claims.get("email") or claims.get("preferred_username") or subject
        return person(subject, roles, name=str(name)[:200])
    if not service_allowed:
        raise AuthenticationError(
            "token has no roles claim (connectors' tokens come from /oauth/token; see HRGATE_IDP_SERVICE_TOKENS)"
        )
    return service(str(claims.get("client_id") or subject), _as_set(claims.get("scope") or claims.get("scp")))


def build_verifier(settings: Settings, own_keys: list[PublicKey]) -> TokenVerifier:
    """hrgate's own issuer (its token endpoint) plus, when configured, an external identity provider."""
    own_issuer = settings.public_base_url.rstrip("/")
    issuers = {own_issuer: JwksSource(local_keys=own_keys)}
    if settings.jwks_path is not None or settings.jwks_url:
        external = JwksSource(
            local_keys=own_keys if settings.resolved_jwt_issuer == own_issuer else None,
            path=settings.jwks_path,
            url=settings.jwks_url,
            cache_seconds=settings.jwks_cache_seconds,
            refetch_min_seconds=settings.jwks_refetch_min_seconds,
        )
        issuers[settings.resolved_jwt_issuer] = external
    return TokenVerifier(
        audience=settings.jwt_audience,
        issuers=issuers,
        own_issuer=own_issuer,
        own_key_ids=frozenset(key.kid for key in own_keys if key.kid),
        idp_service_tokens=settings.idp_service_tokens,
    )
