"""Public keys that may sign bearer tokens: a JWKS file, a JWKS URL (cached), and hrgate's own key.

An identity provider rotates keys by publishing a new ``kid`` before signing with it, so a token
naming a ``kid`` we do not hold makes the URL be fetched again (at most once per
``refetch_min_seconds``, so a flood of forged ``kid`` values cannot make us hammer the provider).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from joserfc.jwk import ECKey, KeySet, RSAKey

logger = logging.getLogger(__name__)

ALLOWED_KEY_TYPES = ("RSA", "EC")
JwksFetcher = Callable[[str], Awaitable[dict[str, Any]]]
PublicKey = RSAKey | ECKey


async def fetch_jwks(url: str) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=5.0) as client:
        response = await client.get(url)
        response.raise_for_status()
        return response.json()


def _public_keys(jwks: dict[str, Any]) -> dict[str | None, PublicKey]:
    """Keys by ``kid``; private parts and symmetric keys are dropped (a JWKS holds public keys only)."""
    keys: dict[str | None, PublicKey] = {}
    for entry in jwks.get("keys", []):
        if not isinstance(entry, dict) or entry.get("kty") not in ALLOWED_KEY_TYPES:
            continue
        public = {name: value for name, value in entry.items() if name not in ("d", "p", "q", "dp", "dq", "qi")}
        try:
            key = KeySet.import_key_set({"keys": [public]}).keys[0]
        except Exception:  # noqa: BLE001 - one bad key must not hide the others
            logger.warning("ignoring an unreadable key in the JWKS (kid %r)", entry.get("kid"))
            continue
        keys[entry.get("kid")] = key  # type: ignore[assignment]
    return keys


class JwksSource:
    """The keys of one issuer, looked up by ``kid``."""

    def __init__(
        self,
        *,
        local_keys: list[PublicKey] | None = None,
        path: Path | None = None,
        url: str = "",
        cache_seconds: float = 3600,
        refetch_min_seconds: float = 10,
        fetch: JwksFetcher = fetch_jwks,
    ) -> None:
        self._local = {key.kid: key for key in local_keys or []}
        self._path = path
        self._url = url
        self._cache_seconds = cache_seconds
        self._refetch_min_seconds = refetch_min_seconds
        self._fetch = fetch
        self._remote: dict[str | None, PublicKey] = {}
        self._fetched_at: float | None = None
        self._lock = asyncio.Lock()
        if path is not None:
            self._local.update(_public_keys(json.loads(Path(path).read_text())))

    def _known(self) -> dict[str | None, PublicKey]:
        return {**self._local, **self._remote}

    async def _refresh(self, *, force: bool) -> None:
        if not self._url:
            return
        async with self._lock:
            now = time.monotonic()
            age = None if self._fetched_at is None else now - self._fetched_at
            if age is not None and (age < self._refetch_min_seconds or (not force and age < self._cache_seconds)):
                return
            try:
                self._remote = _public_keys(await self._fetch(self._url))
            except (httpx.HTTPError, ValueError) as error:
                logger.warning("JWKS fetch from %s failed: %s", self._url, error)
            self._fetched_at = now

    async def key_for(self, kid: str | None) -> PublicKey | None:
        """The key named ``kid`` (or the only key, for tokens without ``kid``); None when unknown."""
        await self._refresh(force=False)
        key = self._lookup(kid)
        if key is None and kid is not None:
            await self._refresh(force=True)
            key = self._lookup(kid)
        return key

    def _lookup(self, kid: str | None) -> PublicKey | None:
        known = self._known()
        if kid is None:
            return next(iter(known.values())) if len(known) == 1 else None
        return known.get(kid)
