"""Registers: names resolve through aliases to one entry, parties roll up to their state, every
change is audited, a merge re-points each record, an unknown party is proposed."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from models import AuditEvent, Finding, RegisterEntry
from workflow import audit, evidence, registers
from workflow.command import ANY_VERSION
from workflow.errors import Conflict, Forbidden, Invalid

#: The five ways the shipped data names the Syrian government forces as responsible.
FIVE_SPELLINGS = ("Syrian Arab Air Force", "Syrian Arab Air Force (Tiger Forces)",
                  "Syrian Arab Armed Forces (63rd Helicopter Brigade)", "Syrian Arab Republic",
                  "Syrian government forces")
PUBLIC_INCIDENTS = Path(__file__).resolve().parent.parent / "data" / "public_incidents.csv"


@pytest.fixture
def seeded(db):
    with db.transaction() as session:
        registers.seed(session)


def attribute(db, actor, case_id: int, party: str, party_type: str = "state") -> int:
    with db.transaction() as session:
        return evidence.record_finding(
            session, actor, case_id, expected_version=ANY_VERSION, kind="attribution",
            conclusion="attributed", responsible_party=party, party_type=party_type,
            standard_of_proof="reasonable_grounds", rationale="flight logs and remnants").id


def events(db, *types: str) -> list[AuditEvent]:
    with db.sessions() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.event_type.in_(types))
                                    .order_by(AuditEvent.seq)))


def state_of(session, entry: RegisterEntry) -> str:
    return registers.rolled_up(registers.register_entries(session, entry.register), entry.id).name


@pytest.mark.both_databases
def test_the_five_spellings_resolve_to_entries_that_roll_up_to_one_state(db, seeded):
    with db.sessions() as session:
        entries = {name: registers.resolve(session, "party", name) for name in FIVE_SPELLINGS}
        assert None not in entries.values()
        assert len({entry.id for entry in entries.values()}) == 4  # the unit names stay apart
        assert {state_of(session, entry) for entry in entries.values()} == {"Syrian Arab Republic"}
        assert entries["Syrian Arab Air Force (Tiger Forces)"].name == "Tiger Forces"
        # Case, accents, punctuation and spacing do not matter; the register does.
        for written in ("  syrian ARAB air-force ", "Sýrian Arab Air Force", "SYRIAN ARAB AIR FORCE."):
            assert registers.resolve(session, "party", written).id == entries["Syrian Arab Air Force"].id
        assert registers.resolve(session, "party", "سوريا").name == "Syrian Arab Republic"
        assert registers.resolve(session, "party", "Syrian Arab Air Force (Tiger)") is None
        assert registers.resolve(session, "actor", "Syrian Arab Air Force") is None


def test_every_party_the_shipped_incidents_name_resolves(db, seeded):
    with PUBLIC_INCIDENTS.open(encoding="utf-8") as rows:
        names = {row["responsible_party"] for row in csv.DictReader(rows) if row["responsible_party"]}
    with db.sessions() as session:
        unknown = {name for name in names if registers.resolve(session, "party", name) is None}
        syrian = {state_of(session, registers.resolve(session, "party", name))
                  for name in names - unknown if name.startswith("Syrian")}
    # The importer refuses a name no entry is known by: the shipped incidents name none.
    assert unknown == set()
    assert set(FIVE_SPELLINGS) <= names and syrian == {"Syrian Arab Republic"}


def test_seeding_twice_changes_nothing_the_second_time(db, seeded):
    before = len(events(db, "register_entry_added", "register_alias_added"))
    with db.transaction() as session:
        assert registers.seed(session) == 0
    assert before > 50 and len(events(db, "register_entry_added", "register_alias_added")) == before


@pytest.mark.both_databases
def test_repeat_use_counts_each_incident_once_per_state(db, cast, make_case, seeded):
    ivy = cast["ivy"]
    for spelling in FIVE_SPELLINGS:
        attribute(db, ivy, make_case(), spelling)
    twice = make_case()  # attributed to a unit, then to its state: one incident
    attribute(db, ivy, twice, "Syrian Arab Air Force (Tiger Forces)")
    attribute(db, ivy, twice, "Syrian Arab Republic")
    withdrawn = make_case()  # attributed, then found inconclusive: not a use attributed
    attribute(db, ivy, withdrawn, "Syrian Arab Air Force")
    with db.transaction() as session:
        evidence.record_finding(session, ivy, withdrawn, expected_version=ANY_VERSION,
                                kind="attribution", conclusion="inconclusive", rationale="doubt")
    attribute(db, ivy, make_case(), "ISIL (Da'esh)", "non_state_group")
    with db.sessions() as session:
        uses = [(entry.name, count) for entry, count in registers.uses_by_state(session)]
        assert uses == [("Syrian Arab Republic", 6), ("Islamic State in Iraq and the Levant", 1)]
        # Need-to-know: an investigator on none of the teams counts nothing.
        assert registers.uses_by_state(session, cast["ian"]) == []
        assert len(registers.uses_by_state(session, ivy)) == 2


@pytest.mark.both_databases
def test_register_changes_are_audited(db, cast):
    sue = cast["sue"]
    with db.transaction() as session:
        state = registers.add_entry(session, sue, "party", "Republic of Ruritania", "state",
                                    other_names=["Ruritania", "ruritania!"], note="fictional")
        unit = registers.add_entry(session, sue, "party", "Ruritanian Air Wing", "state_organ",
                                   parent_id=state.id)
        registers.add_alias(session, sue, unit.id, "RAW")
        ids = state.id, unit.id
    added = events(db, "register_entry_added", "register_alias_added")
    assert [(e.event_type, e.entity_type, e.entity_id, e.actor_username) for e in added] == [
        ("register_entry_added", "register_entry", str(ids[0]), "sue"),
        ("register_entry_added", "register_entry", str(ids[1]), "sue"),
        ("register_alias_added", "register_entry", str(ids[1]), "sue")]
    assert '"aliases":["Republic of Ruritania","Ruritania"]' in added[0].payload  # one name per form
    assert f'"parent_id":{ids[0]}' in added[1].payload and '"alias":"RAW"' in added[2].payload
    with db.sessions() as session:
        assert registers.resolve(session, "party", "raw").id == ids[1]
        assert state_of(session, registers.resolve(session, "party", "RAW")) == "Republic of Ruritania"
        assert audit.verify_chain(session).ok


@pytest.mark.both_databases
def test_a_merge_repoints_every_record_with_one_audit_event_per_record_moved(db, cast, make_case, seeded):
    ivy, sue = cast["ivy"], cast["sue"]
    first, second = make_case(), make_case()
    findings = [attribute(db, ivy, first, "Air Force Squadron 99"),
                attribute(db, ivy, second, "Air Force Squadron 99"),
                attribute(db, ivy, second, "air-force squadron 99")]
    with db.sessions() as session:
        proposed = registers.resolve(session, "party", "Air Force Squadron 99")
        kept = registers.resolve(session, "party", "Syrian Arab Air Force")
        proposed_id, kept_id = proposed.id, kept.id
    with db.transaction() as session:  # an entry a supervisor put under the proposed one moves too
        child = registers.add_entry(session, sue, "party", "Squadron 99 ground crew", "state_organ",
                                    parent_id=proposed_id).id
    with db.transaction() as session:
        assert registers.merge(session, sue, proposed_id, kept_id) == 4
    with db.sessions() as session:
        rows = session.execute(select(Finding.id, Finding.party_id, Finding.responsible_party)
                               .where(Finding.id.in_(findings)).order_by(Finding.id)).all()
        assert [(row.party_id, row.responsible_party) for row in rows] == [
            (kept_id, "Air Force Squadron 99"), (kept_id, "Air Force Squadron 99"),
            (kept_id, "air-force squadron 99")]  # what was written stays as written
        merged = session.get(RegisterEntry, proposed_id)
        assert (merged.status, merged.merged_into_id) == ("merged", kept_id)
        assert session.get(RegisterEntry, child).parent_id == kept_id
        assert registers.resolve(session, "party", "Air Force Squadron 99").id == kept_id
        assert audit.verify_chain(session).ok
    moved = events(db, "register_link_moved")
    assert sorted((e.entity_type, int(e.entity_id), e.case_id) for e in moved) == [
        ("finding", findings[0], first), ("finding", findings[1], second),
        ("finding", findings[2], second)]
    assert all(f'"from_id":{proposed_id}' in e.payload and f'"to_id":{kept_id}' in e.payload
               for e in moved)
    assert [int(e.entity_id) for e in events(db, "register_parent_moved")] == [child]
    [merge] = events(db, "register_entry_merged")
    assert int(merge.entity_id) == proposed_id and '"records_moved":4' in merge.payload
    assert '"aliases":["Air Force Squadron 99"]' in merge.payload


@pytest.mark.both_databases
def test_an_unknown_party_is_proposed_once_then_accepted(db, cast, make_case, seeded):
    ivy, sue = cast["ivy"], cast["sue"]
    one, two = make_case(), make_case()
    attribute(db, ivy, one, "Brigade 47")
    attribute(db, ivy, two, "BRIGADE-47")
    [proposal] = events(db, "register_entry_proposed")
    assert proposal.actor_username == "ivy" and proposal.case_id is None
    with db.sessions() as session:
        entry = registers.resolve(session, "party", "brigade 47")
        assert (entry.status, entry.kind, entry.parent_id) == ("proposed", "state", None)
        entry_id = entry.id
        syria_army = registers.resolve(session, "party", "Syrian Arab Armed Forces").id
        assert [e.name for e, _ in registers.uses_by_state(session)] == ["Brigade 47"]
    with db.transaction() as session:
        registers.accept(session, sue, entry_id, kind="state_organ", parent_id=syria_army)
    [accepted] = events(db, "register_entry_accepted")
    assert '"before":{"kind":"state","parent_id":null}' in accepted.payload
    with db.sessions() as session:
        assert session.get(RegisterEntry, entry_id).status == "accepted"
        assert [(e.name, n) for e, n in registers.uses_by_state(session)] == [("Syrian Arab Republic", 2)]
    with db.transaction() as session, pytest.raises(Conflict, match="not proposed"):
        registers.accept(session, sue, entry_id, kind="state")


@pytest.mark.both_databases
def test_an_unknown_party_proposed_then_merged_into_a_known_one(db, cast, make_case, seeded):
    case_id = make_case()
    finding = attribute(db, cast["ivy"], case_id, "Syrian Government Army")
    with db.sessions() as session:
        proposed = registers.resolve(session, "party", "Syrian Government Army").id
        army = registers.resolve(session, "party", "Syrian Arab Armed Forces").id
    with db.transaction() as session:
        assert registers.merge(session, cast["sue"], proposed, army) == 1
    with db.sessions() as session:
        assert session.get(Finding, finding).party_id == army
        assert [(e.name, n) for e, n in registers.uses_by_state(session)] == [("Syrian Arab Republic", 1)]
    # The next finding that writes the name links the kept entry, proposing nothing.
    attribute(db, cast["ivy"], make_case(), "syrian government army")
    assert len(events(db, "register_entry_proposed")) == 1


@pytest.mark.parametrize("username", ["ivy", "ana", "leo", "aud"])
def test_only_supervisors_and_admins_change_registers(db, cast, seeded, username):
    with db.sessions() as session:
        entry_id = registers.resolve(session, "party", "ISIL").id
    actor = cast[username]
    for change in (lambda s: registers.add_entry(s, actor, "party", "New Group", "non_state_group"),
                   lambda s: registers.add_alias(s, actor, entry_id, "IS"),
                   lambda s: registers.accept(s, actor, entry_id, kind="state"),
                   lambda s: registers.merge(s, actor, entry_id, entry_id + 1)):
        with db.transaction() as session, pytest.raises(Forbidden, match="supervisor or admin"):
            change(session)
    with db.transaction() as session:  # the admin maintains them too
        registers.add_alias(session, cast["adm"], entry_id, "IS")


def test_refusals_say_why(db, cast, seeded):
    sue = cast["sue"]
    with db.sessions() as session:
        def entry(register, name):
            return registers.resolve(session, register, name).id
        isil, syria, air_force = (entry("party", "ISIL"), entry("party", "Syria"),
                                  entry("party", "Syrian Arab Air Force"))
        un_forum, opcw_body = entry("forum", "UNSC"), entry("body", "OPCW")
    refusals = [
        (Conflict, "already names Islamic State", lambda s: registers.add_entry(
            s, sue, "party", "Daesh", "non_state_group")),
        (Conflict, "already names Russian Federation", lambda s: registers.add_entry(
            s, sue, "party", "Federation of Russ", "state", other_names=["Russia"])),
        (Conflict, "already names this entry", lambda s: registers.add_alias(s, sue, isil, "isis")),
        (Invalid, "kind: choose International or National", lambda s: registers.add_entry(s, sue, "forum", "X", "state")),
        (Invalid, "register: choose Party, Body, Instrument, Forum or Actor", lambda s: registers.add_entry(s, sue, "people", "X", "state")),
        (Invalid, "same register", lambda s: registers.add_entry(
            s, sue, "party", "X Unit", "state_organ", parent_id=un_forum)),
        (Invalid, "merged into itself", lambda s: registers.merge(s, sue, isil, isil)),
        (Invalid, "one register", lambda s: registers.merge(s, sue, un_forum, opcw_body)),
        (Conflict, "belongs to Syrian Arab Republic", lambda s: registers.merge(s, sue, syria, air_force)),
        (Conflict, "not proposed", lambda s: registers.accept(s, sue, isil, kind="state")),
    ]
    for error, message, change in refusals:
        with db.transaction() as session, pytest.raises(error, match=message):
            change(session)


@pytest.mark.both_databases
def test_the_database_keeps_the_register_rules(db, cast, make_case, seeded):
    finding = attribute(db, cast["ivy"], make_case(), "ISIL", "non_state_group")
    broken = [
        "UPDATE register_entries SET kind = 'state' WHERE register = 'forum'",
        "UPDATE register_entries SET status = 'merged' WHERE register = 'party'",
        "UPDATE register_entries SET parent_id = id WHERE register = 'party'",
        # A parent, a merge or an alias stays in its register.
        "UPDATE register_entries SET parent_id = (SELECT min(id) FROM register_entries "
        "WHERE register = 'forum') WHERE register = 'party'",
        "UPDATE register_aliases SET register = 'actor' WHERE register = 'party'",
        f"UPDATE findings SET conclusion = 'inconclusive', responsible_party = '', party_type = '', "
        f"standard_of_proof = '' WHERE id = {finding}",
    ]
    for statement in broken:
        with pytest.raises(IntegrityError), db.engine.begin() as connection:
            connection.execute(text(statement))
