"""An idle gateway holds no scientific or model library: they load in the code that uses them, on first use.

Each check runs in a fresh interpreter (this test process has long since imported everything).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

HEAVY_MODULES = (
    "numpy",
    "scipy",
    "av",
    "matplotlib",
    "ctranslate2",
    "torch",
    "sklearn",
    "cv2",
    "mediapipe",
    "sentence_transformers",
    "faster_whisper",
)

_IDLE_GATEWAY = """
import json, sys, time
from starlette.testclient import TestClient

HEAVY = {heavy!r}
import gateway.app

after_import = [name for name in HEAVY if name in sys.modules]
with TestClient(gateway.app.create_app()) as client:  # the embedded default: lifespan starts the Dramatiq worker
    health = client.get("/healthz").status_code
    typename = client.post("/graphql", json={{"query": "{{ __typename }}"}}).json()["data"]
    time.sleep(1.5)  # the worker's threads are up and polling their queues
    idle = [name for name in HEAVY if name in sys.modules]
print(json.dumps({{"after_import": after_import, "idle": idle, "health": health, "typename": typename}}))
"""


def _run(script: str, data_dir: Path) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith("HRGATE_")}
    env["HRGATE_DATA_DIR"] = str(data_dir)
    completed = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_idle_gateway_with_embedded_worker_imports_no_scientific_or_model_library(tmp_path):
    result = _run(_IDLE_GATEWAY.format(heavy=HEAVY_MODULES), tmp_path)
    assert result["health"] == 200 and result["typename"] == {"__typename": "Query"}
    assert result["after_import"] == []
    assert result["idle"] == []


def test_the_code_that_computes_loads_its_libraries_on_first_use(tmp_path):
    """The lazy imports are real imports: the first chart, statistic or scoring job brings its library in."""
    script = """
import json, sys
import gateway.app
from resolvers.analytics.statistics import distribution
from resolvers.charts import render_radar
loaded = {}
summary = distribution([50.0, 70.0, 90.0])
loaded["numpy"] = "numpy" in sys.modules and summary.median == 70.0
png = render_radar([("沟通", "Communication", 80.0), ("逻辑", "Logic", 60.0), ("学习", "Learning", None)], language="en", fmt="png")
loaded["matplotlib"] = "matplotlib" in sys.modules and png.startswith(b"\\x89PNG")
import workers.scoring
loaded["av"] = "av" in sys.modules and "faster_whisper" in sys.modules
print(json.dumps(loaded))
"""
    assert _run(script, tmp_path) == {"numpy": True, "matplotlib": True, "av": True}


IDLE_RSS_MAX_MIB = 130
"""118.4 MiB measured before the outbox and webhooks (issue 14), 120.0 after; 125.8 with the training catalogue,
development plans and candidate e-mails too (issue 13): the tables' mappers and some sixty GraphQL types and
inputs, no new library at idle (numpy, scipy, boto3 and the model libraries stay unloaded)."""


def test_idle_embedded_gateway_stays_under_its_memory_budget(tmp_path):
    """``hrgate serve`` with nothing configured (SQLite, demo data, in-process worker), idle after its first
    ``/healthz``: migrations and the demo load run in a child process, no model library is loaded."""
    from tests import processes

    port = processes.free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("HRGATE_")}
    env["HRGATE_DATA_DIR"] = str(tmp_path)
    log = tmp_path / "serve.log"
    server = processes.start([str(processes.BIN / "hrgate"), "serve", "--port", str(port)], env, log)
    try:
        processes.wait_ready(f"http://127.0.0.1:{port}", server, log)
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
        time.sleep(2)
        status = Path(f"/proc/{server.pid}/status").read_text()
        rss_mib = int(next(line for line in status.splitlines() if line.startswith("VmRSS:")).split()[1]) / 1024
    finally:
        processes.stop(server)
    assert rss_mib <= IDLE_RSS_MAX_MIB, f"idle gateway uses {rss_mib:.1f} MiB"


def test_start_up_objects_are_frozen_out_of_the_collectors_sight(tmp_path):
    """A full collection walks every tracked object (≈ 200,000 after start-up: 200-500 ms pauses under load).
    After start-up they are frozen: an idle gateway leaves the collector a few hundred to walk."""
    script = """
import gc, json, time
from starlette.testclient import TestClient
import gateway.app
with TestClient(gateway.app.create_app()) as client:
    client.get("/healthz")
    time.sleep(0.5)
    print(json.dumps({"frozen": gc.get_freeze_count(), "tracked": len(gc.get_objects())}))
"""
    counts = _run(script, tmp_path)
    assert counts["frozen"] > 50_000, counts
    assert counts["tracked"] < 10_000 and counts["tracked"] * 20 < counts["frozen"], counts
