"""Where answer recordings live: one interface, two backends chosen by ``HRGATE_MEDIA_URL``.

- empty (default): a local folder (``HRGATE_MEDIA_DIR``, default ``<data_dir>/media``), URIs ``file:<key>``;
- ``s3://bucket/prefix``: S3-compatible object storage (``gateway.storage_s3``), URIs ``s3://bucket/<key>``.

An upload is validated before any backend sees a byte (``save_upload``): it streams to a temporary
``.upload-*`` file in the spool folder, size-capped and sniffed on the way (magic bytes), and is probed
by the decoder once complete (the container must open with an audio or video stream). Only a
recording that passed is handed to the backend, which stores it under a new key (S3: a multipart
upload read from the spool file part by part; local: a rename), so a refused or failed upload
leaves nothing behind and never replaces a good one. Nobody outside the store asks for a local path:
readers take ``open_read``, which yields a local file for as long as they need it (S3: a temporary copy).

Failures of the store itself are typed: ``StorageFull`` (no space left, HTTP 507) and
``StorageUnavailable`` (unreachable endpoint, missing bucket, refused credentials: HTTP 503); a
recording that is not there is ``MediaMissing``.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import shutil
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from functools import lru_cache, partial
from pathlib import Path
from typing import Protocol

import anyio

from gateway.media_types import EXTENSIONS, SNIFF_BYTES, probe_container, sniff_media_type
from gateway.settings import Settings, get_settings

logger = logging.getLogger(__name__)

PARTIAL_PREFIX = ".upload-"
"""Temporary files of uploads in progress (spool folder, and a local store's folders while a copy lands)."""


class UploadRejected(Exception):
    """The upload was refused; nothing was stored."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason  # "too_large" | "unsupported_media" | "empty"
        self.message = message


class StorageError(Exception):
    """The media store could not do what was asked; ``message`` is safe to show a candidate."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class StorageFull(StorageError):
    """No space left (local disk, spool disk, or the object store's quota): nothing was stored."""


class StorageUnavailable(StorageError):
    """The store cannot be reached or refuses us (endpoint down, bucket missing, credentials refused)."""


class MediaMissing(StorageError):
    """The URI names no stored recording (deleted, or written by another backend)."""


STORAGE_FULL_MESSAGE = "the media store is full (no space left)"
STORAGE_UNAVAILABLE_MESSAGE = "the media store is unavailable"
"""Short and without addresses (a candidate may read them); the log names the store and the cause."""


def is_disk_full(error: OSError) -> bool:
    return error.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


@dataclass(frozen=True)
class StoredMedia:
    uri: str
    content_type: str
    size_bytes: int
    sha256: str


@dataclass(frozen=True)
class ValidatedUpload:
    """A complete recording that passed the size cap, the magic bytes and the decoder probe."""

    path: Path
    content_type: str
    size_bytes: int
    sha256: str


class MediaStore(Protocol):
    async def write(self, key: str, upload: ValidatedUpload) -> str:
        """Store a validated recording under ``key`` (relative, e.g. ``interviews/3/7/<uuid>.wav``); its URI."""
        ...

    def open_read(self, uri: str) -> AbstractAsyncContextManager[Path]:
        """A local file holding the recording, for the duration of the ``async with`` (``MediaMissing``)."""
        ...

    async def delete(self, uri: str) -> None: ...
    async def delete_folder(self, prefix: str) -> None:
        """Everything under a key folder such as ``interviews/12``, unfinished uploads included."""
        ...

    async def exists(self, uri: str) -> bool: ...
    async def sweep_partials(self, older_than_seconds: float) -> int:
        """Remove unfinished uploads older than this (crashed or killed writers); how many."""
        ...


# --- validation, before any backend ---------------------------------------------------------------

_IN_FLIGHT: set[Path] = set()
"""This process's spool files of uploads in progress: removed on shutdown (``remove_in_flight_partials``)."""


def spool_dir(settings: Settings | None = None) -> Path:
    settings = settings or get_settings()
    return settings.resolved_upload_spool_dir


@asynccontextmanager
async def validated_upload(chunks: AsyncIterator[bytes], *, max_bytes: int) -> AsyncIterator[ValidatedUpload]:
    """Stream ``chunks`` to a spool file and check them; the file is removed when the block ends.

    Raises ``UploadRejected`` (too large, empty, not a recording) or ``StorageFull`` (the spool disk).
    """
    folder = spool_dir()
    temporary = folder / f"{PARTIAL_PREFIX}{uuid.uuid4().hex}"
    _IN_FLIGHT.add(temporary)
    digest = hashlib.sha256()
    size = 0
    head = b""
    content_type: str | None = None
    try:
        try:
            await anyio.Path(folder).mkdir(parents=True, exist_ok=True)
            async with await anyio.open_file(temporary, "wb") as target:
                async for chunk in chunks:
                    if not chunk:
                        continue
                    size += len(chunk)
                    if size > max_bytes:
                        raise UploadRejected("too_large", f"the recording is larger than {max_bytes} bytes")
                    if content_type is None:
                        head += chunk[: SNIFF_BYTES - len(head)]
                        if len(head) >= SNIFF_BYTES:
                            content_type = _accepted_type(head)
                    digest.update(chunk)
                    await target.write(chunk)
        except OSError as error:
            if is_disk_full(error):
                logger.error("upload refused: the spool folder %s is full (%s)", folder, error)
                raise StorageFull(STORAGE_FULL_MESSAGE) from error
            logger.error("upload refused: cannot write to the spool folder %s (%s)", folder, error)
            raise StorageUnavailable(STORAGE_UNAVAILABLE_MESSAGE) from error
        if size == 0:
            raise UploadRejected("empty", "the recording is empty")
        if content_type is None:
            content_type = _accepted_type(head)
        if not await anyio.to_thread.run_sync(probe_container, temporary, content_type):
            raise UploadRejected(
                "unsupported_media",
                f"the recording is not a readable {EXTENSIONS[content_type].upper()} file "
                "with an audio or video track (checked by its content)",
            )
        yield ValidatedUpload(temporary, content_type, size, digest.hexdigest())
    finally:
        _IN_FLIGHT.discard(temporary)
        await anyio.Path(temporary).unlink(missing_ok=True)


async def save_upload(
    store: MediaStore, key_prefix: str, chunks: AsyncIterator[bytes], *, max_bytes: int
) -> StoredMedia:
    """Validate an upload, then store it under ``<key_prefix>/<new uuid>.<ext>``."""
    async with validated_upload(chunks, max_bytes=max_bytes) as upload:
        key = f"{key_prefix.strip('/')}/{uuid.uuid4().hex}.{EXTENSIONS[upload.content_type]}"
        uri = await store.write(key, upload)
    return StoredMedia(uri=uri, content_type=upload.content_type, size_bytes=upload.size_bytes, sha256=upload.sha256)


def _accepted_type(head: bytes) -> str:
    content_type = sniff_media_type(head)
    if content_type is None:
        raise UploadRejected(
            "unsupported_media", "the recording is not a WebM, MP4, M4A or WAV file (checked by its content)"
        )
    return content_type


def remove_in_flight_partials() -> int:
    """Delete this process's unfinished spool files (gateway shutdown: a stopped upload leaves nothing)."""
    removed = 0
    for path in list(_IN_FLIGHT):
        try:
            path.unlink()
            removed += 1
        except FileNotFoundError:
            pass
        _IN_FLIGHT.discard(path)
    if removed:
        logger.info("removed %d unfinished upload(s) on shutdown", removed)
    return removed


def sweep_folder_partials(folder: Path, older_than_seconds: float) -> int:
    """Delete ``.upload-*`` files under ``folder`` not written to for ``older_than_seconds`` (blocking)."""
    if not folder.is_dir():
        return 0
    cutoff = time.time() - older_than_seconds
    removed = 0
    for path in folder.rglob(f"{PARTIAL_PREFIX}*"):
        try:
            if path.is_file() and path.stat().st_mtime < cutoff and path not in _IN_FLIGHT:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue
    return removed


async def sweep_partial_uploads(store: MediaStore | None = None, *, older_than_seconds: float | None = None) -> int:
    """The periodic sweep: stale spool files, then the store's own unfinished uploads. How many were removed."""
    settings = get_settings()
    age = settings.upload_partial_max_age_seconds if older_than_seconds is None else older_than_seconds
    removed = await anyio.to_thread.run_sync(sweep_folder_partials, spool_dir(settings), age)
    removed += await (store or get_media_store()).sweep_partials(age)
    if removed:
        logger.info("removed %d unfinished upload(s) older than %d s", removed, age)
    return removed


# --- the local folder backend ---------------------------------------------------------------------


class LocalMediaStore:
    """Files under one root folder; ``uri`` is ``file:<key>`` relative to that root."""

    def __init__(self, root: Path) -> None:
        self.root = root

    async def write(self, key: str, upload: ValidatedUpload) -> str:
        final = self.local_path(f"file:{key}")
        try:
            await anyio.Path(final.parent).mkdir(parents=True, exist_ok=True)
            await anyio.to_thread.run_sync(_land, upload.path, final)
        except OSError as error:
            if is_disk_full(error):
                logger.error("upload refused: the media folder %s is full (%s)", self.root, error)
                raise StorageFull(STORAGE_FULL_MESSAGE) from error
            logger.error("upload refused: cannot write to the media folder %s (%s)", self.root, error)
            raise StorageUnavailable(STORAGE_UNAVAILABLE_MESSAGE) from error
        return f"file:{key}"

    def local_path(self, uri: str) -> Path:
        """The file behind a ``file:`` URI (this backend only; readers use ``open_read``)."""
        if not uri.startswith("file:"):
            raise ValueError(f"not a local media URI: {uri}")
        path = (self.root / uri.removeprefix("file:")).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError(f"media URI escapes the media folder: {uri}")
        return path

    @asynccontextmanager
    async def open_read(self, uri: str) -> AsyncIterator[Path]:
        try:
            path = self.local_path(uri)
        except ValueError as error:
            raise MediaMissing(str(error)) from error
        if not await anyio.Path(path).is_file():
            raise MediaMissing(f"no recording at {uri}")
        yield path

    async def delete(self, uri: str) -> None:
        await anyio.Path(self.local_path(uri)).unlink(missing_ok=True)

    async def delete_folder(self, prefix: str) -> None:
        folder = self.local_path(f"file:{prefix}")
        if folder == self.root.resolve():
            raise ValueError("refusing to delete the whole media folder")
        await anyio.to_thread.run_sync(partial(shutil.rmtree, folder, ignore_errors=True))

    async def exists(self, uri: str) -> bool:
        return await anyio.Path(self.local_path(uri)).is_file()

    async def sweep_partials(self, older_than_seconds: float) -> int:
        return await anyio.to_thread.run_sync(sweep_folder_partials, self.root, older_than_seconds)


def _land(source: Path, final: Path) -> None:
    """Move the spool file to its key: a rename on one filesystem; else a copy to a ``.upload-*`` name
    beside the target, renamed when complete (a reader never sees half a file)."""
    try:
        os.replace(source, final)
        return
    except OSError as error:
        if error.errno != errno.EXDEV:
            raise
    temporary = final.parent / f"{PARTIAL_PREFIX}{uuid.uuid4().hex}"
    try:
        shutil.copyfile(source, temporary)
        os.replace(temporary, final)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


# --- choosing the backend -------------------------------------------------------------------------


def build_media_store(settings: Settings) -> MediaStore:
    if settings.media_url:
        from gateway.storage_s3 import S3MediaStore

        return S3MediaStore.from_settings(settings)
    return LocalMediaStore(settings.resolved_media_dir)


@lru_cache
def get_media_store() -> MediaStore:
    return build_media_store(get_settings())
