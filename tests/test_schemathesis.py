"""Schemathesis against a live app on loopback (PostgreSQL in CI, SQLite otherwise), with a token
of each role over every operation: no server error, every answer of a documented status, media
type and schema; and a stateful run that follows the document's links (open → request → approve)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from apiclient import make_token

#: Examples per operation: enough to reach every operation's rules, short enough for CI.
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "10"))
#: Fixed, so a failure in CI is reproduced by running the same test again.
SEED = os.environ.get("SCHEMATHESIS_SEED", "20261128")
CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,"
          "response_schema_conformance,response_headers_conformance")
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
#: Every role fuzzes and follows links; the supervisor, who may do the most, also runs the
#: boundary values of every parameter (the coverage phase, the slowest).
ROLES = {"ivy": "examples,fuzzing,stateful", "ana": "examples,fuzzing,stateful",
         "leo": "examples,fuzzing,stateful", "sue": "examples,coverage,fuzzing,stateful",
         "aud": "examples,fuzzing,stateful", "adm": "examples,fuzzing,stateful"}


@pytest.mark.postgres_when_available
@pytest.mark.parametrize("username", list(ROLES))
def test_schemathesis_finds_no_fault(live_server, db, cast, make_case, username, tmp_path, backend):
    make_case()  # one case on ivy's team, so that reads find something
    secret = make_token(db, cast[username])
    result = subprocess.run(
        [str(SCHEMATHESIS), "run", f"{live_server}/api/v1/openapi.json",
         "--header", f"Authorization: Bearer {secret}", "--checks", CHECKS,
         "--phases", ROLES[username], "--max-examples", str(MAX_EXAMPLES), "--seed", SEED,
         "--no-color", "--report-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
        env={**os.environ, "SCHEMATHESIS_HOOKS": ""})
    summary = result.stdout[result.stdout.rfind("SUMMARY"):]
    print(f"--- Schemathesis as {username} ({backend}) ---\n{summary}")
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "Stateful" in summary and " passed" in summary
