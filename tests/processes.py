"""Real gateway and worker processes for multi-process tests, cleaned up whatever happens."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    """Start in its own process group, so a SIGKILL reaches every process it forked. The processes import this
    checkout's code (``PYTHONPATH``), not whichever checkout the shared virtual environment was installed from."""
    env = {**env, "PYTHONPATH": os.pathsep.join(part for part in (str(REPO), env.get("PYTHONPATH")) if part)}
    return subprocess.Popen(command, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)


def kill_hard(process: subprocess.Popen) -> None:
    """SIGKILL the whole group: like a machine losing power, no clean-up runs."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            kill_hard(process)


def wait_ready(base_url: str, process: subprocess.Popen, log: Path, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        assert process.poll() is None, log.read_text(errors="replace")
        try:
            if httpx.get(f"{base_url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, log.read_text(errors="replace")
        time.sleep(0.3)


@contextmanager
def gateway(env: dict[str, str], log: Path) -> Iterator[str]:
    """``hrgate serve`` on a free port; yields its base URL."""
    port = free_port()
    process = start([str(BIN / "hrgate"), "serve", "--port", str(port), "--no-demo"], env, log)
    try:
        base_url = f"http://127.0.0.1:{port}"
        wait_ready(base_url, process, log)
        yield base_url
    finally:
        stop(process)
