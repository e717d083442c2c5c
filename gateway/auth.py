"""Who is calling: a bearer JWT (a person's OIDC token or a connector's client-credentials token) → an Actor.

Only RS256 and ES256 are accepted (so ``alg: none`` and HS256 "signed" with a public key are refused
before any key is used); the signature must verify with a key of the token's issuer, and ``iss``,
``aud`` and ``exp`` are required and checked. A token with a ``roles`` claim is a person; one with
only a ``scope`` is a service. Candidates never carry a bearer token: they authenticate by their
invitation token, checked by the operations that take one.
"""

from __future__ import annotations

import base64
import binascii
import json
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


class AuthenticationError(Exception):
    """The bearer token is not acceptable; the message says why (never echoing the token)."""


def _b64_json(segment: str) -> dict[str, Any]:
    padded = segment + "=" * (-len(segment) % 4)
    value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    return value


def _unverified_parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and claims, only to choose the issuer's keys; nothing is trusted before verification."""
    parts = token.split(".")
    if len(parts) != 3:
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
    """Checks bearer tokens against the keys of each trusted issuer."""

    audience: str
    issuers: dict[str, JwksSource] = field(default_factory=dict)

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
        if not authorization:
            return ANONYMOUS
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthenticationError("expected 'Authorization: Bearer <token>'")
        return actor_from_claims(await self.verify(token.strip()))


def _reason(error: JoseError) -> str:
    name = type(error).__name__
    return {
        "ExpiredTokenError": "token expired",
        "BadSignatureError": "bad signature",
        "InvalidClaimError": f"invalid claim: {getattr(error, 'claim', '')}".strip(),
        "MissingClaimError": f"missing claim: {getattr(error, 'claim', '')}".strip(),
    }.get(name, f"invalid token ({error.error})")


def actor_from_claims(claims: dict[str, Any]) -> Actor:
    """A person when the token carries ``roles``; otherwise a service with the token's ``scope``."""
    subject = str(claims["sub"])
    if "roles" in claims:
        roles = _as_set(claims["roles"]) & PERSON_ROLES
        name = claims.get("email") or claims.get("preferred_username") or subject
        return person(subject, roles, name=str(name)[:200])
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
    return TokenVerifier(audience=settings.jwt_audience, issuers=issuers)
