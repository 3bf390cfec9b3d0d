"""Cases: references, fields, versions, the team, the state guard and the database's own rules."""
from __future__ import annotations

import re
import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from models.audit import AuditEvent
from models.case import Case
from models.gate_request import GateRequest
from workflow import cases, evidence, gates, pathway, reviews
from workflow.clock import utcnow
from workflow.errors import Conflict, Forbidden, Invalid, NotFound
from workflow.command import ANY_VERSION


def load(db, case_id: int) -> Case:
    with db.sessions() as session:
        return session.get(Case, case_id)


def audit_count(db) -> int:
    with db.sessions() as session:
        return session.scalar(select(func.count()).select_from(AuditEvent))


def test_open_case_assigns_reference_and_puts_opener_on_team(db, cast, make_case):
    first, second = make_case(staffed=False), make_case(staffed=False)
    year = utcnow().year
    assert load(db, first).reference == f"CW-{year}-0001"
    assert load(db, second).reference == f"CW-{year}-0002"
    case = load(db, first)
    assert case.state == "reported" and case.version == 1
    assert [(m.user_id, m.case_role) for m in case.members] == [(cast["ivy"].id, "investigator")]
    with db.sessions() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.event_type == "case_opened"))
    assert event.case_id == first and event.to_state == "reported"


@pytest.mark.both_databases
def test_concurrent_openings_never_share_a_reference(db, cast):
    references, errors = [], []

    def open_some():
        try:
            for _ in range(5):
                with db.transaction() as session:
                    references.append(cases.open_case(session, cast["ivy"], title="t").reference)
        except Exception as error:  # noqa: BLE001 - asserted below
            errors.append(error)

    threads = [threading.Thread(target=open_some) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(references) == 30 and len(set(references)) == 30
    assert all(re.fullmatch(r"CW-\d{4}-\d{4}", ref) for ref in references)


@pytest.mark.parametrize("field, value, message", [
    ("title", "  ", "title: give the case a title"),
    ("latitude", "91", "latitude: must be between -90 and 90"),
    ("longitude", "-180.5", "longitude: must be between -180 and 180"),
    ("latitude", "north", "latitude: not a number"),
    ("deaths", -1, "deaths: a whole number from 0 to 10,000,000"),
    ("occurred_on", date.today() + timedelta(days=1), "date: cannot be in the future"),
    ("suspected_agent", "tear gas", "suspected agent: choose Chlorine, Sarin, Sulfur mustard, VX"),
    ("occurred_precision", "week", "occurred precision: choose Day, Month or Year"),
])
def test_bad_field_is_named_and_nothing_changes(db, cast, make_case, field, value, message):
    case_id = make_case(staffed=False)
    before = audit_count(db)
    with pytest.raises(Invalid, match=re.escape(message)) as refused:
        with db.transaction() as session:
            cases.update_case(session, cast["ivy"], case_id, expected_version=1, **{field: value})
    assert refused.value.field == field
    assert load(db, case_id).version == 1 and audit_count(db) == before


def test_update_records_changes_and_bumps_version(db, cast, make_case):
    case_id = make_case(staffed=False)
    with db.transaction() as session:
        cases.update_case(session, cast["ivy"], case_id, expected_version=1, latitude="35.8",
                          deaths=3)
    case = load(db, case_id)
    assert (case.version, case.latitude, case.deaths) == (2, Decimal("35.800000"), 3)
    with db.sessions() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.event_type == "case_updated"))
    assert '"latitude":[null,"35.800000"]' in event.payload and '"deaths":[null,3]' in event.payload


def test_stale_version_is_a_conflict_with_no_change(db, cast, make_case):
    case_id = make_case(staffed=False)
    with db.transaction() as session:
        cases.update_case(session, cast["ivy"], case_id, expected_version=1, place="Idlib")
    before = audit_count(db)
    with pytest.raises(Conflict, match="changed since you loaded the page"):
        with db.transaction() as session:
            cases.update_case(session, cast["ivy"], case_id, expected_version=1, place="Aleppo")
    assert load(db, case_id).place == "Idlib" and audit_count(db) == before


def test_state_is_written_only_by_the_pathway(db, make_case):
    case_id = make_case(staffed=False)
    with db.sessions() as session:
        case = session.get(Case, case_id)
        with pytest.raises(AttributeError, match="only through the pathway machine"):
            case.state = "closed"


@pytest.mark.both_databases
def test_database_refuses_a_closed_case_without_outcome(db, make_case):
    case_id = make_case(staffed=False)
    with pytest.raises(IntegrityError):
        with db.transaction() as session:
            session.execute(text("UPDATE cases SET state = 'closed' WHERE id = :id"), {"id": case_id})


@pytest.mark.both_databases
def test_database_allows_one_pending_request_per_case(db, cast, make_case, satisfy):
    case_id = make_case()
    satisfy(case_id, "investigation")
    with db.transaction() as session:
        reviews.request_gate(session, cast["ivy"], case_id, expected_version=ANY_VERSION,
                             target="investigation")
    with pytest.raises(IntegrityError):
        with db.transaction() as session:
            session.add(GateRequest(case_id=case_id, from_state="reported", target="investigation",
                                    requested_by_id=cast["ana"].id, checklist="[]"))
            session.flush()


def checklist(db, case_id: int, target: str = "investigation") -> dict:
    with db.sessions() as session:
        result = pathway.checklist(session, session.get(Case, case_id), target)
    return {item.code: (item.met, item.detail) for item in result.items}


def test_first_gate_requirements_unmet_then_met(db, cast, make_case):
    case_id = make_case(staffed=False, place="", country="")
    assert checklist(db, case_id) == {
        "case_details": (False, "missing: country, place"),
        "evidence": (False, "no active evidence item yet; add the initial report as evidence"),
        "lead_investigator": (False, "no lead investigator on the team; a supervisor names one "
                                     "on the team page"),
        "required_tasks": (True, "every required task of this stage is done"),
        "team": (True, "investigator: ivy"),
    }
    with db.transaction() as session:
        cases.update_case(session, cast["ivy"], case_id, expected_version=1, place="Saraqib",
                          country="Syria")
        cases.set_member(session, cast["sue"], case_id, expected_version=ANY_VERSION,
                         user_id=cast["ian"].id, case_role="lead_investigator")
        evidence.add_evidence(session, cast["ivy"], case_id, expected_version=ANY_VERSION,
                              kind="document", title="Report")
    assert checklist(db, case_id) == {
        "case_details": (True, "Chlorine barrel bomb on a residential block; 2016-08-10; Saraqib, Syria"),
        "evidence": (True, "1 active evidence item"),
        "lead_investigator": (True, "lead investigator: ian"),
        "required_tasks": (True, "every required task of this stage is done"),
        "team": (True, "investigator: ian, ivy"),
    }


def test_naming_a_new_lead_demotes_the_old_one(db, cast, make_case):
    case_id = make_case()
    with db.transaction() as session:
        cases.set_member(session, cast["sue"], case_id, expected_version=ANY_VERSION,
                         user_id=cast["ian"].id, case_role="lead_investigator")
    roles = {m.user_id: m.case_role for m in load(db, case_id).members}
    assert roles[cast["ian"].id] == "lead_investigator" and roles[cast["ivy"].id] == "investigator"


def test_only_investigators_can_lead(db, cast, make_case):
    case_id = make_case(staffed=False)
    with pytest.raises(Invalid, match="ana does not hold the investigator role"):
        with db.transaction() as session:
            cases.set_member(session, cast["sue"], case_id, expected_version=ANY_VERSION,
                             user_id=cast["ana"].id, case_role="lead_investigator")


def test_team_changes_need_a_supervisor_and_removal_hides_the_case(db, cast, make_case):
    case_id = make_case()
    with pytest.raises(Forbidden, match="needs the supervisor role"):
        with db.transaction() as session:
            cases.set_member(session, cast["ivy"], case_id, expected_version=ANY_VERSION,
                             user_id=cast["ian"].id, case_role="investigator")
    with db.transaction() as session:
        cases.remove_member(session, cast["sue"], case_id, expected_version=ANY_VERSION,
                            user_id=cast["ana"].id)
    with pytest.raises(NotFound):
        with db.sessions() as session:
            cases.load_case(session, case_id, cast["ana"])
