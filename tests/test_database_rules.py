"""The database itself refuses findings, gate requests and citations that break the domain's rules."""
from __future__ import annotations

import pytest
from conftest import add_evidence_with_file
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from models import EvidenceItem, Finding

#: Each rule, and an UPDATE of rows the services wrote that breaks that rule alone.
BROKEN = [
    ("ck_findings_kind_conclusion", "UPDATE findings SET kind = 'use_determination' "
                                    "WHERE conclusion = 'attributed'"),
    ("ck_findings_agent", "UPDATE findings SET agent = '' WHERE conclusion = 'confirmed'"),
    ("ck_findings_agent", "UPDATE findings SET agent = 'tear_gas' WHERE conclusion = 'confirmed'"),
    ("ck_findings_agent", "UPDATE findings SET agent = 'sarin' WHERE conclusion = 'attributed'"),
    ("ck_findings_attributed_has_party", "UPDATE findings SET responsible_party = '  ' "
                                         "WHERE conclusion = 'attributed'"),
    ("ck_findings_attributed_has_party", "UPDATE findings SET responsible_party = 'Someone' "
                                         "WHERE kind = 'use_determination'"),
    ("ck_findings_party_type", "UPDATE findings SET party_type = 'corporation' "
                               "WHERE conclusion = 'attributed'"),
    ("ck_findings_party_type", "UPDATE findings SET party_type = 'state' "
                               "WHERE kind = 'use_determination'"),
    ("ck_findings_standard_of_proof", "UPDATE findings SET standard_of_proof = 'a hunch' "
                                      "WHERE conclusion = 'attributed'"),
    ("ck_findings_standard_of_proof", "UPDATE findings SET standard_of_proof = '' "
                                      "WHERE conclusion = 'attributed'"),
    ("ck_gate_requests_target_not_source", "UPDATE gate_requests SET target = from_state"),
    ("ck_gate_requests_rejected_has_reason",
     "UPDATE gate_requests SET decision = 'rejected', reason = ' ', "
     "decided_by_id = requested_by_id, decided_at = requested_at WHERE decision = 'pending'"),
]


def _refused(db, statement: str) -> str:
    with pytest.raises(IntegrityError) as refusal:
        with db.transaction() as session:
            assert session.execute(text(statement)).rowcount >= 1  # the row to break exists
    return str(refusal.value)


@pytest.mark.both_databases
@pytest.mark.parametrize("rule, statement", BROKEN)
def test_each_rule_refuses_a_row_that_breaks_it(db, full_case, rule, statement):
    assert rule in _refused(db, statement)


@pytest.mark.both_databases
def test_the_rows_the_services_write_keep_every_rule(db, full_case):
    with db.sessions() as session:
        findings = session.scalars(select(Finding).where(Finding.case_id == full_case["case_id"])).all()
    assert {(f.kind, f.conclusion) for f in findings} >= {("use_determination", "confirmed"),
                                                          ("attribution", "attributed")}
    assert all(f.cited for f in findings)


@pytest.fixture
def elsewhere(app, db, cast, make_case) -> int:
    """An evidence item of another case."""
    return add_evidence_with_file(app, db, cast["ivy"], make_case())


@pytest.mark.both_databases
@pytest.mark.parametrize("case_of", ["finding", "evidence"])
def test_a_finding_cannot_cite_evidence_of_another_case(db, full_case, elsewhere, case_of):
    with db.sessions() as session:
        finding = session.scalars(select(Finding).where(Finding.case_id == full_case["case_id"])).first()
        other_case = session.get(EvidenceItem, elsewhere).case_id
    case_id = finding.case_id if case_of == "finding" else other_case
    message = _refused(db, f"INSERT INTO finding_citations (finding_id, evidence_id, case_id) "
                           f"VALUES ({finding.id}, {elsewhere}, {case_id})")
    assert "foreign key" in message.lower()


@pytest.mark.both_databases
def test_the_model_refuses_a_citation_of_another_case(db, full_case, elsewhere):
    with pytest.raises(IntegrityError):
        with db.transaction() as session:
            finding = session.scalars(select(Finding).where(Finding.case_id == full_case["case_id"])).first()
            finding.cited.append(session.get(EvidenceItem, elsewhere))
            session.flush()


@pytest.mark.both_databases
def test_a_citation_carries_the_case_of_its_finding(db, full_case):
    with db.sessions() as session:
        rows = session.execute(text(
            "SELECT c.case_id, f.case_id, e.case_id FROM finding_citations c "
            "JOIN findings f ON f.id = c.finding_id JOIN evidence_items e ON e.id = c.evidence_id")).all()
    assert rows and all(a == b == c == full_case["case_id"] for a, b, c in rows)
