"""Exports, signed checkpoints and the offline verifier: every tampering is caught, at its seq."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from config import PROJECT_ROOT
from webclient import post
from workflow import audit, log_keys, notes
from workflow.audit import Actor
from workflow.audit_chain import chain_hash
from workflow.audit_verify import main as verify_offline

EVENTS = 120
ACTOR = Actor(3, "ivy", ("investigator",))


@pytest.fixture
def extra_config(log_key_files):
    # Checkpoints only at the first write and by hand: the test decides where they fall.
    return {"AUDIT_SIGNING_KEY": str(log_key_files[0]), "AUDIT_CHECKPOINT_SECONDS": 10 ** 6,
            "AUDIT_CHECKPOINT_EVENTS": 10 ** 6, "AUDIT_LOG_ORIGIN": "restraint.test/audit"}


@pytest.fixture
def public_key(log_key_files):
    return log_key_files[1]


@pytest.fixture
def exported(db, runner, tmp_path):
    """120 events over 7 cases, signed at seq 1 (first write) and 100; (export, checkpoints)."""
    for n in range(EVENTS):
        with db.transaction() as session:
            audit.append(session, "note", ACTOR, case_id=n % 7 + 1, details={"n": n, "text": "ب" * (n % 5)})
        if n + 1 == 100:
            assert runner.invoke(args=["audit", "checkpoint"]).exit_code == 0
    export, points = tmp_path / "log.jsonl", tmp_path / "checkpoints.jsonl"
    result = runner.invoke(args=["audit", "export", "--format", "jsonl", "--output", str(export)])
    assert result.exit_code == 0 and f"exported {EVENTS + 1} events" in result.output  # + the export's own
    result = runner.invoke(args=["audit", "checkpoints", "--output", str(points)])
    assert result.exit_code == 0 and "exported 2 checkpoints" in result.output
    return export, points


def verify(capsys, export, public_key, points=None, partial=False) -> tuple[int, str]:
    argv = [str(export), "--public-key", str(public_key)] + (["--checkpoints", str(points)] if points else [])
    code = verify_offline(argv + (["--partial"] if partial else []))
    captured = capsys.readouterr()
    return code, (captured.out + captured.err).strip()


def lines(path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


def write(path, content: list[str]) -> None:
    path.write_text("".join(content), encoding="utf-8")


def test_an_untouched_export_verifies(exported, public_key, capsys):
    export, points = exported
    code, output = verify(capsys, export, public_key, points)
    assert code == 0 and output.startswith(f"OK {EVENTS + 1} events head=")
    assert output.endswith("2 checkpoints verified")


@pytest.mark.parametrize("line", [1, 50, EVENTS])
@pytest.mark.parametrize("field", ["seq", "prev_hash", "hash", "payload"])
def test_changing_any_field_of_any_line_fails_at_its_seq(exported, public_key, capsys, line, field):
    export, _ = exported
    content = lines(export)
    event = json.loads(content[line - 1])
    event[field] = {"seq": line + 1000, "prev_hash": "1" * 64, "hash": "2" * 64,
                    "payload": event["payload"].replace('"n":', '"m":')}[field]
    content[line - 1] = json.dumps(event, ensure_ascii=False) + "\n"
    write(export, content)
    code, output = verify(capsys, export, public_key)
    assert code == 1 and output.startswith(f"BROKEN at seq {line}:"), output


@pytest.mark.parametrize("change, at", [("delete", 40), ("swap", 40), ("insert", 41)])
def test_deleting_swapping_or_inserting_a_line_fails_at_the_right_seq(exported, public_key, capsys,
                                                                      change, at):
    export, _ = exported
    content = lines(export)
    if change == "delete":
        del content[39]
    elif change == "swap":
        content[39], content[40] = content[40], content[39]
    else:
        content.insert(40, content[39])
    write(export, content)
    code, output = verify(capsys, export, public_key)
    assert code == 1 and output.startswith(f"BROKEN at seq {at}:"), output


def test_tail_truncation_fails_against_the_checkpoint(exported, public_key, capsys):
    export, points = exported
    write(export, lines(export)[:90])
    assert verify(capsys, export, public_key)[0] == 0  # consistent as far as it goes...
    code, output = verify(capsys, export, public_key, points)
    assert code == 1 and output == ("BAD checkpoint 2 (size 100): the export ends at seq 90, before the "
                                    "checkpoint (events were removed from the end of the log)")


def rewrite_from(content: list[str], seq: int) -> list[str]:
    """A consistent rewrite of the chain from `seq` on: another actor everywhere, all hashes redone."""
    events = [json.loads(line) for line in content]
    prev_hash = events[seq - 2]["hash"]
    case_heads = {}
    for event in events[:seq - 1]:
        case_heads[json.loads(event["payload"])["case_id"]] = event["hash"]
    for event in events[seq - 1:]:
        document = json.loads(event["payload"])
        document["actor_username"] = "eve"
        if document.get("case_id") is not None:
            document["case_prev"] = case_heads.get(document["case_id"], "0" * 64)
        event["payload"] = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        event["prev_hash"], event["hash"] = prev_hash, chain_hash(prev_hash, event["payload"])
        prev_hash = case_heads[document.get("case_id")] = event["hash"]
    return [json.dumps(e, ensure_ascii=False) + "\n" for e in events]


def test_a_consistent_rewrite_from_seq_10_fails_against_an_earlier_checkpoint(exported, public_key, capsys):
    export, points = exported
    write(export, rewrite_from(lines(export), 10))
    assert verify(capsys, export, public_key)[0] == 0  # the chain alone cannot tell
    code, output = verify(capsys, export, public_key, points)
    assert code == 1 and output == ("BAD checkpoint 2 (size 100): the Merkle root of the export at size "
                                    "100 is not the signed root")


def test_bad_checkpoints_are_rejected(exported, public_key, capsys, tmp_path):
    export, points = exported
    first, second = (json.loads(line) for line in lines(points))
    other = tmp_path / "other.pub.pem"
    other.write_bytes(log_keys.generate_keys()[1])
    body, signatures = notes.parse(second["note"])
    line = signatures[0].line
    flipped = line[:-6] + ("A" if line[-6] != "A" else "B") + line[-5:]
    cases = {
        "bit in the signature": ([first, dict(second, note=body + "\n" + flipped)], public_key,
                                 "bad signature"),
        "size in the note": ([first, dict(second, note=second["note"].replace("\n100\n", "\n101\n"))],
                             public_key, "bad signature"),
        "wrong key": ([first, second], other, "no signature by restraint.test/audit"),
        "decreasing sizes": ([second, first], public_key, "sizes must increase"),
    }
    for name, (records, key_path, reason) in cases.items():
        write(points, [json.dumps(r) + "\n" for r in records])
        code, output = verify(capsys, export, key_path, points)
        assert code == 1 and output.startswith("BAD checkpoint") and reason in output, (name, output)


def test_offline_verifier_runs_where_flask_and_sqlalchemy_cannot_be_imported(exported, public_key, tmp_path):
    export, points = exported
    blocked = tmp_path / "blocked"
    blocked.mkdir()
    for name in ("flask", "sqlalchemy", "werkzeug", "alembic", "models", "views"):
        (blocked / f"{name}.py").write_text(f"raise ImportError('{name} is not available here')\n")
    env = {**os.environ, "PYTHONPATH": f"{blocked}{os.pathsep}{PROJECT_ROOT}"}
    result = subprocess.run([sys.executable, "-m", "workflow.audit_verify", str(export), "--public-key",
                             str(public_key), "--checkpoints", str(points)],
                            capture_output=True, text=True, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"OK {EVENTS + 1} events") and result.stderr == ""
    probe = subprocess.run([sys.executable, "-c", "import flask"], capture_output=True, text=True,
                           env=env, cwd=tmp_path)
    assert "flask is not available here" in probe.stderr


# --- a case's export proves itself ------------------------------------------------------------

@pytest.fixture
def case_export(exported, runner, tmp_path):
    """Case 3's events with their inclusion proofs, ending with the checkpoint made for the export."""
    path = tmp_path / "case3.jsonl"
    result = runner.invoke(args=["audit", "export", "--output", str(path), "--case", "3"])
    assert result.exit_code == 0 and "exported 18 events" in result.output, result.output
    return path


def test_a_case_export_verifies_offline_and_says_what_it_does_not_cover(case_export, public_key, capsys):
    code, output = verify(capsys, case_export, public_key, partial=True)
    assert code == 0, output
    assert output.startswith("OK (partial) 18 events (seq 3-122, case 3), each included in the signed tree "
                             "of size 122 of restraint.test/audit")
    assert "events after seq 122 are not covered by this export" in output
    assert json.loads(lines(case_export)[-1])["checkpoint"].startswith("restraint.test/audit\n122\n")


def edit_event(path, index: int, change) -> dict:
    content = lines(path)
    event = json.loads(content[index])
    change(event)
    content[index] = json.dumps(event, ensure_ascii=False) + "\n"
    write(path, content)
    return event


def test_a_changed_event_of_a_case_fails(case_export, public_key, capsys):
    event = edit_event(case_export, 5, lambda e: e.update(payload=e["payload"].replace('"n":', '"m":')))
    code, output = verify(capsys, case_export, public_key, partial=True)
    assert code == 1 and output.startswith(f"BROKEN at seq {event['seq']}: hash does not match")


def test_a_removed_event_of_a_case_fails(case_export, public_key, capsys):
    content = lines(case_export)
    removed = json.loads(content.pop(6))
    write(case_export, content)
    code, output = verify(capsys, case_export, public_key, partial=True)
    after = json.loads(content[6])["seq"]
    assert removed["seq"] < after
    assert code == 1 and output.startswith(f"BROKEN at seq {after}: the case's previous event"), output


def test_reordered_or_inserted_events_of_a_case_fail(case_export, exported, public_key, capsys):
    content = lines(case_export)
    content[3], content[4] = content[4], content[3]
    write(case_export, content)
    assert verify(capsys, case_export, public_key, partial=True)[0] == 1
    content[3], content[4] = content[4], content[3]
    foreign = next(line for line in lines(exported[0]) if '\\"case_id\\":4,' in line)
    seq = json.loads(foreign)["seq"]
    position = next(i for i, line in enumerate(content) if json.loads(line).get("seq", 0) > seq)
    write(case_export, content[:position] + [foreign] + content[position:])
    code, output = verify(capsys, case_export, public_key, partial=True)
    assert code == 1 and output.startswith(f"BROKEN at seq {seq}"), output


def test_an_event_outside_the_signed_tree_fails(case_export, public_key, capsys):
    event = edit_event(case_export, 2, lambda e: e.update(proof=e["proof"][:-1] + ["00" * 32]))
    code, output = verify(capsys, case_export, public_key, partial=True)
    assert code == 1 and output == (f"BROKEN at seq {event['seq']}: the event is not in the signed tree "
                                    f"of size 122")


def test_removing_the_first_events_of_a_case_fails(case_export, public_key, capsys):
    write(case_export, lines(case_export)[2:])
    code, output = verify(capsys, case_export, public_key, partial=True)
    assert code == 1 and "events of its case before it are missing" in output


def test_an_export_stripped_of_its_checkpoint_says_it_is_not_proven(case_export, public_key, capsys):
    write(case_export, lines(case_export)[:-1])
    code, output = verify(capsys, case_export, public_key, partial=True)
    assert code == 0 and "NOT PROVEN" in output


def test_keygen_writes_the_log_pair_and_a_witness_pair(runner, tmp_path):
    result = runner.invoke(args=["audit", "keygen", "--out", str(tmp_path / "keys")])
    assert result.exit_code == 0
    private = tmp_path / "keys" / "audit-signing.pem"
    assert oct(private.stat().st_mode & 0o777) == "0o600"
    key = log_keys.load_private_key(private.read_bytes())
    assert notes.verifier_key("restraint.test/audit", key.public_key()) in result.output
    result = runner.invoke(args=["audit", "keygen", "--out", str(tmp_path / "keys"),
                                 "--witness", "witness.example.org"])
    assert result.exit_code == 0
    witness = log_keys.load_private_key((tmp_path / "keys" / "witness.example.org.pem").read_bytes())
    vkey = notes.verifier_key("witness.example.org", witness.public_key(), notes.COSIGNATURE_V1)
    assert vkey in result.output
    again = runner.invoke(args=["audit", "keygen", "--out", str(tmp_path / "keys")])
    assert again.exit_code == 1 and "exists already" in again.output


@pytest.mark.parametrize("extra_config", [{}])
def test_cli_checkpoint_needs_a_key(runner, db):
    with db.transaction() as session:
        audit.append(session, "note", None)
    result = runner.invoke(args=["audit", "checkpoint"])
    assert result.exit_code == 1 and "set AUDIT_SIGNING_KEY" in result.output


def test_the_case_download_proves_itself_too(exported, client, auth, cast, public_key, tmp_path,
                                            capsys, make_case):
    for _ in range(3):  # the viewer downloads only a case that exists: case 3 of the notes
        make_case(staffed=False)
    auth.login("aud")
    response = post(client, "/audit/export", {"format": "jsonl", "case": "3"})
    assert response.status_code == 200
    path = tmp_path / "download.jsonl"
    path.write_bytes(response.get_data())
    code, output = verify(capsys, path, public_key, partial=True)
    # 17 notes, the case opened and the download itself
    assert code == 0 and output.startswith("OK (partial) 19 events"), output
    assert "each included in the signed tree" in output
