"""The tamper matrix: an insider with the database (triggers off) against verify, offline and witness.

Every attack is caught by at least one of `audit verify`, the offline verifier and a witness
that cosigned an earlier checkpoint; the only change none can see is to events after the last
checkpoint a witness saw, and `audit verify` reports that tail.
"""
from __future__ import annotations

import pytest
from sqlalchemy import text

from models.audit_schema import AUDIT_TABLES
from models.database import Database
from workflow import audit, audit_log, log_keys, notes, transparency
from workflow.audit import Actor
from workflow.audit_verification import verify_log
from workflow.audit_verify import main as verify_offline
from workflow.audit_witness import Refused, witness

IVY, EVE = Actor(3, "ivy", ("investigator",)), Actor(9, "eve", ("investigator",))
AUDITOR = Actor(None, "system", ("auditor",))
EVENTS, CHECKPOINT = 30, 20
WITNESS = "witness.test"


@pytest.fixture
def witness_key():
    return log_keys.load_private_key(log_keys.generate_keys()[0])


@pytest.fixture
def extra_config(log_key_files, witness_key):
    vkey = notes.verifier_key(WITNESS, witness_key.public_key(), notes.COSIGNATURE_V1)
    return {"AUDIT_SIGNING_KEY": str(log_key_files[0]), "AUDIT_CHECKPOINT_SECONDS": 10 ** 6,
            "AUDIT_CHECKPOINT_EVENTS": 10 ** 6, "AUDIT_LOG_ORIGIN": "restraint.test/audit",
            "AUDIT_WITNESS_KEYS": vkey}


def append(db, count: int, actor: Actor = IVY, start: int = 0) -> None:
    for n in range(start, start + count):
        with db.transaction() as session:
            audit.append(session, "note", actor, case_id=n % 4 + 1, details={"n": n})


@pytest.fixture
def log(db, live_server, log_key_files, witness_key, tmp_path):
    """30 events; checkpoints at 1 and 20, the one at 20 cosigned by a witness; 10 events after it."""
    append(db, CHECKPOINT)
    with db.transaction() as session:
        transparency.make_checkpoint(session, db.info["log_keys"])
    public_key = log_keys.load_public_key(log_key_files[1].read_bytes())
    state = tmp_path / "witness"
    assert witness(live_server, public_key, state, witness_key, WITNESS).startswith("OK checkpoint 20")
    append(db, EVENTS - CHECKPOINT, start=CHECKPOINT)
    return {"url": live_server, "public_key": public_key, "state": state}


@pytest.fixture
def insider(database_url):
    """The database as its superuser sees it: the append-only triggers switched off."""
    database = Database(database_url)
    with database.engine.begin() as connection:
        for table in AUDIT_TABLES:
            if database.is_postgresql:
                connection.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER ALL"))
            else:
                for verb in ("update", "delete"):
                    connection.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_{verb}"))
    yield database
    database.dispose()


def sql(insider: Database, *statements: str, **values) -> None:
    with insider.engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement), values)


def delete_from(insider: Database, seq: int) -> None:
    sql(insider, f"DELETE FROM audit_events WHERE seq >= {seq}", f"DELETE FROM audit_tree WHERE seq >= {seq}")


def rewrite_from(insider: Database, seq: int) -> None:
    """Replace every event from `seq` on with others, chained and hashed as the app would."""
    delete_from(insider, seq)
    append(insider, EVENTS - seq + 1, actor=EVE, start=seq)


def resign(db, insider: Database, keep_below: int) -> None:
    """Drop the checkpoints from `keep_below` on, then sign the forged log with the stolen key."""
    sql(insider, f"DELETE FROM audit_cosignatures WHERE checkpoint_id IN "
                 f"(SELECT id FROM audit_checkpoints WHERE seq >= {keep_below})",
        f"DELETE FROM audit_checkpoints WHERE seq >= {keep_below}")
    with db.transaction() as session:
        transparency.make_checkpoint(session, db.info["log_keys"])


def change_payload(db, insider):
    sql(insider, "UPDATE audit_events SET payload = replace(payload, :old, :new) WHERE seq = 12",
        old='"n":11', new='"n":99')


def change_payload_and_hash(db, insider):
    with insider.engine.connect() as connection:
        prev, payload = connection.execute(text("SELECT prev_hash, payload FROM audit_events WHERE seq = 12")).one()
    forged = payload.replace('"n":11', '"n":99')
    sql(insider, "UPDATE audit_events SET payload = :payload, hash = :hash WHERE seq = 12",
        payload=forged, hash=audit.chain_hash(prev, forged))


def delete_mid(db, insider):
    sql(insider, "DELETE FROM audit_events WHERE seq = 12", "DELETE FROM audit_tree WHERE seq = 12")


ATTACKS = {
    "change a payload field mid-chain": (change_payload, {"verify", "offline"}),
    "change it and recompute that event's hash": (change_payload_and_hash, {"verify", "offline"}),
    "delete one event mid-chain": (delete_mid, {"verify", "offline"}),
    "delete the last 5 events (after the witnessed checkpoint)": (
        lambda db, insider: delete_from(insider, 26), set()),
    "delete the last 15 events (across the checkpoint)": (
        lambda db, insider: delete_from(insider, 16), {"verify", "offline"}),
    "rewrite consistently from seq 25, after the checkpoint": (
        lambda db, insider: rewrite_from(insider, 25), set()),
    "rewrite consistently from seq 10, before the checkpoint": (
        lambda db, insider: rewrite_from(insider, 10), {"verify", "offline"}),
    "rewrite from seq 10 and replace the checkpoints too": (
        lambda db, insider: (rewrite_from(insider, 10), resign(db, insider, 2)), {"witness"}),
    "delete the last 15 events and the checkpoints too": (
        lambda db, insider: (delete_from(insider, 16), resign(db, insider, 2)), {"witness"}),
}


def detectors(db, log, tmp_path, capsys) -> set[str]:
    """Which of the three checks refuse the log as it now stands."""
    found = set()
    with db.sessions() as session:
        report = verify_log(session, db.info["log_keys"])
        export, points = tmp_path / "export.jsonl", tmp_path / "checkpoints.jsonl"
        export.write_text("".join(audit_log.export_lines(session, AUDITOR, "jsonl")), encoding="utf-8")
        points.write_text("".join(transparency.checkpoint_lines(session)), encoding="utf-8")
    if not report.ok:
        found.add("verify")
    public = tmp_path / "log.pub.pem"  # written by the log_key_files fixture
    if verify_offline([str(export), "--public-key", str(public), "--checkpoints", str(points)]) != 0:
        found.add("offline")
    capsys.readouterr()
    try:
        witness(log["url"], log["public_key"], log["state"])
    except Refused:
        found.add("witness")
    log["report"] = report
    return found


@pytest.mark.both_databases
@pytest.mark.parametrize("attack", list(ATTACKS))
def test_every_attack_is_detected_or_inside_the_reported_tail(db, log, insider, tmp_path, capsys, attack):
    change, expected = ATTACKS[attack]
    state_before = (log["state"] / "checkpoint").read_bytes()
    change(db, insider)
    found = detectors(db, log, tmp_path, capsys)
    assert found == expected, attack
    report = log["report"]
    if not found:
        # Undetected: only events after the witnessed checkpoint changed, and verify says so.
        assert report.ok and report.witnessed_size == CHECKPOINT
        assert report.unprotected == report.chain.count - CHECKPOINT > 0
        assert f"{report.unprotected} events after seq {CHECKPOINT}" in report.tail_in_words()
        assert f"; {report.chain.count - CHECKPOINT} events after it" in report.summary()
    if "witness" in found:
        assert (log["state"] / "checkpoint").read_bytes() == state_before


@pytest.mark.both_databases
def test_an_untouched_log_passes_all_three_and_the_tail_is_reported(db, log, tmp_path, capsys):
    assert detectors(db, log, tmp_path, capsys) == set()
    report = log["report"]
    assert report.summary().startswith(f"OK {EVENTS} events head=")
    assert f"checkpoint {CHECKPOINT} signed" in report.summary() and "cosigned by 1; 10 events after it" in report.summary()
    assert report.tail_in_words().startswith("10 events after seq 20 (the last checkpoint a witness cosigned)")
