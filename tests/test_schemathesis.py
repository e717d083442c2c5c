"""Schemathesis fuzzes the live GraphQL API with a valid HR token: no generated operation may fail on the server.

Every query and mutation of the published schema gets generated inputs (random
strings, numbers, global IDs, nested selections); expected failures must come back
as validation errors or typed payload errors, never as resolver failures.
"""

from __future__ import annotations

import subprocess

from tests import processes
from tests.tokens import hr_admin_headers

EXAMPLES_PER_OPERATION = 15
SEED = 20261125


def test_no_server_errors_under_schemathesis(tmp_path):
    import os

    env = {**os.environ, "HRGATE_RATE_LIMIT_PER_MINUTE": "1000000"}  # the fuzzer is one principal sending fast
    with processes.gateway(env, tmp_path / "gateway.log") as base_url:
        result = subprocess.run(
            [
                str(processes.BIN / "schemathesis"),
                "run",
                f"{base_url}/graphql",
                "--checks",
                "not_a_server_error",
                "--max-examples",
                str(EXAMPLES_PER_OPERATION),
                "--seed",
                str(SEED),
                "--exclude-name",
                "Mutation.interviewAnswerUpload",  # Upload scalar: covered by the upload tests
                "-H",
                f"Authorization:{hr_admin_headers()['authorization']}",
            ],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
            cwd=tmp_path,
        )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
