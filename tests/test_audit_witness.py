"""The witness: it accepts only a log that grew consistently, and never forgets what it saw."""
from __future__ import annotations

import http.server
import subprocess
import sys
import threading

import pytest
from sqlalchemy import text

from config import PROJECT_ROOT
from models import AuditCosignature
from workflow import audit, log_keys, notes, transparency
from workflow.audit_witness import main as run_witness

WITNESS = "witness.test"


@pytest.fixture
def witness_files(tmp_path):
    private_pem, public_pem = log_keys.generate_keys()
    path = tmp_path / "witness.pem"
    path.write_bytes(private_pem)
    return path, log_keys.load_public_key(public_pem)


@pytest.fixture
def extra_config(log_key_files, witness_files):
    vkey = notes.verifier_key(WITNESS, witness_files[1], notes.COSIGNATURE_V1)
    return {"AUDIT_SIGNING_KEY": str(log_key_files[0]), "AUDIT_CHECKPOINT_SECONDS": 0,
            "AUDIT_LOG_ORIGIN": "restraint.test/audit", "AUDIT_WITNESS_KEYS": vkey}


def grow(db, count: int) -> None:
    """`count` write transactions; with AUDIT_CHECKPOINT_SECONDS=0 each signs a checkpoint."""
    for n in range(count):
        with db.transaction() as session:
            audit.append(session, "note", audit.SYSTEM, case_id=1, details={"n": n})


@pytest.fixture
def run(live_server, log_key_files, witness_files, tmp_path, capsys):
    """Run the witness CLI against the live app; returns (exit code, its one line)."""
    def run(url: str = live_server, log_key=log_key_files[1], cosign: bool = False) -> tuple[int, str]:
        argv = [url, "--log-key", str(log_key), "--state", str(tmp_path / "state")]
        if cosign:
            argv += ["--witness-key", str(witness_files[0]), "--name", WITNESS]
        code = run_witness(argv)
        captured = capsys.readouterr()
        return code, (captured.out + captured.err).strip()
    return run


def state(tmp_path) -> bytes:
    return (tmp_path / "state" / "checkpoint").read_bytes()


def test_consistent_growth_is_accepted_and_cosigned(db, run, tmp_path):
    grow(db, 3)
    assert run(cosign=True) == (0, "OK checkpoint 3 of restraint.test/audit, the first this witness "
                                   "has seen; cosigned as witness.test")
    grow(db, 40)
    assert run(cosign=True) == (0, "OK checkpoint 43 of restraint.test/audit, consistent with the 3 "
                                   "events accepted before; cosigned as witness.test")
    assert state(tmp_path).startswith(b"restraint.test/audit\n43\n")
    with db.sessions() as session:
        stored = session.query(AuditCosignature).all()
        assert [c.witness for c in stored] == [WITNESS, WITNESS]
        assert transparency.latest_witnessed(session).seq == 43


def test_the_same_checkpoint_twice_is_accepted(db, run):
    grow(db, 2)
    assert run()[0] == 0
    assert run() == (0, "OK checkpoint 2 of restraint.test/audit, consistent with the 2 events "
                        "accepted before")


def insider(db, *statements: str, **values) -> None:
    """As the database's superuser would: triggers off, then change what the log holds."""
    with db.engine.begin() as connection:
        for table in ("audit_events", "audit_tree", "audit_checkpoints"):
            if db.is_postgresql:
                connection.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER ALL"))
            else:
                for verb in ("update", "delete"):
                    connection.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_{verb}"))
        for statement in statements:
            connection.execute(text(statement), values)


def witnessed_then_cut_back(db, run, tmp_path) -> bytes:
    """10 events a witness accepted, then the log cut back to 6 by an insider; the kept state."""
    grow(db, 10)
    assert run()[0] == 0
    insider(db, "DELETE FROM audit_events WHERE seq > 6", "DELETE FROM audit_tree WHERE seq > 6",
            "DELETE FROM audit_checkpoints WHERE seq > 6")
    return state(tmp_path)


@pytest.mark.both_databases
def test_a_rolled_back_log_is_refused_and_the_state_kept(db, run, tmp_path):
    kept = witnessed_then_cut_back(db, run, tmp_path)
    assert run() == (1, "ROLLBACK: the log shrank from 10 to 6 events")
    assert state(tmp_path) == kept


@pytest.mark.both_databases
def test_a_forked_log_is_refused_and_the_state_kept(db, run, tmp_path):
    kept = witnessed_then_cut_back(db, run, tmp_path)
    grow(db, 9)  # another history from seq 7 on, signed with the log's own key
    assert run() == (1, "FORK: the tree of 15 events does not contain the tree of 10 events this "
                        "witness accepted (the log was rewritten)")
    assert state(tmp_path) == kept


def test_a_bad_signature_and_a_wrong_key_are_refused(db, run, runner, tmp_path):
    grow(db, 4)
    assert run()[0] == 0
    kept = state(tmp_path)
    grow(db, 1)
    other = tmp_path / "other.pub.pem"
    other.write_bytes(log_keys.generate_keys()[1])
    assert run(log_key=other) == (1, "BAD SIGNATURE: no signature by restraint.test/audit")
    with db.sessions() as session:
        note = transparency.latest_checkpoint(session).note
    body, signatures = notes.parse(note)
    line = signatures[0].line
    forged = body + "\n" + line[:-6] + ("A" if line[-6] != "A" else "B") + line[-5:]
    insider(db, "UPDATE audit_checkpoints SET note = :note WHERE seq = 5", note=forged)
    assert run() == (1, "BAD SIGNATURE: bad signature by restraint.test/audit")
    assert state(tmp_path) == kept
    verified = runner.invoke(args=["audit", "verify"])
    assert verified.exit_code == 1
    assert verified.output.strip() == "BROKEN checkpoint of size 5: bad signature by restraint.test/audit"


class _Truncated(http.server.BaseHTTPRequestHandler):
    """A server that sends half of a real checkpoint."""

    note = b""

    def do_GET(self):
        self.send_response(200)
        self.end_headers()
        self.wfile.write(self.note[:len(self.note) // 2])

    def log_message(self, *args):
        pass


def test_a_truncated_response_and_a_server_down_are_refused(db, run, tmp_path):
    grow(db, 2)
    assert run()[0] == 0
    kept = state(tmp_path)
    _Truncated.note = kept
    server = http.server.HTTPServer(("127.0.0.1", 0), _Truncated)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        code, line = run(url=f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        server.server_close()
    assert code == 1 and line.startswith("BAD RESPONSE: not a checkpoint note")
    code, line = run(url=f"http://127.0.0.1:{server.server_port}")  # now closed
    assert code == 1 and line.startswith(f"UNREACHABLE: http://127.0.0.1:{server.server_port}/audit/checkpoint")
    assert state(tmp_path) == kept


def test_the_witness_runs_without_the_app(db, live_server, log_key_files, tmp_path):
    grow(db, 1)
    blocked = tmp_path / "blocked"
    blocked.mkdir()
    for name in ("flask", "sqlalchemy", "models", "views"):
        (blocked / f"{name}.py").write_text(f"raise ImportError('{name} is not available here')\n")
    result = subprocess.run(
        [sys.executable, "-m", "workflow.audit_witness", live_server, "--log-key", str(log_key_files[1]),
         "--state", str(tmp_path / "state")], capture_output=True, text=True, cwd=tmp_path,
        env={"PYTHONPATH": f"{blocked}:{PROJECT_ROOT}", "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("OK checkpoint 1 of restraint.test/audit")
