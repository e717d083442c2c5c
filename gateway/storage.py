"""Where answer recordings live: a local folder by default, behind an interface for object storage.

Uploads stream to a temporary name, are size-capped and type-checked on the way
(magic bytes), probed by the decoder once complete (the container must open with an
audio or video stream), and only appear under their final key then, so a failed or
refused upload leaves nothing on disk and never replaces a good one.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import lru_cache, partial
from pathlib import Path
from typing import Protocol

import anyio

from gateway.media_types import EXTENSIONS, SNIFF_BYTES, probe_container, sniff_media_type
from gateway.settings import get_settings


class UploadRejected(Exception):
    """The upload was refused; nothing was stored."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason  # "too_large" | "unsupported_media" | "empty"
        self.message = message


@dataclass(frozen=True)
class StoredMedia:
    uri: str
    content_type: str
    size_bytes: int
    sha256: str


class MediaStore(Protocol):
    async def save(self, key_prefix: str, chunks: AsyncIterator[bytes], *, max_bytes: int) -> StoredMedia: ...
    def local_path(self, uri: str) -> Path: ...
    async def delete(self, uri: str) -> None: ...
    async def delete_folder(self, prefix: str) -> None: ...
    async def exists(self, uri: str) -> bool: ...


class LocalMediaStore:
    """Files under one root folder; ``uri`` is ``file:<key>`` relative to that root."""

    def __init__(self, root: Path) -> None:
        self.root = root

    async def save(self, key_prefix: str, chunks: AsyncIterator[bytes], *, max_bytes: int) -> StoredMedia:
        folder = self.root / key_prefix
        await anyio.Path(folder).mkdir(parents=True, exist_ok=True)
        temporary = folder / f".upload-{uuid.uuid4().hex}"
        digest = hashlib.sha256()
        size = 0
        head = b""
        content_type: str | None = None
        try:
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
            final = folder / f"{uuid.uuid4().hex}.{EXTENSIONS[content_type]}"
            os.replace(temporary, final)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        key = final.relative_to(self.root).as_posix()
        return StoredMedia(uri=f"file:{key}", content_type=content_type, size_bytes=size, sha256=digest.hexdigest())

    def local_path(self, uri: str) -> Path:
        if not uri.startswith("file:"):
            raise ValueError(f"not a local media URI: {uri}")
        path = (self.root / uri.removeprefix("file:")).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError(f"media URI escapes the media folder: {uri}")
        return path

    async def delete(self, uri: str) -> None:
        await anyio.Path(self.local_path(uri)).unlink(missing_ok=True)

    async def delete_folder(self, prefix: str) -> None:
        """Every file under ``prefix`` (a key folder such as ``interviews/12``), temporaries included."""
        folder = self.local_path(f"file:{prefix}")
        if folder == self.root.resolve():
            raise ValueError("refusing to delete the whole media folder")
        await anyio.to_thread.run_sync(partial(shutil.rmtree, folder, ignore_errors=True))

    async def exists(self, uri: str) -> bool:
        return await anyio.Path(self.local_path(uri)).is_file()


def _accepted_type(head: bytes) -> str:
    content_type = sniff_media_type(head)
    if content_type is None:
        raise UploadRejected(
            "unsupported_media", "the recording is not a WebM, MP4, M4A or WAV file (checked by its content)"
        )
    return content_type


@lru_cache
def get_media_store() -> MediaStore:
    return LocalMediaStore(get_settings().resolved_media_dir)
