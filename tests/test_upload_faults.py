"""Upload faults that must lose nothing: a full disk, a gateway stopped mid-upload, partial files left by a
crash, and two submits of the same interview racing."""

from __future__ import annotations

import asyncio
import errno
import json
import os
import signal
import sys
import time

import anyio
import httpx
import pytest
import starlette.formparsers

import workers.actors
from gateway.models import Interview
from gateway.settings import get_settings
from gateway.storage import (
    PARTIAL_PREFIX,
    get_media_store,
    remove_in_flight_partials,
    sweep_partial_uploads,
    validated_upload,
)
from tests import processes
from tests.db_helpers import all_row_counts, fetch, node_id
from tests.interview_helpers import (
    SUBMIT,
    give_consent,
    invited_candidate,
    multipart_upload,
    put_answer,
    wav_bytes,
)


def spool_partials() -> list[str]:
    folder = get_settings().resolved_upload_spool_dir
    return sorted(path.name for path in folder.glob(f"{PARTIAL_PREFIX}*")) if folder.exists() else []


def media_files() -> list[str]:
    root = get_settings().resolved_media_dir
    return sorted(str(path) for path in root.rglob("*") if path.is_file()) if root.exists() else []


class _FullDiskFile:
    """A spool file on a disk that fills up after the first chunk: the write fails with ENOSPC."""

    def __init__(self, file) -> None:
        self.file, self.writes = file, 0

    async def write(self, data: bytes) -> int:
        self.writes += 1
        if self.writes > 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        return await self.file.write(data)

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self.file.aclose()


async def test_a_full_disk_answers_507_and_keeps_the_earlier_recording(gql, http, monkeypatch):
    invited = await invited_candidate(gql)
    await give_consent(gql, invited.token)
    first = wav_bytes(0.2)
    assert (await put_answer(http, invited.token, invited.question_ids[0], first)).status_code == 201
    files_before, rows_before = media_files(), await all_row_counts()

    real_open_file = anyio.open_file
    spool = str(get_settings().resolved_upload_spool_dir.resolve())

    async def open_file(path, *args, **kwargs):  # ENOSPC at the storage boundary: the spool folder only
        file = await real_open_file(path, *args, **kwargs)
        return _FullDiskFile(file) if str(path).startswith(spool) else file

    monkeypatch.setattr(anyio, "open_file", open_file)
    large = wav_bytes(40.0)  # over 1 MiB: the GraphQL path reads its file in 1 MiB chunks

    async def chunks():  # several chunks: the disk fills after the first
        for start in range(0, len(large), 16_384):
            yield large[start : start + 16_384]

    response = await http.put(f"/interview/{invited.token}/answers/{invited.question_ids[0]}", content=chunks())
    assert response.status_code == 507, response.text
    assert response.headers["retry-after"] == "300"
    (error,) = response.json()["errors"]
    assert error["code"] == "STORAGE_FULL" and "upload it again later" in error["message"]
    graphql = await multipart_upload(http, invited.token, invited.question_ids[1], large, "answer.wav")
    (payload_error,) = graphql["data"]["interviewAnswerUpload"]["errors"]
    assert payload_error["code"] == "STORAGE_FULL" and payload_error["field"] == "file"

    assert spool_partials() == [] and media_files() == files_before
    assert await all_row_counts() == rows_before
    answer = (await _answers(invited))[node_id(invited.question_ids[0])]
    assert get_media_store().local_path(answer.media_uri).read_bytes() == first


async def test_a_full_disk_while_a_multipart_body_is_parsed_answers_507_with_a_code(gql, http, monkeypatch):
    invited = await invited_candidate(gql)
    await give_consent(gql, invited.token)

    class FullSpooledFile(starlette.formparsers.SpooledTemporaryFile):
        def write(self, data):  # noqa: ANN001, ANN202
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(starlette.formparsers, "SpooledTemporaryFile", FullSpooledFile)
    operations = json.dumps(
        {
            "query": "mutation($input: InterviewAnswerUploadInput!) "
            "{ interviewAnswerUpload(input: $input) { errors { code } } }",
            "variables": {
                "input": {"invitationToken": invited.token, "questionId": invited.question_ids[0], "file": None}
            },
        }
    )
    response = await http.post(
        "/graphql",
        data={"operations": operations, "map": '{"0": ["variables.input.file"]}'},
        files={"0": ("a.wav", wav_bytes(0.2), "application/octet-stream")},
        headers={"Apollo-Require-Preflight": "true"},
    )
    assert response.status_code == 507, response.text
    body = response.json()
    assert body["errors"][0]["extensions"]["code"] == "STORAGE_FULL"
    assert response.headers["cache-control"] == "no-store"


async def _answers(invited) -> dict:
    from sqlmodel import select

    from gateway.db import read_session
    from gateway.models import Answer

    async with read_session() as session:
        rows = await session.exec(select(Answer).where(Answer.interview_id == node_id(invited.interview_id)))
        return {answer.question_id: answer for answer in rows.all()}


async def test_two_identical_submits_racing_both_succeed_and_queue_one_job(gql, http):
    invited = await invited_candidate(gql)
    await give_consent(gql, invited.token)
    for question_id in invited.question_ids:
        assert (await put_answer(http, invited.token, question_id, wav_bytes(0.2))).status_code == 201

    results = await asyncio.gather(*(gql(SUBMIT, input={"invitationToken": invited.token}) for _ in range(3)))
    payloads = [result["interviewSubmit"] for result in results]
    assert [payload["errors"] for payload in payloads] == [[], [], []]
    assert {payload["invitation"]["status"] for payload in payloads} == {"QUEUED"}
    assert workers.actors.broker.queues["scoring"].qsize() == 1
    assert (await fetch(Interview, invited.interview_id)).status.value == "queued"


async def test_partial_uploads_are_swept_and_removed_on_shutdown():
    spool = get_settings().resolved_upload_spool_dir
    media_folder = get_settings().resolved_media_dir / "interviews" / "999"
    for folder in (spool, media_folder):
        folder.mkdir(parents=True, exist_ok=True)
    stale = [spool / f"{PARTIAL_PREFIX}crashed", media_folder / f"{PARTIAL_PREFIX}copy"]
    fresh = spool / f"{PARTIAL_PREFIX}writing"
    for path in (*stale, fresh):
        path.write_bytes(b"partial")
    for path in stale:
        os.utime(path, (time.time() - 7200, time.time() - 7200))
    try:
        assert await sweep_partial_uploads(older_than_seconds=3600) == 2
        assert [path.exists() for path in stale] == [False, False] and fresh.exists()
    finally:
        fresh.unlink(missing_ok=True)

    async def endless():
        yield wav_bytes(0.1)[:64]
        await asyncio.Event().wait()

    holder = {}

    async def upload() -> None:
        async with validated_upload(endless(), max_bytes=10_000_000) as validated:
            holder["upload"] = validated

    task = asyncio.create_task(upload())
    for _ in range(100):
        if spool_partials():
            break
        await asyncio.sleep(0.02)
    assert len(spool_partials()) == 1
    assert remove_in_flight_partials() == 1  # what the app's lifespan does on shutdown
    assert spool_partials() == []
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert "upload" not in holder


async def test_a_gateway_stopped_mid_upload_leaves_no_partial_file(gql, tmp_path):
    invited = await invited_candidate(gql)
    await give_consent(gql, invited.token)
    spool = tmp_path / "spool"
    env = dict(os.environ, HRGATE_UPLOAD_SPOOL_DIR=str(spool), HRGATE_SHUTDOWN_GRACE_SECONDS="2")
    port = processes.free_port()
    log = tmp_path / "gateway.log"
    serve = [sys.executable, "-c", "from gateway.cli import main; main()", "serve", "--port", str(port), "--no-demo"]
    gateway = processes.start(serve, env, log)  # this checkout's code (the ``hrgate`` script may be another's)
    base_url = f"http://127.0.0.1:{port}"
    client_task = None
    try:
        await asyncio.to_thread(processes.wait_ready, base_url, gateway, log)
        body = wav_bytes(30.0)

        async def slow_body():
            yield body[:262_144]  # a quarter of a megabyte, then the client stalls like a slow phone
            await asyncio.sleep(120)
            yield body[262_144:]

        async def send() -> None:
            async with httpx.AsyncClient(timeout=120) as client:
                await client.put(
                    f"{base_url}/interview/{invited.token}/answers/{invited.question_ids[0]}", content=slow_body()
                )

        client_task = asyncio.create_task(send())
        deadline = time.monotonic() + 30
        while not list(spool.glob(f"{PARTIAL_PREFIX}*")):
            assert time.monotonic() < deadline, log.read_text(errors="replace")
            await asyncio.sleep(0.1)
        partial = next(spool.glob(f"{PARTIAL_PREFIX}*"))
        assert partial.stat().st_size > 0

        started = time.monotonic()
        await asyncio.to_thread(processes.stop, gateway)  # SIGTERM, as an orchestrator does
        assert time.monotonic() - started < 15  # the grace period, not the orchestrator's SIGKILL
        assert gateway.returncode in (0, -signal.SIGTERM), log.read_text(errors="replace")  # uvicorn re-raises it
        assert "Application shutdown complete" in log.read_text(errors="replace")
        assert list(spool.glob(f"{PARTIAL_PREFIX}*")) == [], log.read_text(errors="replace")
    finally:
        processes.kill_hard(gateway)
        if client_task is not None:
            client_task.cancel()
            await asyncio.gather(client_task, return_exceptions=True)
    assert await _answers(invited) == {}  # the cut-off upload was never linked


def test_media_sweep_from_the_cli():
    from click.testing import CliRunner

    from gateway.cli import main as hrgate_cli

    spool = get_settings().resolved_upload_spool_dir
    spool.mkdir(parents=True, exist_ok=True)
    stale = spool / f"{PARTIAL_PREFIX}left-by-a-crash"
    stale.write_bytes(b"partial")
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    result = CliRunner().invoke(hrgate_cli, ["media-sweep", "--older-than", "3600"])
    assert result.exit_code == 0, result.output
    assert "removed 1 unfinished upload(s)" in result.output and not stale.exists()
