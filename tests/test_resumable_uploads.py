"""Resumable answer uploads (tus 1.0.0): a recording cut off by a dropped connection continues from the
bytes that arrived, never from zero, and is checked and linked like a single ``PUT`` when complete."""

from __future__ import annotations

import fcntl
import hashlib
import os
import time

import httpx
import pytest

from gateway.app import create_app
from gateway.settings import get_settings
from tests.interview_helpers import INVITATION, give_consent, invited_candidate

TUS = {"Tus-Resumable": "1.0.0"}
PATCH_HEADERS = {**TUS, "Content-Type": "application/offset+octet-stream"}


async def open_session(http: httpx.AsyncClient, token: str, question_id: str, length: int) -> httpx.Response:
    return await http.post(
        f"/interview/{token}/answers/{question_id}/uploads", headers={**TUS, "Upload-Length": str(length)}
    )


async def offset_of(http: httpx.AsyncClient, location: str) -> int:
    response = await http.head(location, headers=TUS)
    assert response.status_code == 200, response.text
    return int(response.headers["upload-offset"])


async def patch(http: httpx.AsyncClient, location: str, offset: int, body: bytes) -> httpx.Response:
    return await http.patch(location, content=body, headers={**PATCH_HEADERS, "Upload-Offset": str(offset)})


async def dropped_patch(location: str, offset: int, delivered: bytes, declared_length: int) -> None:
    """A PATCH whose connection drops after ``delivered`` bytes of ``declared_length`` (raw ASGI: the server
    reads ``http.disconnect`` mid-body, as uvicorn reports a client that went away)."""
    app = create_app(get_settings(), embedded_worker=False)
    messages = [
        {"type": "http.request", "body": delivered, "more_body": True},
        {"type": "http.disconnect"},
    ]

    async def receive() -> dict:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)

    headers = [
        (b"tus-resumable", b"1.0.0"),
        (b"content-type", b"application/offset+octet-stream"),
        (b"upload-offset", str(offset).encode()),
        (b"content-length", str(declared_length).encode()),
        (b"host", b"hrgate.test"),
    ]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "PATCH",
        "scheme": "http",
        "path": location,
        "raw_path": location.encode(),
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("hrgate.test", 80),
        "root_path": "",
    }
    await app(scope, receive, send)


async def test_options_advertise_the_protocol_and_the_cap(gql, http):
    invited = await invited_candidate(gql)
    response = await http.options(f"/interview/{invited.token}/answers/{invited.question_ids[0]}/uploads")
    assert response.status_code == 204
    assert response.headers["tus-version"] == "1.0.0"
    assert set(response.headers["tus-extension"].split(",")) == {"creation", "termination"}
    assert int(response.headers["tus-max-size"]) == get_settings().max_upload_bytes


async def test_a_dropped_upload_resumes_from_the_bytes_that_arrived(gql, http, test_media):
    invited = await invited_candidate(gql)
    await give_consent(gql, invited.token)
    recording = test_media.face_video_mp4.read_bytes()
    created = await open_session(http, invited.token, invited.question_ids[0], len(recording))
    assert created.status_code == 201, created.text
    location = created.headers["location"]
    assert location.startswith(f"/interview/{invited.token}/uploads/")

    first_part = recording[: len(recording) // 3]
    await dropped_patch(location, 0, first_part, len(recording))
    assert await offset_of(http, location) == len(first_part)  # kept, not thrown away

    stale = await patch(http, location, 0, recording)  # a client that restarts from zero is told where to go on
    assert stale.status_code == 409
    assert int(stale.headers["upload-offset"]) == len(first_part)

    middle = len(recording) * 2 // 3
    response = await patch(http, location, len(first_part), recording[len(first_part) : middle])
    assert response.status_code == 204
    assert int(response.headers["upload-offset"]) == middle
    finished = await patch(http, location, middle, recording[middle:])
    assert finished.status_code == 204, finished.text
    assert finished.headers["upload-sha256"] == hashlib.sha256(recording).hexdigest()
    assert await offset_of(http, location) == len(recording)  # a client whose last answer was lost sees it done

    view = (await gql(INVITATION, token=invited.token))["invitation"]
    answered = {question["questionId"]: question for question in view["questions"]}[invited.question_ids[0]]
    assert answered["answered"] is True
    assert answered["answerBytes"] == len(recording)
    assert answered["answerContentType"] == "video/mp4"
    assert view["status"] == "IN_PROGRESS"
    assert not list((get_settings().data_dir / "resumable-uploads").glob("*.part"))  # the partial bytes are gone


async def test_a_session_is_reached_only_with_its_own_token(gql, http, test_media):
    model_owner = await invited_candidate(gql)
    other = await invited_candidate(gql)
    await give_consent(gql, model_owner.token)
    recording = test_media.english_relevant_wav.read_bytes()
    location = (await open_session(http, model_owner.token, model_owner.question_ids[0], len(recording))).headers[
        "location"
    ]
    upload_id = location.rsplit("/", 1)[1]
    foreign = f"/interview/{other.token}/uploads/{upload_id}"
    assert (await http.head(foreign, headers=TUS)).status_code == 404
    assert (await patch(http, foreign, 0, recording)).status_code == 404
    assert await offset_of(http, location) == 0


@pytest.mark.parametrize(
    ("case", "status", "code"),
    [
        ("forged", 401, "INVITATION_INVALID"),
        ("no_consent", 403, "CONSENT_REQUIRED"),
        ("too_large", 413, "UPLOAD_TOO_LARGE"),
        ("empty", 400, "EMPTY_UPLOAD"),
    ],
)
async def test_a_session_is_refused_before_any_byte_is_sent(gql, http, case, status, code):
    invited = await invited_candidate(gql)
    if case != "no_consent":
        await give_consent(gql, invited.token)
    token = "forged-" + invited.token[7:] if case == "forged" else invited.token
    length = {"too_large": get_settings().max_upload_bytes + 1, "empty": 0}.get(case, 1000)
    response = await open_session(http, token, invited.question_ids[0], length)
    assert response.status_code == status, response.text
    assert [error["code"] for error in response.json()["errors"]] == [code]
    assert "location" not in response.headers


async def test_protocol_violations_are_refused(gql, http, test_media):
    invited = await invited_candidate(gql)
    await give_consent(gql, invited.token)
    recording = test_media.english_relevant_wav.read_bytes()
    endpoint = f"/interview/{invited.token}/answers/{invited.question_ids[0]}/uploads"
    assert (await http.post(endpoint, headers={"Upload-Length": "10"})).status_code == 412  # no Tus-Resumable
    assert (await http.post(endpoint, headers=TUS)).status_code == 400  # no Upload-Length
    location = (await open_session(http, invited.token, invited.question_ids[0], len(recording))).headers["location"]
    wrong_type = await http.patch(
        location, content=recording, headers={**TUS, "Content-Type": "video/webm", "Upload-Offset": "0"}
    )
    assert wrong_type.status_code == 415
    too_much = await patch(http, location, 0, recording + b"extra")
    assert too_much.status_code == 400
    assert await offset_of(http, location) == len(recording)  # only the declared bytes were kept


async def test_a_refused_recording_ends_its_session_and_links_nothing(gql, http, test_media):
    invited = await invited_candidate(gql)
    await give_consent(gql, invited.token)
    garbage = test_media.garbage_webm.read_bytes()
    location = (await open_session(http, invited.token, invited.question_ids[0], len(garbage))).headers["location"]
    response = await patch(http, location, 0, garbage)
    assert response.status_code == 415
    assert [error["code"] for error in response.json()["errors"]] == ["UNSUPPORTED_MEDIA"]
    assert (await http.head(location, headers=TUS)).status_code == 404
    view = (await gql(INVITATION, token=invited.token))["invitation"]
    assert [question["answered"] for question in view["questions"]] == [False] * len(view["questions"])


async def test_an_abandoned_session_can_be_deleted(gql, http, test_media):
    invited = await invited_candidate(gql)
    await give_consent(gql, invited.token)
    recording = test_media.english_relevant_wav.read_bytes()
    location = (await open_session(http, invited.token, invited.question_ids[0], len(recording))).headers["location"]
    assert (await patch(http, location, 0, recording[:1000])).status_code == 204
    assert (await http.delete(location, headers=TUS)).status_code == 204
    assert (await http.head(location, headers=TUS)).status_code == 404


async def test_a_second_writer_waits_and_a_day_old_session_is_swept(gql, http, test_media):
    invited = await invited_candidate(gql)
    await give_consent(gql, invited.token)
    recording = test_media.english_relevant_wav.read_bytes()
    location = (await open_session(http, invited.token, invited.question_ids[0], len(recording))).headers["location"]
    folder = get_settings().data_dir / "resumable-uploads"
    meta_path = folder / f"{location.rsplit('/', 1)[1]}.json"
    with meta_path.open("rb") as held:  # another request is writing this upload
        fcntl.flock(held, fcntl.LOCK_EX)
        assert (await patch(http, location, 0, recording)).status_code == 423  # tus clients retry on 423
    assert await offset_of(http, location) == 0

    day_old = time.time() - 25 * 3600
    for path in (meta_path, meta_path.with_suffix(".part")):
        os.utime(path, (day_old, day_old))
    await open_session(http, invited.token, invited.question_ids[0], len(recording))  # opening one sweeps
    assert not meta_path.exists() and not meta_path.with_suffix(".part").exists()
    assert (await http.head(location, headers=TUS)).status_code == 404
