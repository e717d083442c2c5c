"""The S3-compatible media store against a real S3-protocol server (moto's standalone server, over HTTP).

Upload (multipart, validated first) → the worker reads a temporary copy → scored; erasure removes the
objects; an unreachable endpoint or a missing bucket is a typed 503 that loses nothing.
"""

from __future__ import annotations

import hashlib
import os
import time
from types import SimpleNamespace

import dramatiq
import pytest
from sqlmodel import select

import workers.actors
from gateway.db import read_session, unit_of_work
from gateway.models import Answer, Application, Interview
from gateway.settings import get_settings
from gateway.storage import PARTIAL_PREFIX, MediaMissing, StorageUnavailable, get_media_store, sweep_partial_uploads
from resolvers.services.audit import person
from resolvers.services.erasure import erase_candidate
from tests import processes, s3_server
from tests.db_helpers import all_row_counts, fetch, node_id
from tests.interview_helpers import (
    SUBMIT,
    give_consent,
    invited_candidate,
    multipart_upload,
    put_answer,
    teller_model,
    wait_for_status,
    wav_bytes,
)

FIVE_MIB = 5 * 1024 * 1024


@pytest.fixture(scope="module")
def s3_endpoint(tmp_path_factory):
    with s3_server.moto_server(tmp_path_factory.mktemp("moto") / "moto.log") as endpoint:
        yield endpoint


@pytest.fixture
def s3_media(s3_endpoint, monkeypatch):
    """The gateway and workers of this process use a fresh bucket (``HRGATE_MEDIA_URL=s3://<bucket>/media``)."""
    bucket = s3_server.new_bucket(s3_endpoint)
    settings = get_settings()
    for name, value in s3_server.s3_settings(s3_endpoint, f"s3://{bucket}/media").items():
        monkeypatch.setattr(settings, name, value)
    get_media_store.cache_clear()
    yield SimpleNamespace(endpoint=s3_endpoint, bucket=bucket, store=get_media_store())
    get_media_store.cache_clear()


def use_store_settings(monkeypatch, **values) -> None:
    settings = get_settings()
    for name, value in values.items():
        monkeypatch.setattr(settings, name, value)
    get_media_store.cache_clear()


def spool_partials() -> list[str]:
    folder = get_settings().resolved_upload_spool_dir
    return sorted(path.name for path in folder.glob(f"{PARTIAL_PREFIX}*")) if folder.exists() else []


def local_media_files() -> list[str]:
    root = get_settings().resolved_media_dir
    return sorted(str(path) for path in root.rglob("*") if path.is_file()) if root.exists() else []


async def linked_answer(invited, question_index: int = 0) -> Answer | None:
    async with read_session() as session:
        statement = select(Answer).where(
            Answer.interview_id == node_id(invited.interview_id),
            Answer.question_id == node_id(invited.question_ids[question_index]),
        )
        return (await session.exec(statement)).first()


@pytest.fixture
def scoring_worker():
    worker = dramatiq.Worker(workers.actors.broker, worker_threads=1)
    worker.start()
    yield worker
    worker.stop()


async def test_an_upload_is_a_multipart_object_and_readers_get_a_temporary_copy(gql, http, s3_media, monkeypatch):
    monkeypatch.setattr(get_settings(), "s3_part_bytes", FIVE_MIB)
    get_media_store.cache_clear()
    store = get_media_store()
    invited = await invited_candidate(gql)
    await give_consent(gql, invited.token)
    body = wav_bytes(seconds=190)  # about 6 MB: two parts of at most 5 MiB
    assert len(body) > FIVE_MIB

    local_files = local_media_files()
    response = await put_answer(http, invited.token, invited.question_ids[0], body)
    assert response.status_code == 201, response.text
    answer = await linked_answer(invited)
    interview_id = node_id(invited.interview_id)
    prefix = f"media/interviews/{interview_id}/{node_id(invited.question_ids[0])}/"
    (key,) = s3_server.object_keys(s3_media.endpoint, s3_media.bucket)
    assert key.startswith(prefix) and key.endswith(".wav")
    assert answer.media_uri == f"s3://{s3_media.bucket}/{key}"
    head = s3_server.client(s3_media.endpoint).head_object(Bucket=s3_media.bucket, Key=key)
    assert head["ContentLength"] == len(body) and head["ContentType"] == "audio/wav"
    assert head["ETag"].strip('"').endswith("-2")  # a multipart upload of two parts
    assert head["Metadata"]["sha256"] == hashlib.sha256(body).hexdigest() == answer.media_sha256
    assert s3_server.pending_uploads(s3_media.endpoint, s3_media.bucket) == []
    assert spool_partials() == []
    assert local_media_files() == local_files  # nothing went to the local folder

    assert await store.exists(answer.media_uri)
    async with store.open_read(answer.media_uri) as copy:
        assert copy.suffix == ".wav" and copy.read_bytes() == body
    assert not copy.exists()  # the temporary copy is gone once the reader is done
    with pytest.raises(MediaMissing):
        async with store.open_read(f"s3://{s3_media.bucket}/media/interviews/0/0/missing.wav"):
            pass
    with pytest.raises(MediaMissing):  # a URI of another store is not read from this bucket
        async with store.open_read("file:interviews/1/1/x.wav"):
            pass


async def test_an_interview_in_object_storage_is_scored_end_to_end(gql, http, s3_media, test_media, scoring_worker):
    invited = await invited_candidate(gql, await teller_model(gql))
    await give_consent(gql, invited.token, biometric=False)
    recording = test_media.english_relevant_wav.read_bytes()
    assert (await put_answer(http, invited.token, invited.question_ids[0], recording)).status_code == 201
    assert len(s3_server.object_keys(s3_media.endpoint, s3_media.bucket)) == 1
    submitted = (await gql(SUBMIT, input={"invitationToken": invited.token}))["interviewSubmit"]
    assert submitted["errors"] == []

    interview = await wait_for_status(invited.interview_id, "scored", "failed")
    assert interview.status.value == "scored", interview.status_reason
    answer = await linked_answer(invited)
    assert "count" in answer.transcript.lower()  # the worker read the recording from the bucket


async def test_a_missing_object_fails_the_interview_and_an_unreachable_store_is_retried(
    gql, http, s3_media, monkeypatch
):
    from workers.scoring import PermanentScoringError, score_interview_job

    invited = await invited_candidate(gql)
    await give_consent(gql, invited.token)
    for question_id in invited.question_ids:
        assert (await put_answer(http, invited.token, question_id, wav_bytes(0.3))).status_code == 201
    assert (await gql(SUBMIT, input={"invitationToken": invited.token}))["interviewSubmit"]["errors"] == []

    use_store_settings(monkeypatch, s3_endpoint_url=f"http://127.0.0.1:{processes.free_port()}")
    with pytest.raises(StorageUnavailable):  # transient: the actor's retry picks it up later
        await score_interview_job(node_id(invited.interview_id))
    assert (await fetch(Interview, invited.interview_id)).status.value == "scoring"  # claimed, not failed

    use_store_settings(monkeypatch, s3_endpoint_url=s3_media.endpoint)
    answer = await linked_answer(invited)
    await get_media_store().delete(answer.media_uri)  # the object is gone for good: permanent
    assert not await get_media_store().exists(answer.media_uri)
    with pytest.raises(PermanentScoringError, match="question 1 is missing"):
        await score_interview_job(node_id(invited.interview_id))


async def test_erasure_deletes_the_candidates_objects_and_unfinished_uploads(gql, http, s3_media):
    invited = await invited_candidate(gql)
    other = await invited_candidate(gql)
    for candidate in (invited, other):
        await give_consent(gql, candidate.token)
        for question_id in candidate.question_ids:
            assert (await put_answer(http, candidate.token, question_id, wav_bytes(0.2))).status_code == 201
    interview_id = node_id(invited.interview_id)
    s3 = s3_server.client(s3_media.endpoint)
    folder = f"media/interviews/{interview_id}/"
    s3.put_object(Bucket=s3_media.bucket, Key=f"{folder}stray.webm", Body=b"no row points at me")
    s3.create_multipart_upload(Bucket=s3_media.bucket, Key=f"{folder}{node_id(invited.question_ids[0])}/cut.wav")
    assert len(s3_server.object_keys(s3_media.endpoint, s3_media.bucket, folder)) == len(invited.question_ids) + 1
    other_keys = s3_server.object_keys(
        s3_media.endpoint, s3_media.bucket, f"media/interviews/{node_id(other.interview_id)}/"
    )

    application = await fetch(Application, invited.application_id)
    async with unit_of_work() as uow:
        result = await erase_candidate(
            application.candidate_id, "candidate's request", uow=uow, actor=person("admin", ["hr_admin"])
        )
    assert result.media_files_deleted == len(invited.question_ids)
    assert s3_server.object_keys(s3_media.endpoint, s3_media.bucket, folder) == []
    assert s3_server.pending_uploads(s3_media.endpoint, s3_media.bucket) == []
    remaining = s3_server.object_keys(s3_media.endpoint, s3_media.bucket, "media/interviews/")
    assert remaining == other_keys and len(other_keys) == len(other.question_ids)  # nobody else's


async def test_an_unreachable_endpoint_answers_503_and_loses_nothing(gql, http, s3_media, monkeypatch):
    invited = await invited_candidate(gql)
    await give_consent(gql, invited.token)
    first = wav_bytes(0.2)
    assert (await put_answer(http, invited.token, invited.question_ids[0], first)).status_code == 201
    kept = await linked_answer(invited)
    before = await all_row_counts()

    use_store_settings(monkeypatch, s3_endpoint_url=f"http://127.0.0.1:{processes.free_port()}")
    started = time.monotonic()
    response = await put_answer(http, invited.token, invited.question_ids[0], wav_bytes(0.4))
    assert time.monotonic() - started < 15
    assert response.status_code == 503 and response.headers["retry-after"] == "60"
    (error,) = response.json()["errors"]
    assert error["code"] == "STORAGE_UNAVAILABLE" and "upload it again" in error["message"]
    assert "127.0.0.1" not in error["message"]  # no address for the candidate
    new_question = await put_answer(http, invited.token, invited.question_ids[1], wav_bytes(0.4))
    assert new_question.status_code == 503
    graphql = await multipart_upload(http, invited.token, invited.question_ids[1], wav_bytes(0.4), "a.wav")
    (payload_error,) = graphql["data"]["interviewAnswerUpload"]["errors"]
    assert payload_error["code"] == "STORAGE_UNAVAILABLE" and payload_error["field"] == "file"

    assert await all_row_counts() == before  # nothing half-recorded
    answer = await linked_answer(invited)
    assert (answer.media_uri, answer.media_sha256) == (kept.media_uri, kept.media_sha256)
    assert await linked_answer(invited, 1) is None
    assert spool_partials() == []
    use_store_settings(monkeypatch, s3_endpoint_url=s3_media.endpoint)
    async with get_media_store().open_read(kept.media_uri) as copy:
        assert copy.read_bytes() == first  # the earlier recording is intact


async def test_a_missing_bucket_answers_503(gql, http, s3_media, monkeypatch):
    invited = await invited_candidate(gql)
    await give_consent(gql, invited.token)
    before = await all_row_counts()
    use_store_settings(monkeypatch, media_url="s3://hrgate-no-such-bucket/media")
    store = get_media_store()
    with pytest.raises(StorageUnavailable):
        await store.check()
    response = await put_answer(http, invited.token, invited.question_ids[0], wav_bytes(0.2))
    assert response.status_code == 503 and response.json()["errors"][0]["code"] == "STORAGE_UNAVAILABLE"
    assert await all_row_counts() == before and spool_partials() == []


async def test_the_sweep_aborts_multipart_uploads_and_removes_stale_spool_files(s3_media):
    spool = get_settings().resolved_upload_spool_dir
    spool.mkdir(parents=True, exist_ok=True)
    stale, fresh = spool / f"{PARTIAL_PREFIX}stale", spool / f"{PARTIAL_PREFIX}fresh"
    stale.write_bytes(b"cut off")
    fresh.write_bytes(b"in progress")
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    try:
        assert await sweep_partial_uploads(older_than_seconds=3600) == 1  # the stale spool file only
        assert not stale.exists() and fresh.exists()

        # moto reports every multipart upload as initiated in 2010, so their age is not tested here
        s3 = s3_server.client(s3_media.endpoint)
        s3.create_multipart_upload(Bucket=s3_media.bucket, Key="media/interviews/1/1/cut-off.wav")
        s3.create_multipart_upload(Bucket=s3_media.bucket, Key="elsewhere/not-ours.wav")  # outside the prefix
        assert await sweep_partial_uploads(older_than_seconds=0) == 2  # the fresh file, our multipart upload
        assert not fresh.exists()
        assert s3_server.pending_uploads(s3_media.endpoint, s3_media.bucket) == ["elsewhere/not-ours.wav"]
    finally:
        fresh.unlink(missing_ok=True)


def test_the_media_url_names_a_bucket_and_a_prefix_or_is_refused_in_one_line():
    from pydantic import ValidationError

    from gateway.settings import Settings

    settings = Settings(media_url="s3://hrgate-media/recordings/2026/")
    assert (settings.media_url, settings.media_bucket, settings.media_key_prefix) == (
        "s3://hrgate-media/recordings/2026",
        "hrgate-media",
        "recordings/2026",
    )
    assert Settings(media_url="s3://bucket").media_key_prefix == ""
    for wrong in ("/var/lib/hrgate/media", "file:///var/media", "s3://", "http://minio:9000/bucket"):
        with pytest.raises(ValidationError, match="HRGATE_MEDIA_URL must look like s3://bucket/prefix"):
            Settings(media_url=wrong)
