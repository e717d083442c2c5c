"""Persisted queries for portals: Apollo's automatic persisted queries (APQ) and an allow-list of trusted documents.

A request names its document in ``extensions.persistedQuery = {"version": 1, "sha256Hash": H}``:

- APQ (the default). ``H`` alone runs the document registered under ``H``; an unknown ``H`` answers the
  error ``PersistedQueryNotFound`` (``extensions.code = PERSISTED_QUERY_NOT_FOUND``), on which Apollo
  clients retry with the full text. ``H`` with the text registers it once ``sha256(text) == H`` holds.
  The store is a bounded in-process LRU, or Redis (``HRGATE_PERSISTED_QUERIES_URL``) so that every
  replica knows what one of them registered; a small in-process LRU sits in front of Redis either way.
- Trusted documents (``HRGATE_TRUSTED_DOCUMENTS``: a JSON manifest of id → document, as GraphQL
  codegen's ``persistedDocuments`` and Relay's ``persisted-queries.json`` write it, or Apollo's persisted
  query manifest). Only the manifest's documents run: a free-form document is refused with
  ``PERSISTED_QUERY_REQUIRED``, an id not in the manifest with ``PERSISTED_QUERY_NOT_IN_LIST``
  (not "not found", so clients do not retry with text that would be refused anyway); nothing registers.

Transport-neutral: ``PersistedQueries.document`` maps a request's ``query`` and ``extensions`` to the
text to execute, or raises ``PersistedQueryError`` with a code; the HTTP and websocket views of
``gateway.app`` turn that error into a GraphQL error, and nothing is executed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections import OrderedDict
from pathlib import Path
from typing import Any, Protocol

from gateway.settings import Settings

logger = logging.getLogger(__name__)

APQ_VERSION = 1
LOCAL_CACHE_BYTES = 8 * 1024 * 1024
"""In-process store (or the front of Redis): documents kept, counted by their UTF-8 size."""
MAX_DOCUMENT_BYTES = 256 * 1024
"""Longer documents still run when sent in full, but are not registered (one could evict every other)."""
_SHA256 = re.compile(r"[0-9a-f]{64}")


class PersistedQueryError(Exception):
    """A persisted-query request that cannot run; ``code`` goes to the error's ``extensions.code``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def not_found() -> PersistedQueryError:
    # Apollo clients match this exact message (and the code) before retrying with the full text.
    return PersistedQueryError("PERSISTED_QUERY_NOT_FOUND", "PersistedQueryNotFound")


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class DocumentStore(Protocol):
    async def get(self, key: str) -> str | None: ...

    async def put(self, key: str, document: str) -> None: ...


class MemoryStore:
    """A least-recently-used map bounded by the total size of its documents."""

    def __init__(self, max_bytes: int = LOCAL_CACHE_BYTES) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self._documents: OrderedDict[str, str] = OrderedDict()

    def __len__(self) -> int:
        return len(self._documents)

    async def get(self, key: str) -> str | None:
        document = self._documents.get(key)
        if document is not None:
            self._documents.move_to_end(key)
        return document

    async def put(self, key: str, document: str) -> None:
        size = len(document.encode("utf-8"))
        if size > self.max_bytes or key in self._documents:
            return
        self._documents[key] = document
        self.size += size
        while self.size > self.max_bytes:
            _, evicted = self._documents.popitem(last=False)
            self.size -= len(evicted.encode("utf-8"))


class RedisStore:
    """Documents shared by every replica, under ``prefix`` + hash, each expiring ``ttl_seconds`` after it was
    last registered. A Redis outage is not the client's fault: a lookup then answers "not found" (the client
    sends the full text, which runs) and a failed registration is logged."""

    def __init__(self, url: str, *, prefix: str, ttl_seconds: int) -> None:
        import redis.asyncio as redis

        self.client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.prefix, self.ttl_seconds = prefix, ttl_seconds

    async def get(self, key: str) -> str | None:
        try:
            value = await self.client.get(self.prefix + key)
        except Exception:  # noqa: BLE001 - any Redis failure degrades to "send the full text"
            logger.warning("persisted-query store unreachable; answering not found", exc_info=True)
            return None
        if value is None:
            return None
        document = value.decode("utf-8")
        return document if sha256_hex(document) == key else None  # a stored value that does not match is ignored

    async def put(self, key: str, document: str) -> None:
        try:
            await self.client.set(self.prefix + key, document.encode("utf-8"), ex=self.ttl_seconds)
        except Exception:  # noqa: BLE001
            logger.warning("persisted-query store unreachable; document not registered", exc_info=True)


class TieredStore:
    """An in-process LRU in front of a shared store: a known document costs no round trip. Entries never go
    stale, since a hash names exactly one text."""

    def __init__(self, local: MemoryStore, shared: DocumentStore) -> None:
        self.local, self.shared = local, shared

    async def get(self, key: str) -> str | None:
        document = await self.local.get(key)
        if document is None:
            document = await self.shared.get(key)
            if document is not None:
                await self.local.put(key, document)
        return document

    async def put(self, key: str, document: str) -> None:
        await self.local.put(key, document)
        await self.shared.put(key, document)


class TrustedDocumentsError(Exception):
    """The trusted-documents manifest cannot be used (missing, not JSON, or not id → document)."""


def load_trusted_documents(path: Path) -> dict[str, str]:
    """Read a manifest: ``{"<id>": "query …"}`` (GraphQL codegen ``persistedDocuments``, Relay
    ``persisted-queries.json``) or Apollo's ``{"format": "apollo-persisted-query-manifest", "operations":
    [{"id", "body"}, …]}``. Ids are whatever the build tool hashed with; clients send them as ``sha256Hash``."""
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise TrustedDocumentsError(f"cannot read trusted documents from {path}: {error}") from None
    if isinstance(raw, dict) and raw.get("format") == "apollo-persisted-query-manifest":
        operations = raw.get("operations")
        if not isinstance(operations, list) or not all(isinstance(item, dict) for item in operations):
            raise TrustedDocumentsError(f"{path}: 'operations' must be a list of {{id, body}} objects")
        raw = {item.get("id"): item.get("body") for item in operations}
    if not isinstance(raw, dict) or not raw:
        raise TrustedDocumentsError(f"{path}: expected a non-empty JSON object of document id → document text")
    documents: dict[str, str] = {}
    for key, document in raw.items():
        if not isinstance(key, str) or not key or not isinstance(document, str) or not document.strip():
            raise TrustedDocumentsError(f"{path}: entry {key!r} is not a document id with a document text")
        documents[key.lower() if _SHA256.fullmatch(key.lower()) else key] = document
    return documents


def _persisted_hash(extensions: Any) -> str | None:
    """The hash the request names, if any; malformed ``persistedQuery`` objects are refused, not ignored."""
    if not isinstance(extensions, dict) or extensions.get("persistedQuery") is None:
        return None
    persisted = extensions["persistedQuery"]
    if not isinstance(persisted, dict) or persisted.get("version") != APQ_VERSION:
        raise PersistedQueryError(
            "PERSISTED_QUERY_INVALID", 'extensions.persistedQuery must be {"version": 1, "sha256Hash": "<hex>"}'
        )
    hash_ = persisted.get("sha256Hash")
    if not isinstance(hash_, str) or not hash_:
        raise PersistedQueryError("PERSISTED_QUERY_INVALID", "extensions.persistedQuery.sha256Hash must be a string")
    return hash_


class PersistedQueries:
    """What text a request runs: its own, a registered one (APQ), or a trusted one (allow-list)."""

    def __init__(self, store: DocumentStore, trusted: dict[str, str] | None = None) -> None:
        self.store = store
        self.trusted = trusted
        self._trusted_texts = frozenset(trusted.values()) if trusted is not None else frozenset()

    @classmethod
    def from_settings(cls, settings: Settings) -> PersistedQueries:
        local = MemoryStore(settings.persisted_queries_cache_bytes)
        store: DocumentStore = local
        if settings.persisted_queries_url:
            shared = RedisStore(
                settings.persisted_queries_url,
                prefix=settings.persisted_queries_key_prefix,
                ttl_seconds=settings.persisted_queries_ttl_seconds,
            )
            store = TieredStore(local, shared)
        trusted = load_trusted_documents(settings.trusted_documents) if settings.trusted_documents else None
        return cls(store, trusted)

    async def document(self, query: str | None, extensions: Any) -> str | None:
        """The text to execute (``None`` only when the request has neither text nor hash)."""
        hash_ = _persisted_hash(extensions)
        if self.trusted is not None:
            return self._trusted(query, hash_)
        if hash_ is None:
            return query
        hash_ = hash_.lower()
        if not _SHA256.fullmatch(hash_):
            raise PersistedQueryError("PERSISTED_QUERY_INVALID", "sha256Hash must be 64 hexadecimal digits")
        if query is None:
            document = await self.store.get(hash_)
            if document is None:
                raise not_found()
            return document
        if sha256_hex(query) != hash_:
            raise PersistedQueryError(
                "PERSISTED_QUERY_HASH_MISMATCH", "sha256Hash is not the SHA-256 of the query text; nothing was run"
            )
        if len(query) <= MAX_DOCUMENT_BYTES and len(query.encode("utf-8")) <= MAX_DOCUMENT_BYTES:
            await self.store.put(hash_, query)
        return query

    def _trusted(self, query: str | None, hash_: str | None) -> str:
        assert self.trusted is not None
        if hash_ is None:
            if query is not None and query in self._trusted_texts:
                return query  # a trusted document sent in full is still a trusted document
            raise PersistedQueryError(
                "PERSISTED_QUERY_REQUIRED",
                "this gateway runs trusted documents only: send extensions.persistedQuery.sha256Hash "
                "of a document in its manifest",
            )
        document = self.trusted.get(hash_.lower() if _SHA256.fullmatch(hash_.lower()) else hash_)
        if document is None:
            raise PersistedQueryError(
                "PERSISTED_QUERY_NOT_IN_LIST", "no trusted document has this id; only trusted documents run here"
            )
        if query is not None and query != document:
            raise PersistedQueryError(
                "PERSISTED_QUERY_HASH_MISMATCH",
                "the query text is not the trusted document with this id; nothing was run",
            )
        return document
