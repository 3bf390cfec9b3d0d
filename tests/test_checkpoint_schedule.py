"""When checkpoints are signed: at the first write, when the last is too many events behind or too
old, and whenever a case closes (web, demo story, importer), never for a rolled-back transaction
and never without a signing key; and what `audit verify` then says about the latest one."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from plans import sent_statements, sql
from sqlalchemy import func, select
from webclient import post

from models.audit import AuditCheckpoint, AuditEvent
from models.case import Case
from workflow import audit, log_keys, merkle, notes, reviews
from workflow.audit import Actor
from workflow.command import ANY_VERSION

ORIGIN = "restraint.test/audit"
ACTOR = Actor(3, "ivy", ("investigator",))
NEVER = 10 ** 6
VERIFIED = re.compile(r"OK (\d+) events head=([0-9a-f]{64}); "
                      r"checkpoint (\d+) signed (\d+ (?:s|min|h|d)) ago, cosigned by (\d+); (\d+) events after it")


@pytest.fixture
def schedule() -> dict:
    """The log's settings: override with @pytest.mark.parametrize("schedule", [...])."""
    return {"key": True, "seconds": NEVER, "events": NEVER}


@pytest.fixture
def extra_config(schedule, log_key_files):
    config = {"AUDIT_CHECKPOINT_SECONDS": schedule["seconds"], "AUDIT_CHECKPOINT_EVENTS": schedule["events"],
              "AUDIT_LOG_ORIGIN": ORIGIN}
    if schedule["key"]:
        config["AUDIT_SIGNING_KEY"] = str(log_key_files[0])
    return config


@pytest.fixture
def public_key(log_key_files):
    return log_keys.load_public_key(log_key_files[1].read_bytes())


def write(db, events: int = 1, **fields) -> None:
    """One transaction appending `events` events."""
    with db.transaction() as session:
        for _ in range(events):
            audit.append(session, "note", ACTOR, **fields)


def size(db) -> int:
    with db.sessions() as session:
        return session.scalar(select(func.count()).select_from(AuditEvent))


def checkpoint_sizes(db) -> list[int]:
    with db.sessions() as session:
        return list(session.scalars(select(AuditCheckpoint.seq).order_by(AuditCheckpoint.seq)))


def check_notes(db, public_key) -> None:
    """Every checkpoint is a note signed by the log over the tree and head at its size."""
    with db.sessions() as session:
        rows = session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.seq)).all()
        hashes = list(session.scalars(select(AuditEvent.hash).order_by(AuditEvent.seq)))
    leaves = [merkle.leaf_hash(bytes.fromhex(hash_)) for hash_ in hashes]
    for row in rows:
        checkpoint = notes.Checkpoint.parse(notes.verify(row.note, ORIGIN, public_key))
        assert checkpoint.size == row.seq
        assert checkpoint.root == merkle.root(leaves[:row.seq])
        assert checkpoint.extensions == ("head " + hashes[row.seq - 1],)


def expected_sizes(transactions: list[int], every_events: int) -> list[int]:
    """The rule of `transparency.is_due` with a clock that never reaches the time limit: one at
    the first write, then at the end of each transaction leaving the log more than
    `every_events` events past the last checkpoint."""
    sizes, total = [], 0
    for events in transactions:
        total += events
        if not sizes or total - sizes[-1] > every_events:
            sizes.append(total)
    return sizes


def verify_says(runner, db) -> tuple[int, str, int, str, int, int]:
    """`audit verify`'s line, read: (events, head, checkpoint size, age, cosigners, events after)."""
    events = size(db)
    with db.sessions() as session:
        head = session.scalar(select(AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1))
    latest = checkpoint_sizes(db)[-1]
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    match = VERIFIED.fullmatch(result.output.strip())
    assert match, result.output
    n, found_head, checkpoint, age, cosigners, after = match.groups()
    assert (int(n), found_head, int(checkpoint), int(cosigners), int(after)) == (
        events, head, latest, 0, events - latest)
    return int(n), found_head, int(checkpoint), age, int(cosigners), int(after)


# --- the schedule -------------------------------------------------------------------------------

@pytest.mark.both_databases
def test_the_first_write_makes_a_checkpoint(db, public_key):
    assert checkpoint_sizes(db) == []
    write(db, 3)
    assert checkpoint_sizes(db) == [3]
    write(db, 2)
    write(db)
    assert checkpoint_sizes(db) == [3]
    check_notes(db, public_key)


@pytest.mark.both_databases
@pytest.mark.parametrize("schedule", [{"key": True, "seconds": NEVER, "events": 10}])
def test_a_checkpoint_when_more_than_n_events_behind(db, runner, public_key):
    for _ in range(35):
        write(db)
    # First write at 1; then due once more than 10 events behind: 12, 23, 34 (11 each).
    assert checkpoint_sizes(db) == expected_sizes([1] * 35, 10) == [1, 12, 23, 34]
    check_notes(db, public_key)
    verify_says(runner, db)


@pytest.mark.parametrize("schedule", [{"key": True, "seconds": NEVER, "events": 10}])
def test_a_checkpoint_falls_at_the_end_of_the_transaction_that_made_it_due(db, public_key):
    transactions = [3, 8, 1, 10, 1, 15, 11, 2]
    for events in transactions:
        write(db, events)
    # 3; 11 and 12 are 8 and 9 behind; 22 is 19 behind; 23 (1 behind), 38 (16), 49 (11), 51.
    assert checkpoint_sizes(db) == expected_sizes(transactions, 10) == [3, 22, 38, 49]
    check_notes(db, public_key)


@pytest.mark.both_databases
@pytest.mark.parametrize("schedule", [{"key": True, "seconds": 0, "events": NEVER}])
def test_with_no_time_between_checkpoints_every_write_transaction_makes_one(db, client, public_key):
    sizes = []
    for events in (1, 4, 1, 2, 7):
        write(db, events)
        sizes.append(size(db))
        assert checkpoint_sizes(db) == sizes
    client.get("/audit/checkpoint")  # a read writes nothing, and signs nothing
    assert checkpoint_sizes(db) == sizes
    check_notes(db, public_key)


@pytest.mark.parametrize("schedule", [{"key": True, "seconds": 3600, "events": NEVER}])
def test_a_checkpoint_when_the_last_is_older_than_the_time_limit(db, monkeypatch):
    write(db)
    write(db, 5)
    assert checkpoint_sizes(db) == [1]
    with db.sessions() as session:
        made = datetime.fromisoformat(session.scalar(select(AuditCheckpoint.at)).removesuffix("Z"))
    monkeypatch.setattr(audit, "utcnow", lambda: made + timedelta(seconds=3600, microseconds=-1))
    write(db)
    assert checkpoint_sizes(db) == [1]
    monkeypatch.setattr(audit, "utcnow", lambda: made + timedelta(seconds=3600))
    write(db, 2)
    assert checkpoint_sizes(db) == [1, 9]


class Abandoned(Exception):
    pass


@pytest.mark.both_databases
@pytest.mark.parametrize("schedule", [{"key": True, "seconds": 0, "events": NEVER}])
def test_a_rolled_back_transaction_leaves_no_checkpoint(db, public_key):
    with pytest.raises(Abandoned):
        with db.transaction() as session:
            audit.append(session, "note", ACTOR)
            raise Abandoned
    assert (size(db), checkpoint_sizes(db)) == (0, [])
    write(db, 2)
    assert checkpoint_sizes(db) == [2]
    with pytest.raises(Abandoned):
        with db.transaction() as session:
            audit.append(session, "note", ACTOR, case_id=1, to_state="closed")
            raise Abandoned
    assert (size(db), checkpoint_sizes(db)) == (2, [2])
    check_notes(db, public_key)


def test_a_rolled_back_closing_does_not_carry_its_checkpoint_into_the_next_transaction(db):
    write(db)
    with pytest.raises(Abandoned):
        with db.transaction() as session:
            audit.append(session, "case_closed", ACTOR, case_id=1, to_state="closed")
            raise Abandoned
    write(db)
    assert checkpoint_sizes(db) == [1]


@pytest.mark.both_databases
@pytest.mark.parametrize("schedule", [{"key": False, "seconds": 0, "events": 0}])
def test_without_a_signing_key_no_checkpoint_is_ever_made(db, runner, client, make_case, move):
    for events in (1, 3, 1):
        write(db, events)
    move(make_case(), "closed")
    with db.sessions() as session:
        head = session.scalar(select(AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1))
    events = size(db)
    assert checkpoint_sizes(db) == []
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0
    assert result.output.strip() == f"OK {events} events head={head}; no signed checkpoint"
    refused = runner.invoke(args=["audit", "checkpoint"])
    assert refused.exit_code == 1 and "No signing key" in refused.output
    assert client.get("/audit/checkpoint").status_code == 404
    assert checkpoint_sizes(db) == []


# --- closing a case signs at once, whatever the schedule -----------------------------------------

def closing_seqs(db) -> list[int]:
    with db.sessions() as session:
        return list(session.scalars(select(AuditEvent.seq).where(AuditEvent.to_state == "closed")
                                    .order_by(AuditEvent.seq)))


@pytest.mark.both_databases
def test_approving_a_closing_gate_on_the_web_signs_a_checkpoint(db, client, auth, cast, make_case,
                                                                 move, satisfy, runner, public_key):
    case_id = make_case()
    move(case_id, "evaluation")
    satisfy(case_id, "closed")
    with db.transaction() as session:
        request_id = reviews.request_gate(session, cast["ivy"], case_id,
                                          expected_version=ANY_VERSION, target="closed").id
    auth.login("sue")
    before = checkpoint_sizes(db)
    assert len(before) == 1 and before[0] < size(db)  # only the first write's, however long the way

    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    version = re.search(r'name="version"[^>]*value="(\d+)"', page).group(1)
    response = post(client, f"/reviews/{request_id}/approve", {"reason": "checked", "version": version})
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    with db.sessions() as session:
        assert session.get(Case, case_id).state == "closed"
    closed_at = size(db)
    assert checkpoint_sizes(db) == before + [closed_at]
    assert closing_seqs(db)[-1] <= closed_at
    check_notes(db, public_key)
    verify_says(runner, db)


def demo_story(runner, db) -> None:
    result = runner.invoke(args=["users", "demo"])
    assert result.exit_code == 0 and "Demo accounts" in result.output, result.output
    accounts = size(db)
    assert checkpoint_sizes(db) == [accounts]  # the first write
    result = runner.invoke(args=["demo", "story"])
    assert result.exit_code == 0 and "loaded 4 demonstration cases" in result.output, result.output
    # The story's one closing is its last transaction: the checkpoint is at the log's size.
    assert checkpoint_sizes(db) == [accounts, size(db)]
    assert len(closing_seqs(db)) == 1


IMPORT_HEADER = "source_id,title,occurred_on,country,place,stage,outcome,investigating_body\n"


def import_incidents(runner, db, tmp_path, name: str, rows: str):
    path = tmp_path / name
    path.write_text(IMPORT_HEADER + rows, encoding="utf-8")
    result = runner.invoke(args=["incidents", "import", str(path)])
    assert result.exit_code == 0, result.output
    return result


@pytest.mark.both_databases
def test_the_demo_story_signs_a_checkpoint_when_it_closes_its_case(db, runner, public_key):
    demo_story(runner, db)
    check_notes(db, public_key)
    verify_says(runner, db)


@pytest.mark.both_databases
def test_importing_a_closed_incident_signs_a_checkpoint(db, runner, make_user, tmp_path, public_key):
    make_user("investigator", "investigator")
    assert checkpoint_sizes(db) == [1]
    import_incidents(runner, db, tmp_path, "open.csv", "o-1,Still open,2019-05-01,Syria,Idlib,,,\n"
                     "o-2,Investigated,2019-05-02,Syria,Hama,investigation,,OPCW FFM\n")
    assert checkpoint_sizes(db) == [1]  # no case closed: the schedule is not due
    before = size(db)
    result = import_incidents(runner, db, tmp_path, "closed.csv",
                              "c-1,Reported only,2014-04-11,Syria,Kafr Zita,,,\n"
                              "c-2,Closed unattributed,2013-04-29,Syria,Saraqib,closed,unattributed,"
                              "UN Mission\n"
                              "c-3,After the closed one,2013-05-01,Syria,Aleppo,,,\n")
    assert "imported 3" in result.output
    assert before < closing_seqs(db)[-1] < size(db)  # the closing is mid-way through the import
    assert checkpoint_sizes(db) == [1, size(db)]  # signed at the end of the import's transaction
    check_notes(db, public_key)
    verify_says(runner, db)


@pytest.mark.both_databases
def test_verify_reports_the_latest_checkpoint_after_all_of_it(db, runner, make_user, tmp_path,
                                                               public_key):
    demo_story(runner, db)
    make_user("ivy", "investigator")
    import_incidents(runner, db, tmp_path, "closed.csv",
                     "v-1,Closed unattributed,2013-04-29,Syria,Saraqib,closed,unattributed,UN Mission\n")
    imported = size(db)
    assert checkpoint_sizes(db)[-1] == imported
    for _ in range(7):
        write(db)
    n, head, checkpoint, age, cosigners, after = verify_says(runner, db)
    assert (n, checkpoint, cosigners, after) == (imported + 7, imported, 0, 7)
    assert re.fullmatch(r"\d+ s", age) and int(age.split()[0]) < 120
    # `audit verify` keeps its result beside the log, not in it: a second run says the same.
    n, _, checkpoint, _, _, after = verify_says(runner, db)
    assert (n, checkpoint, after) == (imported + 7, imported, 7)
    check_notes(db, public_key)


@pytest.mark.parametrize("schedule", [{"key": True, "seconds": NEVER, "events": 3}])
def test_a_write_reads_the_newest_checkpoint_only_when_the_one_seen_last_says_one_may_be_due(
        db, schedule):
    """A newer checkpoint only makes the next one less due: while the one this process saw
    last is not due, a write sends no statement for the schedule."""
    write(db)  # the first write signs the first checkpoint
    with sent_statements(db) as quiet:
        write(db)
        write(db)
    with sent_statements(db) as due:
        write(db, events=2)  # four events behind: due, so the newest is read, then signed
    assert not [s for s in sql(quiet) if "FROM audit_checkpoints" in s]
    assert [s for s in sql(due) if "FROM audit_checkpoints" in s]
    assert checkpoint_sizes(db) == [1, 5]
