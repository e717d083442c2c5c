"""The ``hrgate`` command as a newcomer runs it: a real process on a fresh SQLite file."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

HRGATE = str(Path(sys.executable).parent / "hrgate")


def _fresh_env(tmp_path: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("HRGATE_")}
    env["HRGATE_DATA_DIR"] = str(tmp_path / "var")
    return env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_migrate_creates_the_embedded_database(tmp_path):
    result = subprocess.run([HRGATE, "migrate"], env=_fresh_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "var" / "hrgate.db").is_file()
    assert "database at head" in result.stdout


def test_worker_refuses_to_start_without_a_broker(tmp_path):
    result = subprocess.run([HRGATE, "worker"], env=_fresh_env(tmp_path), capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "HRGATE_BROKER_URL" in result.stderr


def _client_add(env: dict[str, str], *scopes: str) -> tuple[str, str]:
    command = [HRGATE, "client-add", "erp"] + [item for scope in scopes for item in ("--scope", scope)]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(": ", 1) for line in result.stdout.splitlines() if ": " in line)
    return lines["client_id"], lines["client_secret"]


def test_client_add_refuses_unknown_scopes_and_stores_no_secret(tmp_path):
    env = _fresh_env(tmp_path)
    refused = subprocess.run(
        [HRGATE, "client-add", "erp", "--scope", "everything:write"], env=env, capture_output=True, text=True
    )
    assert refused.returncode == 2 and "unknown scope" in refused.stderr
    _client_id, secret = _client_add(env, "kpi:write")
    stored = (tmp_path / "var" / "oauth-clients.json").read_text()
    assert secret not in stored and "pbkdf2_sha256$" in stored


def test_serve_with_no_configuration_answers_graphql_with_demo_data(tmp_path):
    port = _free_port()
    env = _fresh_env(tmp_path)
    client_id, secret = _client_add(env, "requisitions:read")
    server = subprocess.Popen(
        [HRGATE, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, server.stdout.read()
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "gateway did not become ready"
            time.sleep(0.5)
        token = httpx.post(
            f"{base}/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret), timeout=10
        ).json()["access_token"]
        response = httpx.post(
            f"{base}/graphql",
            headers={"authorization": f"Bearer {token}"},
            json={
                "query": "{ requisitions(first: 10) { totalCount edges { node { title competencyModelVersion "
                "{ dimensions { edges { node { key weight } } } } } } } }"
            },
            timeout=10,
        )
        requisitions = response.json()["data"]["requisitions"]
        assert requisitions["totalCount"] >= 3
        weights = {
            edge["node"]["key"]: edge["node"]["weight"]
            for requisition in requisitions["edges"]
            for edge in requisition["node"]["competencyModelVersion"]["dimensions"]["edges"]
        }
        assert weights["numeracy"] == 0.4 and weights["service"] == 0.3 and weights["risk_awareness"] == 0.3
    finally:
        server.terminate()
        server.wait(timeout=30)
