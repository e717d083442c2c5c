"""The candidate's interview page in real Chromium, from the link ``interviewInvite`` returns to the scored
result: consent, camera, recording with MediaRecorder, resumable upload across a network cut, submit,
live status over graphql-transport-ws, the explanation and the human-review request; both languages,
a phone, the link's failure states, and an axe-core scan of every state."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest
from playwright.async_api import expect

from gateway.db import unit_of_work
from gateway.models import Application, Interview, Requisition
from gateway.models.base import utcnow
from tests import factories, processes
from tests.browser.conftest import assert_accessible, gateway_environment, screenshot
from tests.db_helpers import fetch, node_id
from tests.interview_helpers import INVITATION, invited_candidate, teller_model
from tests.tokens import hr_admin_headers

pytestmark = pytest.mark.browser

CHUNK_BYTES = 256 * 1024  # web/src/candidate/upload.ts
RECORD_SECONDS = 9
PHONE = {"width": 390, "height": 844}


async def allow_candidate_reports(application_id: str) -> None:
    application = await fetch(Application, application_id)
    async with unit_of_work() as uow:
        requisition = await uow.session.get(Requisition, application.requisition_id)
        requisition.candidate_report_visible = True
        uow.session.add(requisition)


async def record(page, *, start: str, stop: str, playback: str, seconds: float = RECORD_SECONDS) -> None:
    """Record one answer from the fake camera; the countdown must run while recording."""
    await page.get_by_role("button", name=start).click()
    countdown = page.get_by_test_id("countdown")
    await expect(countdown).to_be_visible()
    first = await countdown.inner_text()
    await page.wait_for_timeout(seconds * 1000)
    assert await countdown.inner_text() != first  # the countdown runs
    await page.get_by_role("button", name=stop).click()
    await expect(page.get_by_label(playback)).to_be_visible()


async def test_a_candidate_takes_the_interview_and_sees_it_scored_live(gql, gateway_url, chromium):
    invited = await invited_candidate(gql, await factories.create_model(gql))  # three competencies, one question each
    await allow_candidate_reports(invited.application_id)
    context = await chromium.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = await context.new_page()
    status_frames: list[str] = []
    page.on("websocket", lambda socket: socket.on("framereceived", lambda frame: status_frames.append(frame)))
    graphql_posts: list[str] = []
    page.on(
        "request",
        lambda request: graphql_posts.append(request.post_data or "")
        if request.url.endswith("/graphql") and request.method == "POST"
        else None,
    )

    await page.goto(f"{gateway_url}/interview/{invited.token}?lang=en")
    await expect(page.get_by_role("heading", name="Before you start: how your interview is used")).to_be_visible()
    await page.get_by_role("button", name="切换到中文").click()
    await expect(page.get_by_role("heading", name="开始之前：您的面试将如何被使用")).to_be_visible()
    assert await page.evaluate("document.documentElement.lang") == "zh-CN"
    await page.get_by_role("button", name="Switch to English").click()
    await assert_accessible(page, "en-notice")
    await screenshot(page, "en-1-notice")

    await page.get_by_role("button", name="Continue").click()  # without the required consent: refused on the page
    await expect(page.get_by_text("To take part, you need to agree")).to_be_visible()
    await page.get_by_label("I agree that my recorded answers are analysed by AI").check()
    await page.get_by_role("button", name="Continue").click()

    await expect(page.get_by_label("Camera", exact=True)).to_be_visible()
    await expect(page.get_by_label("Camera", exact=True).locator("option")).not_to_have_count(0)
    await expect(page.get_by_label("Microphone").locator("option")).not_to_have_count(0)
    await expect(page.get_by_text("Question 1 of 3")).to_be_visible()
    await expect(page.get_by_text("Time limit: 2:00")).to_be_visible()
    await assert_accessible(page, "en-question")
    await screenshot(page, "en-2-question")

    # Record, watch, record again, then upload with the network cut mid-upload.
    await record(page, start="Start recording", stop="Stop recording", playback="Your recording", seconds=3)
    await page.get_by_role("button", name="Record again").click()
    await record(page, start="Start recording", stop="Stop recording", playback="Your recording")
    await screenshot(page, "en-3-playback")

    upload_requests: list[tuple[str, int | None]] = []
    cut = asyncio.Event()

    async def cut_the_second_chunk(route, request) -> None:
        offset = request.headers.get("upload-offset")
        upload_requests.append((request.method, int(offset) if offset is not None else None))
        if request.method == "PATCH" and not cut.is_set() and int(offset or 0) > 0:
            cut.set()
            await context.set_offline(True)
            await route.abort("internetdisconnected")
            return
        await route.continue_()

    await page.route("**/interview/*/uploads/*", cut_the_second_chunk)
    await page.get_by_role("button", name="Upload this answer").click()
    await expect(page.get_by_text("The connection was lost")).to_be_visible(timeout=30_000)
    await screenshot(page, "en-4-upload-offline")
    sent_before_the_cut = int((await page.get_by_test_id("upload-percent").inner_text()).rstrip("%"))
    assert 0 < sent_before_the_cut < 100
    await context.set_offline(False)
    await expect(page.get_by_text("Uploaded", exact=True)).to_be_visible(timeout=60_000)
    await expect(page.get_by_test_id("upload-percent")).to_have_text("100%")
    patches = [offset for method, offset in upload_requests if method == "PATCH"]
    cut_at = patches[1]
    assert cut_at == CHUNK_BYTES, upload_requests
    after_cut = upload_requests[upload_requests.index(("PATCH", cut_at)) + 1 :]
    assert after_cut[0] == ("HEAD", None)  # asked the server how much arrived…
    assert after_cut[1] == ("PATCH", cut_at)  # …and went on from there, not from zero
    assert [offset for method, offset in upload_requests if method == "PATCH"].count(0) == 1
    await page.unroute("**/interview/*/uploads/*")
    await expect(page.get_by_test_id("answer-state")).to_have_text("Answered")

    for number in (2, 3):
        await page.get_by_role("button", name="Next question").click()
        await expect(page.get_by_text(f"Question {number} of 3")).to_be_visible()
        await record(page, start="Start recording", stop="Stop recording", playback="Your recording", seconds=5)
        await page.get_by_role("button", name="Upload this answer").click()
        await expect(page.get_by_text("Uploaded", exact=True)).to_be_visible(timeout=60_000)
    await expect(page.get_by_text("When every question is answered, submit.")).to_be_visible()

    view = (await gql(INVITATION, token=invited.token))["invitation"]
    assert [question["answered"] for question in view["questions"]] == [True, True, True]
    assert {question["answerContentType"] for question in view["questions"]} == {"video/webm"}

    await page.get_by_role("button", name="Submit interview").dblclick()  # a double click submits once
    live_status = page.get_by_test_id("live-status")
    await expect(live_status).to_be_visible(timeout=30_000)
    await screenshot(page, "en-5-status-live")
    await expect(live_status).to_have_text("Analysed", timeout=400_000)
    await expect(page.get_by_test_id("link-used")).to_have_count(0)  # just submitted here: not "already used"
    assert sum('"CandidateSubmit"' in body or "interviewSubmit(" in body for body in graphql_posts) == 1
    events = [json.loads(frame) for frame in status_frames if isinstance(frame, str)]
    statuses = [event["payload"]["data"]["interviewStatus"]["status"] for event in events if event["type"] == "next"]
    assert statuses[-1] == "SCORED" and "SCORING" in statuses, statuses  # arrived live over the websocket
    scored = [event["payload"]["data"]["interviewStatus"] for event in events if event["type"] == "next"][-1]
    assert scored["answersScored"] == scored["answersTotal"] == 3

    explanation = page.get_by_test_id("explanation")
    await expect(explanation.get_by_role("heading", name="Your result in plain words")).to_be_visible(timeout=30_000)
    await expect(explanation.get_by_role("heading", name="Your scores")).to_be_visible()
    await expect(explanation.get_by_role("img", name="Radar chart of your scores by competency")).to_be_visible()
    await expect(explanation.get_by_role("row")).to_have_count(3)
    total = await page.get_by_test_id("own-total").inner_text()
    assert total == "not enough evidence" or 0 <= float(total) <= 100
    await page.get_by_label("Your message").fill("Please check question 2: the microphone was far away.")
    await page.get_by_role("button", name="Request a human review").click()
    await expect(page.get_by_test_id("review-sent")).to_contain_text("open")
    await assert_accessible(page, "en-scored")
    await screenshot(page, "en-6-scored")

    # The link again, after use: the page says it was used, and shows the result (no second submission).
    await page.reload()
    await expect(page.get_by_test_id("link-used")).to_be_visible()
    await expect(page.get_by_test_id("live-status")).to_have_text("Analysed")
    await context.close()


async def test_a_phone_in_chinese_and_a_failed_upload_tried_again(gql, gateway_url, chromium):
    invited = await invited_candidate(gql, await teller_model(gql))
    context = await chromium.new_context(bypass_csp=True, viewport=PHONE, is_mobile=True, has_touch=True)
    page = await context.new_page()
    await page.goto(f"{gateway_url}/interview/{invited.token}?lang=zh")
    await expect(page.get_by_role("heading", name="开始之前：您的面试将如何被使用")).to_be_visible()
    assert await page.evaluate("document.documentElement.lang") == "zh-CN"
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways scrolling
    await assert_accessible(page, "zh-phone-notice")
    await screenshot(page, "zh-phone-1-notice")
    await page.get_by_label("我同意由 AI 分析我录制的回答").check()
    await page.get_by_label("我另外同意进行面部和声音分析").check()
    await page.get_by_role("button", name="继续").click()
    await expect(page.get_by_text("第 1 题，共 1 题")).to_be_visible()
    view = (await gql(INVITATION, token=invited.token))["invitation"]
    assert view["consent"] == {"aiProcessing": True, "biometric": True}

    await record(page, start="开始录制", stop="停止录制", playback="您的录像", seconds=4)

    async def server_unreachable(route) -> None:
        await route.abort("connectionrefused")

    await page.route("**/interview/*/answers/*/uploads", server_unreachable)
    await page.get_by_role("button", name="上传此回答").click()
    await expect(page.get_by_text("录像上传失败。")).to_be_visible(timeout=60_000)  # after the retries
    await expect(page.get_by_label("您的录像")).to_be_visible()  # nothing lost: the recording is still there
    await expect(page.get_by_text("无法连接服务器。请检查网络后重新上传")).to_be_visible()
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    await assert_accessible(page, "zh-phone-upload-failed")
    await screenshot(page, "zh-phone-2-upload-failed")
    await page.unroute("**/interview/*/answers/*/uploads")
    await page.get_by_role("button", name="重新上传").click()
    await expect(page.get_by_text("已上传", exact=True)).to_be_visible(timeout=60_000)
    await expect(page.get_by_test_id("answer-state")).to_have_text("已回答")
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    await screenshot(page, "zh-phone-3-uploaded")
    await context.close()


async def test_the_link_states_are_explained(gql, gateway_url, chromium, chromium_without_permission):
    expired = await invited_candidate(gql)
    async with unit_of_work() as uow:
        interview = await uow.session.get(Interview, node_id(expired.interview_id))
        interview.expires_at = utcnow() - timedelta(hours=1)
        uow.session.add(interview)
    context = await chromium.new_context(bypass_csp=True)
    page = await context.new_page()
    await page.goto(f"{gateway_url}/interview/{expired.token}?lang=en")
    await expect(page.get_by_test_id("link-problem")).to_have_attribute("data-reason", "INVITATION_EXPIRED")
    await expect(page.get_by_text("This interview link has expired.")).to_be_visible()
    await screenshot(page, "en-link-expired")
    await page.goto(f"{gateway_url}/interview/forged-{expired.token[7:]}?lang=zh")
    await expect(page.get_by_test_id("link-problem")).to_have_attribute("data-reason", "INVITATION_INVALID")
    await expect(page.get_by_text("此面试链接无效。")).to_be_visible()
    await assert_accessible(page, "zh-link-invalid")
    await screenshot(page, "zh-link-invalid")
    await context.close()

    invited = await invited_candidate(gql)
    denied = await chromium_without_permission.new_context(bypass_csp=True)
    page = await denied.new_page()
    await page.goto(f"{gateway_url}/interview/{invited.token}?lang=en")
    await page.get_by_label("I agree that my recorded answers are analysed by AI").check()
    await page.get_by_role("button", name="Continue").click()
    problem = page.get_by_test_id("device-problem")
    await expect(problem).to_have_attribute("data-problem", "denied", timeout=30_000)
    await expect(page.get_by_text("The browser did not allow the camera and microphone.")).to_be_visible()
    await expect(page.get_by_role("button", name="Start recording")).to_be_disabled()
    await assert_accessible(page, "en-camera-denied")
    await screenshot(page, "en-camera-denied")
    await denied.close()


async def test_a_recording_over_the_cap_is_refused_with_a_reason(gql, chromium, tmp_path):
    """A gateway whose upload cap (200 kB) is below a few seconds of video: refused when the upload opens."""
    invited = await invited_candidate(gql, await teller_model(gql))
    env = gateway_environment()
    env["HRGATE_MAX_UPLOAD_BYTES"] = str(200_000)
    with processes.gateway(env, tmp_path / "gateway.log") as base_url:
        context = await chromium.new_context(bypass_csp=True)
        page = await context.new_page()
        await page.goto(f"{base_url}/interview/{invited.token}?lang=en")
        await page.get_by_label("I agree that my recorded answers are analysed by AI").check()
        await page.get_by_role("button", name="Continue").click()
        await record(page, start="Start recording", stop="Stop recording", playback="Your recording", seconds=5)
        await page.get_by_role("button", name="Upload this answer").click()
        await expect(page.get_by_text("The recording is too large. Record a shorter answer.")).to_be_visible()
        await expect(page.get_by_role("button", name="Retry the upload")).to_have_count(0)  # retrying cannot help
        await expect(page.get_by_role("button", name="Record again")).to_be_visible()
        await screenshot(page, "en-upload-too-large")
        await context.close()
    view = (await gql(INVITATION, token=invited.token))["invitation"]
    assert [question["answered"] for question in view["questions"]] == [False]


async def test_graphiql_renders_without_leaving_the_origin(gateway_url, chromium):
    context = await chromium.new_context()
    page = await context.new_page()
    elsewhere: list[str] = []
    page.on(
        "request",
        lambda request: None
        if request.url.startswith((gateway_url, "data:", "blob:"))
        else elsewhere.append(request.url),
    )
    await page.goto(f"{gateway_url}/graphql")
    await expect(page.locator(".graphiql-container")).to_be_visible()
    await expect(page.get_by_role("button", name="Execute query (Ctrl-Enter)")).to_be_visible()
    # A first query as the README describes it: the bearer token in the Headers pane.
    headers = json.dumps(hr_admin_headers())
    await expect(page.locator(".graphiql-query-editor")).to_contain_text("requisitions(first: 5)")  # hrgate's own
    await page.locator(".graphiql-editor-tool .graphiql-editor:visible").click()
    await page.keyboard.insert_text(headers)
    await page.get_by_role("button", name="Execute query (Ctrl-Enter)").click()
    await expect(page.locator(".graphiql-response")).to_contain_text('"totalCount"')
    assert elsewhere == []  # nothing from a CDN: it works on an air-gapped network
    await screenshot(page, "graphiql")
    await context.close()
