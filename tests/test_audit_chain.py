"""The audit chain: golden hashes, append-only triggers, tamper detection, concurrency, atomicity."""
from __future__ import annotations

import threading
from datetime import datetime

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError

from models.audit import AuditEvent
from models.user import User
from workflow import accounts, audit
from workflow.audit import Actor
from workflow.audit_chain import GENESIS, canonical_json, chain_hash

SUPERVISOR = Actor(7, "sam", ("investigator", "supervisor"))
GOLDEN = [
    dict(event_type="case_opened", actor=SUPERVISOR, case_id=1, entity_type="case", entity_id=1,
         to_state="reported", details={"title": "Khan Shaykhun, 4 April 2017"},
         at=datetime(2017, 4, 4, 6, 30, 0)),
    dict(event_type="gate_approved", actor=SUPERVISOR, case_id=1, entity_type="gate_request",
         entity_id=3, from_state="reported", to_state="investigation",
         details={"reason": "initial report and lead investigator in place"},
         at=datetime(2017, 4, 5, 9, 15, 30, 250000)),
    dict(event_type="login_failed", actor=None, entity_type="user",
         details={"username_tried": "مستخدم", "address": "198.51.100.4"},
         at=datetime(2017, 4, 5, 9, 16, 0, 1)),
]
GOLDEN_PAYLOADS = [
    '{"actor_id":7,"actor_roles":["investigator","supervisor"],"actor_username":"sam",'
    '"at":"2017-04-04T06:30:00.000000Z","case_id":1,'
    '"case_prev":"0000000000000000000000000000000000000000000000000000000000000000",'
    '"details":{"title":"Khan Shaykhun, 4 April 2017"},'
    '"entity_id":"1","entity_type":"case","event_type":"case_opened","from_state":null,"seq":1,'
    '"to_state":"reported"}',
]
GOLDEN_HASHES = [
    "24ca916c59bf559a3be41ab17f036858a5c98bccca22c3d17cecb96d889a19f9",
    "489a2a9197edc1115826888b5a6615bf6b41006968294ee04f412b0bb023a61d",
    "c3ae2e099a7ac97d1a6fac66e884a07b5e976086413beb5be34c24afc98a2ccd",
]


def append_golden(db):
    with db.transaction() as session:
        return [audit.append(session, **event)["hash"] for event in GOLDEN]


@pytest.mark.both_databases
def test_golden_vector_gives_fixed_hashes(db):
    assert append_golden(db) == GOLDEN_HASHES
    with db.sessions() as session:
        first = session.get(AuditEvent, 1)
    assert first.payload == GOLDEN_PAYLOADS[0]
    assert first.prev_hash == GENESIS
    assert chain_hash(GENESIS, GOLDEN_PAYLOADS[0]) == GOLDEN_HASHES[0]
    with db.sessions() as session:
        second = session.get(AuditEvent, 2)
    # The case's second event names the case's first: a per-case export shows any removal.
    assert f'"case_prev":"{GOLDEN_HASHES[0]}"' in second.payload


def test_canonical_json_refuses_floats():
    with pytest.raises(TypeError, match="no floats"):
        canonical_json({"latitude": 35.4})
    assert canonical_json({"b": [1, "ب"], "a": None}) == '{"a":null,"b":[1,"ب"]}'


@pytest.mark.both_databases
def test_verify_command_reports_ok_with_count_and_head(db, runner):
    hashes = append_golden(db)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0
    assert result.output.strip() == f"OK 3 events head={hashes[-1]}; no signed checkpoint"


@pytest.mark.both_databases
@pytest.mark.parametrize("statement", [
    "UPDATE audit_events SET event_type = 'nothing' WHERE seq = 2",
    "DELETE FROM audit_events WHERE seq = 3",
    "DELETE FROM audit_events",
])
def test_audit_rows_cannot_be_changed_or_deleted(db, statement):
    append_golden(db)
    with pytest.raises(DatabaseError, match="append-only"):
        with db.transaction() as session:
            session.execute(text(statement))
    with db.transaction() as session:
        audit.append(session, "still_appendable", None)
    with db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == 4
        assert session.get(AuditEvent, 2).event_type == "gate_approved"
        assert audit.verify_chain(session).ok


@pytest.mark.postgres
def test_postgresql_refuses_truncate(db):
    append_golden(db)
    with pytest.raises(DatabaseError, match="append-only"):
        with db.transaction() as session:
            session.execute(text("TRUNCATE audit_events"))


# --- tampering, with the triggers out of the way ------------------------------------------

DROP_TRIGGERS = {
    "sqlite": ["DROP TRIGGER audit_events_no_update", "DROP TRIGGER audit_events_no_delete"],
    "postgresql": ["DROP TRIGGER audit_events_no_update_delete ON audit_events"],
}
TAMPERED = 3


@pytest.fixture
def unguarded_chain(db, backend):
    """Six events, with the append-only triggers dropped so a test can tamper."""
    append_golden(db)
    with db.transaction() as session:
        for n in range(3):
            audit.append(session, "note", SUPERVISOR, case_id=2, details={"n": n})
        for statement in DROP_TRIGGERS[backend]:
            session.execute(text(statement))
    return db


def tamper(db, statement: str, **params) -> None:
    with db.transaction() as session:
        session.execute(text(statement), params)


def assert_broken_at(runner, seq: int) -> str:
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1, result.output
    assert result.output.startswith(f"BROKEN at seq {seq}: "), result.output
    return result.output


NEW_VALUES = {
    "seq": 1000, "at": datetime(2000, 1, 1), "actor_id": 999, "actor_username": "mallory",
    "actor_roles": "admin", "case_id": 999, "event_type": "tampered", "entity_type": "tampered",
    "entity_id": "999", "from_state": "closed", "to_state": "closed", "prev_hash": "e" * 64,
    "hash": "f" * 64,
}


@pytest.mark.both_databases
@pytest.mark.parametrize("column", [*NEW_VALUES, "payload"])
def test_changing_any_field_is_reported_at_its_seq(unguarded_chain, runner, column):
    if column == "payload":
        tamper(unguarded_chain, "UPDATE audit_events SET payload = replace(payload, :old, :new) "
               "WHERE seq = :seq", old='"n":0', new='"n":5', seq=TAMPERED + 1)
        assert_broken_at(runner, TAMPERED + 1)
        return
    tamper(unguarded_chain, f"UPDATE audit_events SET {column} = :value WHERE seq = :seq",
           value=NEW_VALUES[column], seq=TAMPERED)
    output = assert_broken_at(runner, TAMPERED)
    if column not in ("seq", "prev_hash", "hash"):
        assert f"column {column} does not match" in output


@pytest.mark.both_databases
def test_deleting_a_row_is_reported(unguarded_chain, runner):
    tamper(unguarded_chain, "DELETE FROM audit_events WHERE seq = :seq", seq=TAMPERED)
    assert "seq 3 is missing" in assert_broken_at(runner, TAMPERED)


@pytest.mark.both_databases
def test_swapping_two_rows_is_reported(unguarded_chain, runner):
    columns = [c.name for c in AuditEvent.__table__.columns if c.name != "seq"]
    with unguarded_chain.sessions() as session:
        rows = {seq: session.execute(select(*[AuditEvent.__table__.c[c] for c in columns])
                                     .where(AuditEvent.seq == seq)).one()._asdict()
                for seq in (2, 3)}
    assignments = ", ".join(f"{c} = :{c}" for c in columns)
    # Move one row aside first: prev_hash and hash are unique.
    tamper(unguarded_chain, "UPDATE audit_events SET prev_hash = 'x', hash = 'y' WHERE seq = 3")
    tamper(unguarded_chain, f"UPDATE audit_events SET {assignments} WHERE seq = 2", **rows[3])
    tamper(unguarded_chain, f"UPDATE audit_events SET {assignments} WHERE seq = 3", **rows[2])
    assert_broken_at(runner, 2)


@pytest.mark.both_databases
def test_inserting_a_row_is_reported(unguarded_chain, runner):
    for seq in range(6, TAMPERED - 1, -1):
        tamper(unguarded_chain, "UPDATE audit_events SET seq = seq + 1 WHERE seq = :seq", seq=seq)
    payload = canonical_json({"seq": TAMPERED, "forged": True})
    prev_hash = "a" * 64
    tamper(unguarded_chain,
           "INSERT INTO audit_events (seq, at, actor_roles, event_type, payload, prev_hash, hash) "
           "VALUES (:seq, :at, '', 'forged', :payload, :prev_hash, :hash)",
           seq=TAMPERED, at=datetime(2017, 4, 5), payload=payload, prev_hash=prev_hash,
           hash=chain_hash(prev_hash, payload))
    assert_broken_at(runner, TAMPERED)


# --- concurrency and atomicity ------------------------------------------------------------

@pytest.mark.both_databases
def test_concurrent_appends_make_one_gapless_chain(db):
    threads, per_thread = 8, 50
    errors = []

    def worker(n: int):
        try:
            for i in range(per_thread):
                with db.transaction() as session:
                    audit.append(session, "note", Actor(n, f"user{n}"), details={"i": i})
        except Exception as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)

    workers = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    assert errors == []
    with db.sessions() as session:
        seqs = session.scalars(select(AuditEvent.seq).order_by(AuditEvent.seq)).all()
        assert seqs == list(range(1, threads * per_thread + 1))
        assert audit.verify_chain(session).ok


@pytest.mark.both_databases
def test_failure_before_commit_leaves_neither_change_nor_event(db):
    class Injected(Exception):
        pass

    with pytest.raises(Injected):
        with db.transaction() as session:
            accounts.create_user(session, audit.SYSTEM, "ghost", "a long enough password", ["analyst"])
            assert session.scalar(select(func.count()).select_from(AuditEvent)) == 1
            raise Injected
    with db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(User)) == 0
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == 0


@pytest.mark.both_databases
def test_payload_that_is_not_json_is_named(unguarded_chain, runner):
    with unguarded_chain.sessions() as session:
        prev_hash = session.get(AuditEvent, 6).prev_hash
    tamper(unguarded_chain, "UPDATE audit_events SET payload = 'not json', hash = :hash WHERE seq = 6",
           hash=chain_hash(prev_hash, "not json"))
    assert "payload is not valid JSON" in assert_broken_at(runner, 6)


@pytest.mark.both_databases
def test_verification_compares_columns_in_the_database(db, monkeypatch):
    """The fast path holds on an intact log: the Python walk is only for payloads the database cannot read."""
    append_golden(db)

    def refuse(*args):
        raise AssertionError("fell back to the walk in Python")
    monkeypatch.setattr(audit, "_verify_in_python", refuse)
    with db.sessions() as session:
        assert audit.verify_chain(session).ok
