"""Exports, signed checkpoints and the offline verifier: every tampering is caught, at its seq."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from config import PROJECT_ROOT
from workflow import audit, audit_log, checkpoints
from workflow.audit import Actor
from workflow.audit_chain import chain_hash
from workflow.audit_verify import main as verify_offline
from workflow.checkpoints import Checkpoint, generate_keys, load_private_key, sign

EVENTS = 120


@pytest.fixture
def keys(tmp_path):
    private_pem, public_pem = generate_keys()
    (tmp_path / "pub.pem").write_bytes(public_pem)
    return load_private_key(private_pem), tmp_path / "pub.pem"


@pytest.fixture
def exported(db, runner, keys, tmp_path):
    """120 events with a checkpoint at seq 100, exported; returns (export path, checkpoints path)."""
    private_key, _ = keys
    actor = Actor(3, "ivy", ("investigator",))
    for n in range(EVENTS):
        with db.transaction() as session:
            audit.append(session, "note", actor, case_id=n % 7 + 1, details={"n": n, "text": "ب" * (n % 5)})
        if n + 1 == 100:
            with db.transaction() as session:
                audit_log.make_checkpoint(session, private_key)
    export = tmp_path / "log.jsonl"
    result = runner.invoke(args=["audit", "export", "--format", "jsonl", "--output", str(export)])
    assert result.exit_code == 0 and f"exported {EVENTS} events" in result.output
    with db.sessions() as session:
        kept = audit_log.checkpoints(session)
    points = tmp_path / "checkpoints.jsonl"
    points.write_text("".join(c.to_json() + "\n" for c in kept))
    return export, points


def verify(capsys, export, public_key, points=None) -> tuple[int, str]:
    argv = [str(export), "--public-key", str(public_key)] + (["--checkpoints", str(points)] if points else [])
    code = verify_offline(argv)
    captured = capsys.readouterr()
    return code, (captured.out + captured.err).strip()


def lines(path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


def test_an_untouched_export_verifies(exported, keys, capsys):
    export, points = exported
    code, output = verify(capsys, export, keys[1], points)
    assert code == 0 and output.startswith(f"OK {EVENTS} events head=") and "1 checkpoints verified" in output


@pytest.mark.parametrize("line", [1, 50, EVENTS])
@pytest.mark.parametrize("field", ["seq", "prev_hash", "hash", "payload"])
def test_changing_any_field_of_any_line_fails_at_its_seq(exported, keys, capsys, tmp_path, line, field):
    export, _ = exported
    content = lines(export)
    event = json.loads(content[line - 1])
    event[field] = {"seq": line + 1000, "prev_hash": "1" * 64, "hash": "2" * 64,
                    "payload": event["payload"].replace('"n":', '"m":')}[field]
    content[line - 1] = json.dumps(event, ensure_ascii=False) + "\n"
    export.write_text("".join(content), encoding="utf-8")
    code, output = verify(capsys, export, keys[1])
    assert code == 1 and output.startswith(f"BROKEN at seq {line}:"), output


@pytest.mark.parametrize("change, at", [("delete", 40), ("swap", 40), ("insert", 41)])
def test_deleting_swapping_or_inserting_a_line_fails_at_the_right_seq(exported, keys, capsys, change, at):
    export, _ = exported
    content = lines(export)
    if change == "delete":
        del content[39]
    elif change == "swap":
        content[39], content[40] = content[40], content[39]
    else:
        content.insert(40, content[39])
    export.write_text("".join(content), encoding="utf-8")
    code, output = verify(capsys, export, keys[1])
    assert code == 1 and output.startswith(f"BROKEN at seq {at}:"), output


def test_tail_truncation_fails_against_the_checkpoint(exported, keys, capsys):
    export, points = exported
    export.write_text("".join(lines(export)[:90]), encoding="utf-8")
    assert verify(capsys, export, keys[1])[0] == 0  # consistent as far as it goes...
    code, output = verify(capsys, export, keys[1], points)
    assert code == 1 and output == "BAD checkpoint 1 (seq 100): the export ends at seq 90, before the checkpoint"


def test_a_full_rewrite_from_seq_10_is_consistent_but_fails_against_an_earlier_checkpoint(
        exported, keys, capsys):
    export, points = exported
    content = [json.loads(line) for line in lines(export)]
    prev_hash = content[8]["hash"]
    for event in content[9:]:  # seq 10 on, rewritten with a consistent chain
        event["payload"] = event["payload"].replace('"actor_username":"ivy"', '"actor_username":"eve"')
        event["prev_hash"], event["hash"] = prev_hash, chain_hash(prev_hash, event["payload"])
        prev_hash = event["hash"]
    export.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in content), encoding="utf-8")
    assert verify(capsys, export, keys[1])[0] == 0
    code, output = verify(capsys, export, keys[1], points)
    assert code == 1 and output == "BAD checkpoint 1 (seq 100): the chain's hash at seq 100 is not the signed head"


def flip(text: str) -> str:
    return ("B" if text[5] != "B" else "C").join((text[:5], text[6:]))


def test_bad_checkpoints_are_rejected(exported, keys, capsys, tmp_path):
    export, points = exported
    private_key, public_key = keys
    good = Checkpoint.from_json(points.read_text())
    other_private, other_public = generate_keys()
    (tmp_path / "other.pem").write_bytes(other_public)
    later = sign(private_key, 110, json.loads(lines(export)[109])["hash"], "2030-01-01T00:00:00.000000Z")
    earlier_time = sign(private_key, 110, later.head, "2000-01-01T00:00:00.000000Z")
    cases = {
        "bit in the signature": ([Checkpoint(good.seq, good.head, good.at, good.key_id, flip(good.signature))],
                                 public_key, "bad signature"),
        "bit in the head": ([Checkpoint(good.seq, flip(good.head), good.at, good.key_id, good.signature)],
                            public_key, "bad signature"),
        "wrong key": ([good], tmp_path / "other.pem", f"unknown key id {good.key_id}"),
        "unknown key id": ([Checkpoint(good.seq, good.head, good.at, "0" * 16, good.signature)],
                           public_key, "unknown key id 0000000000000000"),
        "decreasing seq": ([later, good], public_key, "seq and time must increase"),
        "decreasing time": ([good, earlier_time], public_key, "seq and time must increase"),
    }
    for name, (points_list, key_path, reason) in cases.items():
        points.write_text("".join(c.to_json() + "\n" for c in points_list))
        code, output = verify(capsys, export, key_path, points)
        assert code == 1 and output.startswith("BAD checkpoint") and reason in output, (name, output)
    points.write_text(good.to_json() + "\n" + later.to_json() + "\n")
    assert verify(capsys, export, public_key, points)[0] == 0


def test_checkpoints_only_increase(db, keys):
    with db.transaction() as session:
        audit.append(session, "note", None)
    with db.transaction() as session:
        audit_log.make_checkpoint(session, keys[0])
    with pytest.raises(Exception, match="No new events since the checkpoint at seq 1"):
        with db.transaction() as session:
            audit_log.make_checkpoint(session, keys[0])


def test_offline_verifier_runs_where_flask_and_sqlalchemy_cannot_be_imported(exported, keys, tmp_path):
    export, points = exported
    blocked = tmp_path / "blocked"
    blocked.mkdir()
    for name in ("flask", "sqlalchemy", "werkzeug", "alembic", "models", "views"):
        (blocked / f"{name}.py").write_text(f"raise ImportError('{name} is not available here')\n")
    env = {**os.environ, "PYTHONPATH": f"{blocked}{os.pathsep}{PROJECT_ROOT}"}
    result = subprocess.run([sys.executable, "-m", "workflow.audit_verify", str(export), "--public-key",
                             str(keys[1]), "--checkpoints", str(points)],
                            capture_output=True, text=True, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"OK {EVENTS} events") and result.stderr == ""
    probe = subprocess.run([sys.executable, "-c", "import flask"], capture_output=True, text=True,
                           env=env, cwd=tmp_path)
    assert "flask is not available here" in probe.stderr


def test_cli_checkpoint_needs_a_key_and_keygen_writes_a_pair(runner, app, tmp_path):
    result = runner.invoke(args=["audit", "checkpoint"])
    assert result.exit_code == 1 and "set AUDIT_SIGNING_KEY" in result.output
    result = runner.invoke(args=["audit", "keygen", "--out", str(tmp_path / "keys")])
    assert result.exit_code == 0
    private = tmp_path / "keys" / "audit-signing.pem"
    assert oct(private.stat().st_mode & 0o777) == "0o600"
    key = checkpoints.load_private_key(private.read_bytes())
    assert checkpoints.key_id(key.public_key()) in result.output
    assert runner.invoke(args=["audit", "keygen", "--out", str(tmp_path / "keys")]).exit_code == 1


def test_a_case_export_verifies_as_partial_and_still_catches_a_changed_line(exported, runner, keys,
                                                                           capsys, tmp_path):
    _, points = exported
    case_export = tmp_path / "case3.jsonl"
    assert runner.invoke(args=["audit", "export", "--output", str(case_export), "--case", "3"]).exit_code == 0
    code, output = verify(capsys, case_export, keys[1])
    assert code == 1 and output.startswith("BROKEN at seq 1:")  # not the whole log
    argv = [str(case_export), "--public-key", str(keys[1]), "--checkpoints", str(points), "--partial"]
    assert verify_offline(argv) == 0
    assert capsys.readouterr().out.startswith("OK (partial) 17 events up to seq 115; 1 checkpoint")
    content = lines(case_export)
    event = json.loads(content[5])
    event["payload"] = event["payload"].replace('"n":', '"m":')
    content[5] = json.dumps(event, ensure_ascii=False) + "\n"
    case_export.write_text("".join(content), encoding="utf-8")
    assert verify_offline(argv) == 1
    assert capsys.readouterr().err.startswith(f"BROKEN at seq {event['seq']}: hash does not match")
