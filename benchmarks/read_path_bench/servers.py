"""Starting and stopping the two systems: hrgate in production mode with a real RS256 token from a test
identity provider (JWKS file), and PostGraphile installed with ``npm ci``; both behind one ``Server`` handle
that posts GraphQL and fails with a clear message on HTTP or GraphQL errors."""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from joserfc import jwt
from joserfc.jwk import RSAKey

from .errors import BenchmarkError
from .layout import NODE, POSTGRAPHILE_DIR, POSTGRAPHILE_VERSION, RESULTS_DIR, ROOT
from .queries import FLOOR
from .tree import hrgate_environment

ISSUER = "https://idp.bench.example"
AUDIENCE = "hrgate"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    name: str
    url: str
    process: subprocess.Popen[bytes]
    headers: dict[str, str] = field(default_factory=dict)
    log_path: Path | None = None

    @property
    def pid(self) -> int:
        return self.process.pid

    def post(self, client: httpx.Client, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = client.post(self.url, json={"query": query, "variables": variables or {}}, headers=self.headers)
        if response.status_code != 200:
            raise BenchmarkError(f"{self.name} answered HTTP {response.status_code}: {response.text[:500]}")
        body = response.json()
        if body.get("errors"):
            raise BenchmarkError(f"{self.name} answered errors: {json.dumps(body['errors'])[:1000]}")
        return body["data"]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _wait_ready(server: Server, probe: str, deadline_seconds: float = 90) -> None:
    deadline = time.monotonic() + deadline_seconds
    with httpx.Client(timeout=5) as client:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                raise BenchmarkError(f"{server.name} exited with {server.process.returncode}; see {server.log_path}")
            try:
                if client.get(probe).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.3)
    raise BenchmarkError(f"{server.name} did not start within {deadline_seconds:.0f} s; see {server.log_path}")


@dataclass
class Identity:
    """A test identity provider: an RSA key whose public half hrgate reads from a JWKS file."""

    directory: Path
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, auto_kid=True))

    @property
    def jwks_path(self) -> Path:
        path = self.directory / "jwks.json"
        if not path.exists():
            path.write_text(json.dumps({"keys": [self.key.as_dict(private=False)]}))
        return path

    def hr_admin_token(self) -> str:
        now = int(time.time())
        claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "bench-hr-admin", "iat": now, "exp": now + 4 * 3600,
                  "jti": uuid.uuid4().hex, "roles": ["hr_admin"], "email": "hr.admin@bank.example"}  # fmt: skip
        return jwt.encode({"alg": "RS256", "kid": self.key.kid}, claims, self.key, algorithms=["RS256"])


def start_hrgate(args: argparse.Namespace, identity: Identity, log_path: Path) -> Server:
    port = free_port()
    environment = hrgate_environment(args)
    environment.update(
        HRGATE_ENVIRONMENT="production",
        HRGATE_DATABASE_URL=f"postgresql+asyncpg://{args.pg_address}/{args.database}",
        HRGATE_BROKER_URL=args.broker_url,  # production: a separate worker; nothing is enqueued here
        HRGATE_DATA_DIR=str(identity.directory / "hrgate-data"),
        HRGATE_PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        HRGATE_JWKS_PATH=str(identity.jwks_path),
        HRGATE_JWT_ISSUER=ISSUER,
        HRGATE_JWT_AUDIENCE=AUDIENCE,
        HRGATE_RATE_LIMIT_PER_MINUTE="100000000",
    )
    command = [str(ROOT / ".venv" / "bin" / "hrgate"), "serve", "--host", "127.0.0.1", "--port", str(port)]
    with log_path.open("ab") as log:
        process = subprocess.Popen(command, cwd=args.hrgate_tree, env=environment, stdout=log, stderr=subprocess.STDOUT)
    server = Server("hrgate", f"http://127.0.0.1:{port}/graphql", process, log_path=log_path)
    server.headers = {"Authorization": f"Bearer {identity.hr_admin_token()}"}
    _wait_ready(server, f"http://127.0.0.1:{port}/healthz")
    return server


def install_postgraphile() -> Path:
    cli = POSTGRAPHILE_DIR / "node_modules" / "postgraphile" / "cli.js"
    installed = POSTGRAPHILE_DIR / "node_modules" / "postgraphile" / "package.json"
    if not installed.exists() or json.loads(installed.read_text())["version"] != POSTGRAPHILE_VERSION:
        print(f"npm ci: PostGraphile {POSTGRAPHILE_VERSION} into {POSTGRAPHILE_DIR.relative_to(ROOT)}/")
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=POSTGRAPHILE_DIR, check=True)
    return cli


def start_postgraphile(args: argparse.Namespace, cli: Path, log_path: Path) -> Server:
    port = free_port()
    command = [NODE, str(cli), "-c", f"postgres://{args.pg_address}/{args.database}", "--host", "127.0.0.1",
               "--port", str(port), "--disable-graphiql"]  # fmt: skip
    environment = dict(os.environ, NODE_ENV="production")
    with log_path.open("ab") as log:
        process = subprocess.Popen(command, cwd=POSTGRAPHILE_DIR, env=environment, stdout=log, stderr=subprocess.STDOUT)
    server = Server(f"PostGraphile {POSTGRAPHILE_VERSION}", f"http://127.0.0.1:{port}/graphql", process)
    server.log_path = log_path
    deadline = time.monotonic() + 60
    with httpx.Client(timeout=5) as client:
        while True:
            if process.poll() is not None:
                raise BenchmarkError(f"PostGraphile exited with {process.returncode}; see {log_path}")
            try:
                server.post(client, FLOOR)
                return server
            except (httpx.TransportError, BenchmarkError):
                if time.monotonic() > deadline:
                    raise BenchmarkError(f"PostGraphile did not start within 60 s; see {log_path}") from None
                time.sleep(0.3)


class Servers:
    """One hrgate and one PostGraphile process; started together, stopped together (also on errors)."""

    def __init__(self, args: argparse.Namespace, identity: Identity, cli: Path, stamp: str) -> None:
        self.args, self.identity, self.cli = args, identity, cli
        self.logs = {name: RESULTS_DIR / f"{stamp}-{name}.log" for name in ("hrgate", "postgraphile")}
        self.running: list[Server] = []

    def __enter__(self) -> tuple[Server, Server]:
        try:
            self.running.append(start_hrgate(self.args, self.identity, self.logs["hrgate"]))
            self.running.append(start_postgraphile(self.args, self.cli, self.logs["postgraphile"]))
        except BaseException:
            self.__exit__()
            raise
        return self.running[0], self.running[1]

    def __exit__(self, *_exception: object) -> None:
        for server in self.running:
            server.stop()
        self.running.clear()
