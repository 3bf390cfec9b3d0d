"""A finding names the body that made it, from the body register: the investigating body of a
use determination, the attributing body of an attribution."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from models.audit import AuditEvent
from models.finding import Finding
from tests.test_case_pages import sign_in
from workflow import evidence, registers
from workflow.command import ANY_VERSION
from workflow.errors import Invalid

pytestmark = pytest.mark.both_databases


@pytest.fixture
def seeded(db):
    with db.transaction() as session:
        registers.seed(session)


def determine(db, cast, case_id: int, body: str) -> int:
    with db.transaction() as session:
        return evidence.record_finding(session, cast["ivy"], case_id, expected_version=ANY_VERSION,
                                       kind="use_determination", conclusion="confirmed", agent="chlorine",
                                       rationale="Samples and witnesses agree.", body=body).id


def test_a_body_named_by_an_alias_is_the_registers_entry_and_shows_on_the_case(
        db, cast, client, auth, make_case, seeded):
    case_id = make_case()
    finding_id = determine(db, cast, case_id, "FFM")
    with db.sessions() as session:
        finding = session.get(Finding, finding_id)
        assert finding.body.name == "OPCW Fact-Finding Mission in Syria"
        recorded = session.scalar(select(AuditEvent.payload).where(
            AuditEvent.event_type == "finding_recorded", AuditEvent.entity_id == str(finding_id)))
        assert json.loads(recorded)["details"]["body_id"] == finding.body.id
    sign_in(auth, cast, "sue")
    assert "found by <bdi>OPCW Fact-Finding Mission in Syria</bdi>" in client.get(
        f"/cases/{case_id}").get_data(as_text=True)


def test_an_unknown_body_is_refused_naming_it_and_nothing_is_recorded(db, cast, make_case, seeded):
    case_id = make_case()
    with pytest.raises(Invalid, match="body: not in the register of bodies: Martian Commission"):
        determine(db, cast, case_id, "Martian Commission")
    with db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Finding)) == 0


def test_no_body_named_is_allowed(db, cast, make_case, seeded):
    finding_id = determine(db, cast, make_case(), "")
    with db.sessions() as session:
        assert session.get(Finding, finding_id).body is None


def test_merging_a_body_repoints_its_findings_with_an_event_each(db, cast, make_case, seeded):
    with db.transaction() as session:
        duplicate = registers.add_entry(session, cast["sue"], "body", "Syria fact-finding team",
                                        "international").id
        kept = registers.resolve(session, "body", "FFM").id
    findings = [determine(db, cast, make_case(), "Syria fact-finding team") for _ in range(2)]
    with db.transaction() as session:
        assert registers.merge(session, cast["sue"], duplicate, kept) == 2
    with db.sessions() as session:
        assert {session.get(Finding, f).body_id for f in findings} == {kept}
        moved = session.scalars(select(AuditEvent.entity_id).where(
            AuditEvent.event_type == "register_link_moved")).all()
        assert sorted(moved) == sorted(str(f) for f in findings)
