"""Resumable answer uploads over the tus protocol 1.0.0 (core, creation and termination extensions).

A candidate on a train or a bank branch's flaky Wi-Fi must not start a 50 MB recording again from zero
after the network drops. The page (``web/``, with tus-js-client) opens an upload session, sends the bytes
with ``PATCH`` and, after a break, asks ``HEAD`` how many bytes arrived and continues from there:

- ``POST /interview/{token}/answers/{questionId}/uploads`` with ``Upload-Length``: 201, ``Location`` of the session;
  the invitation, the question and the consent are checked here, and the length against the upload cap (413);
- ``HEAD <location>``: ``Upload-Offset`` (bytes received) and ``Upload-Length``;
- ``PATCH <location>`` with ``Upload-Offset`` (must equal the bytes received, else 409) and
  ``Content-Type: application/offset+octet-stream``: appends; when the last byte arrives the recording goes
  through the same checks and storage as a single ``PUT`` (``upload_answer``: content sniffing, container
  probe, linking); a refused recording answers its status (413, 415, …) with the JSON errors of ``PUT``;
- ``DELETE <location>``: abandons the session.

Sessions are files under ``<data_dir>/resumable-uploads`` (``<id>.part`` and ``<id>.json``), so every gateway process
sharing that folder can resume one; sessions untouched for a day are removed when a new one is opened.
The session id is random and the session remembers the hash of its invitation token: a session is reached
only with the token it was opened with. Part of the composition root (it calls the domain services).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import anyio
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.settings import get_settings
from gateway.storage import get_media_store
from gateway.upload_routes import NO_STORE, error_response, question_id_of
from resolvers.errors import DomainError, ErrorCode
from resolvers.services.candidate_interview import check_upload_allowed, upload_answer
from resolvers.services.invitations import hash_token

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,termination"
OFFSET_CONTENT_TYPE = "application/offset+octet-stream"
SESSION_MAX_AGE_SECONDS = 24 * 3600
READ_CHUNK_BYTES = 1024 * 1024
_SESSION_ID_LENGTH = 32


def _tus_headers(**extra: str) -> dict[str, str]:
    return {"Tus-Resumable": TUS_VERSION, **NO_STORE, **extra}


def _plain(status: int, message: str, **headers: str) -> Response:
    return Response(message, status_code=status, headers=_tus_headers(**headers), media_type="text/plain")


class UploadSession:
    """One resumable upload: its bytes so far (``.part``) and what it is for (``.json``)."""

    def __init__(self, folder: Path, upload_id: str) -> None:
        self.upload_id = upload_id
        self.data_path = folder / f"{upload_id}.part"
        self.meta_path = folder / f"{upload_id}.json"

    @classmethod
    def open(cls, folder: Path, upload_id: str, token: str) -> UploadSession | None:
        """The session, if it exists and belongs to this token (anything else reads as unknown)."""
        if len(upload_id) != _SESSION_ID_LENGTH or not upload_id.replace("-", "").replace("_", "").isalnum():
            return None
        session = cls(folder, upload_id)
        try:
            meta = session.meta
        except (OSError, ValueError):
            return None
        if not secrets.compare_digest(meta.get("token_hash", ""), hash_token(token)):
            return None
        return session

    @property
    def meta(self) -> dict:
        return json.loads(self.meta_path.read_text())

    @property
    def offset(self) -> int:
        meta = self.meta
        if meta.get("completed"):
            return meta["length"]
        try:
            return self.data_path.stat().st_size
        except FileNotFoundError:
            return 0

    def write_meta(self, meta: dict) -> None:
        temporary = self.meta_path.with_suffix(".json.tmp")
        temporary.write_text(json.dumps(meta))
        os.replace(temporary, self.meta_path)

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[bool]:
        """An advisory lock: one ``PATCH`` at a time (yields False if another one holds it)."""
        with self.meta_path.open("rb") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def remove(self) -> None:
        self.data_path.unlink(missing_ok=True)
        self.meta_path.unlink(missing_ok=True)

    async def chunks(self) -> AsyncIterator[bytes]:
        async with await anyio.open_file(self.data_path, "rb") as source:
            while chunk := await source.read(READ_CHUNK_BYTES):
                yield chunk


def _upload_folder() -> Path:
    folder = get_settings().data_dir / "resumable-uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _sweep(folder: Path) -> None:
    """Sessions untouched for a day are abandoned: their bytes are removed."""
    cutoff = time.time() - SESSION_MAX_AGE_SECONDS
    for meta_path in folder.glob("*.json"):
        with contextlib.suppress(FileNotFoundError):
            data_path = meta_path.with_suffix(".part")
            touched = max(meta_path.stat().st_mtime, data_path.stat().st_mtime if data_path.exists() else 0)
            if touched < cutoff:
                UploadSession(folder, meta_path.stem).remove()


async def options(request: Request) -> Response:
    return Response(
        status_code=204,
        headers=_tus_headers(
            **{
                "Tus-Version": TUS_VERSION,
                "Tus-Extension": TUS_EXTENSIONS,
                "Tus-Max-Size": str(get_settings().max_upload_bytes),
            }
        ),
    )


def _wrong_version(request: Request) -> Response | None:
    if request.headers.get("tus-resumable") != TUS_VERSION:
        return _plain(412, f"Tus-Resumable: {TUS_VERSION} is required", **{"Tus-Version": TUS_VERSION})
    return None


def _non_negative(value: str | None) -> int | None:
    return int(value) if value is not None and value.isdigit() else None


async def create(request: Request) -> Response:
    if (refused := _wrong_version(request)) is not None:
        return refused
    settings = get_settings()
    length = _non_negative(request.headers.get("upload-length"))
    if length is None:
        return _plain(400, "Upload-Length (the recording's size in bytes) is required")
    token = request.path_params["token"]
    try:
        if length == 0:
            raise DomainError.single("file", "the recording is empty", ErrorCode.EMPTY_UPLOAD)
        if length > settings.max_upload_bytes:
            raise DomainError.single(
                "file", f"the recording is larger than {settings.max_upload_bytes} bytes", ErrorCode.UPLOAD_TOO_LARGE
            )
        question_id = question_id_of(request.path_params["question_id"])
        await check_upload_allowed(token, question_id)
    except DomainError as error:
        return error_response(error, headers=_tus_headers())
    folder = _upload_folder()
    await anyio.to_thread.run_sync(_sweep, folder)
    session = UploadSession(folder, secrets.token_urlsafe(24))
    session.write_meta({"token_hash": hash_token(token), "question_id": question_id, "length": length})
    session.data_path.touch()
    location = f"/interview/{token}/uploads/{session.upload_id}"
    return Response(status_code=201, headers=_tus_headers(Location=location, **{"Upload-Offset": "0"}))


def _session_or_404(request: Request) -> UploadSession | Response:
    session = UploadSession.open(_upload_folder(), request.path_params["upload_id"], request.path_params["token"])
    return session if session is not None else _plain(404, "no such upload session")


async def head(request: Request) -> Response:
    if (refused := _wrong_version(request)) is not None:
        return refused
    session = _session_or_404(request)
    if isinstance(session, Response):
        return session
    return Response(
        status_code=200,
        headers=_tus_headers(**{"Upload-Offset": str(session.offset), "Upload-Length": str(session.meta["length"])}),
    )


async def delete(request: Request) -> Response:
    if (refused := _wrong_version(request)) is not None:
        return refused
    session = _session_or_404(request)
    if isinstance(session, Response):
        return session
    with session.exclusive() as locked:
        if not locked:
            return _plain(423, "the upload is being written; try again")
        session.remove()
    return Response(status_code=204, headers=_tus_headers())


async def patch(request: Request) -> Response:
    if (refused := _wrong_version(request)) is not None:
        return refused
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != OFFSET_CONTENT_TYPE:
        return _plain(415, f"Content-Type: {OFFSET_CONTENT_TYPE} is required")
    session = _session_or_404(request)
    if isinstance(session, Response):
        return session
    claimed = _non_negative(request.headers.get("upload-offset"))
    if claimed is None:
        return _plain(400, "Upload-Offset is required")
    with session.exclusive() as locked:
        if not locked:
            return _plain(423, "another request is writing this upload; try again")
        meta = session.meta
        offset, length = session.offset, meta["length"]
        if meta.get("completed") or claimed != offset:
            return _plain(409, "Upload-Offset does not match the bytes received", **{"Upload-Offset": str(offset)})
        offset, overflow = await _append(session, request, offset, length)
        if overflow:
            return _plain(400, "more bytes than Upload-Length", **{"Upload-Offset": str(offset)})
        if offset < length:
            return Response(status_code=204, headers=_tus_headers(**{"Upload-Offset": str(offset)}))
        return await _finish(session, request.path_params["token"], meta)


async def _append(session: UploadSession, request: Request, offset: int, length: int) -> tuple[int, bool]:
    """Write what arrives until the body ends or the connection drops; the bytes written stay (that is the
    point of resuming). Returns the new offset and whether the body went past ``Upload-Length``."""
    async with await anyio.open_file(session.data_path, "ab") as target:
        try:
            async for chunk in request.stream():
                if offset + len(chunk) > length:
                    await target.write(chunk[: length - offset])
                    return length, True
                await target.write(chunk)
                offset += len(chunk)
        except ClientDisconnect:
            pass
    return offset, False


async def _finish(session: UploadSession, token: str, meta: dict) -> Response:
    """The last byte arrived: check, store and link the recording like a single ``PUT``."""
    settings = get_settings()
    try:
        answer = await upload_answer(
            token, meta["question_id"], session.chunks(), store=get_media_store(), max_bytes=settings.max_upload_bytes
        )
    except DomainError as error:
        session.remove()  # a refused recording cannot become acceptable by resuming: record again
        return error_response(error, headers=_tus_headers())
    session.data_path.unlink(missing_ok=True)
    session.write_meta({**meta, "completed": True, "sha256": answer.media_sha256})
    return Response(
        status_code=204,
        headers=_tus_headers(**{"Upload-Offset": str(meta["length"]), "Upload-Sha256": answer.media_sha256}),
    )


def resumable_upload_routes() -> list[Route]:
    return [
        Route("/interview/{token}/answers/{question_id}/uploads", create, methods=["POST"]),
        Route("/interview/{token}/answers/{question_id}/uploads", options, methods=["OPTIONS"]),
        Route("/interview/{token}/uploads/{upload_id}", head, methods=["HEAD"]),
        Route("/interview/{token}/uploads/{upload_id}", patch, methods=["PATCH"]),
        Route("/interview/{token}/uploads/{upload_id}", delete, methods=["DELETE"]),
        Route("/interview/{token}/uploads/{upload_id}", options, methods=["OPTIONS"]),
    ]
