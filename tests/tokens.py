"""A test identity provider: its RSA key, its JWKS file, and bearer tokens for people and connectors.

Keys are generated here (no network). ``conftest`` points ``HRGATE_JWKS_PATH`` at the JWKS file
and ``HRGATE_JWT_ISSUER`` at ``IDP_ISSUER`` before the settings are read.
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

IDP_ISSUER = "https://idp.bank.example"
AUDIENCE = "hrgate"
IDP_KEY = RSAKey.generate_key(2048, auto_kid=True)


def write_idp_jwks(path: Path, *keys: RSAKey | ECKey) -> Path:
    path.write_text(json.dumps({"keys": [key.as_dict(private=False) for key in keys or (IDP_KEY,)]}))
    return path


def sign(claims: dict[str, Any], key: RSAKey | ECKey = IDP_KEY, *, alg: str = "RS256", kid: str | None = None) -> str:
    header = {"alg": alg, "kid": kid if kid is not None else key.kid}
    return jwt.encode(header, claims, key, algorithms=[alg])


def claims(subject: str, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    values = {"iss": IDP_ISSUER, "aud": AUDIENCE, "sub": subject, "iat": now, "exp": now + 600, "jti": uuid.uuid4().hex}
    values.update(overrides)
    return {key: value for key, value in values.items() if value is not None}


def person_token(subject: str, *roles: str, **overrides: Any) -> str:
    return sign(claims(subject, roles=list(roles), **overrides))


def service_token(client_id: str, *scopes: str, **overrides: Any) -> str:
    return sign(claims(client_id, client_id=client_id, scope=" ".join(scopes), **overrides))


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def hr_admin_headers() -> dict[str, str]:
    return bearer(person_token("hr-admin-1", "hr_admin", email="hr.admin@bank.example"))
