"""Browser tests: Playwright drives Debian's Chromium (``/usr/bin/chromium``; Playwright never downloads a
browser here) against a real ``hrgate serve`` process with its embedded worker, serving the built pages.

Chromium's fake capture devices play a video and an audio file the tests make: the project's face video
frames (NASA's public-domain portrait, as in ``tests/pipeline/media_factory.py``) written as ``.y4m``, and
espeak-ng speech resampled by sox to 48 kHz ``.wav``. Screenshots and accessibility reports are written to
``test-artifacts/browser/`` (``HRGATE_TEST_ARTIFACTS`` moves it).

These tests run once, on SQLite (``make test-sqlite``): what they check is the page and the HTTP/websocket
contract, which does not depend on the database (``make test-postgresql`` leaves ``tests/browser`` out).
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import pytest

from tests import processes

REPO = Path(__file__).resolve().parents[2]
WEB_DIST = REPO / "web" / "dist"
AXE_SCRIPT = REPO / "web" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(os.environ.get("HRGATE_TEST_ARTIFACTS", REPO / "test-artifacts")) / "browser"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
]
VIDEO_SIZE = (320, 240)
VIDEO_FPS = 15


@dataclass(frozen=True)
class FakeMedia:
    video_y4m: Path
    audio_wav: Path


def write_y4m(target: Path, frames: list, fps: int = VIDEO_FPS) -> Path:
    """Raw YUV 4:2:0 frames in a YUV4MPEG2 file, the format Chromium's fake camera reads."""
    width, height = VIDEO_SIZE
    with target.open("wb") as output:
        output.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for frame in frames:
            resized = cv2.resize(frame, VIDEO_SIZE, interpolation=cv2.INTER_AREA)
            output.write(b"FRAME\n")
            output.write(cv2.cvtColor(resized, cv2.COLOR_RGB2YUV_I420).tobytes())
    return target


@pytest.fixture(scope="session")
def fake_media(test_media, tmp_path_factory: pytest.TempPathFactory) -> FakeMedia:
    from tests.pipeline.media_factory import face_frames

    folder = tmp_path_factory.mktemp("fake-devices")
    audio = folder / "answer-48k.wav"
    subprocess.run(
        ["sox", str(test_media.english_relevant_wav), "-r", "48000", "-c", "1", "-b", "16", str(audio)], check=True
    )
    return FakeMedia(video_y4m=write_y4m(folder / "face.y4m", face_frames(4 * VIDEO_FPS)), audio_wav=audio)


def gateway_environment() -> dict[str, str]:
    """The test database and data folder, the embedded worker and pub/sub, and this checkout's code."""
    env = {key: value for key, value in os.environ.items() if key not in ("HRGATE_BROKER_URL", "HRGATE_PUBSUB_URL")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


@pytest.fixture(scope="module")
def gateway_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``hrgate serve`` (embedded worker, in-process pub/sub) on the test database."""
    assert (WEB_DIST / "index.html").is_file(), "web/dist is not built: run `make install` (npm ci && npm run build)"
    assert AXE_SCRIPT.is_file(), "web/node_modules is missing: run `make install` (npm ci)"
    log = tmp_path_factory.mktemp("gateway") / "gateway.log"
    with processes.gateway(gateway_environment(), log) as base_url:
        yield base_url


@pytest.fixture(scope="module")
async def playwright_driver() -> AsyncIterator:
    from playwright.async_api import async_playwright

    async with async_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
async def chromium(playwright_driver, fake_media: FakeMedia) -> AsyncIterator:
    """Chromium with the fake camera and microphone, permission granted as if the candidate clicked Allow."""
    browser = await playwright_driver.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=[
            *CHROMIUM_FLAGS,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={fake_media.video_y4m}",
            f"--use-file-for-fake-audio-capture={fake_media.audio_wav}",
            "--autoplay-policy=no-user-gesture-required",
        ],
    )
    yield browser
    await browser.close()


@pytest.fixture(scope="module")
async def chromium_without_permission(playwright_driver, fake_media: FakeMedia) -> AsyncIterator:
    """Chromium whose camera prompt is refused (no fake-UI consent: headless Chromium denies the prompt)."""
    browser = await playwright_driver.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=[
            *CHROMIUM_FLAGS,
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={fake_media.video_y4m}",
        ],
    )
    yield browser
    await browser.close()


async def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path


async def assert_accessible(page, name: str) -> None:
    """axe-core (from web/node_modules, injected into the page): no serious or critical violation."""
    await page.add_script_tag(path=str(AXE_SCRIPT))
    result = await page.evaluate("async () => await axe.run(document, { resultTypes: ['violations'] })")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"{name}.axe.json").write_text(json.dumps(result["violations"], indent=2, ensure_ascii=False))
    serious = [
        (violation["id"], violation["help"], [node["target"] for node in violation["nodes"]])
        for violation in result["violations"]
        if violation["impact"] in ("serious", "critical")
    ]
    assert serious == [], serious
