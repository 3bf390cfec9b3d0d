"""Two supervisors deciding the same request at the same moment: one decision, one audit event."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from models.audit import AuditEvent
from models.case import Case
from models.gate_request import GateRequest
from workflow import audit, reviews
from workflow.errors import Conflict
from workflow.command import ANY_VERSION


def race(db, *commands):
    """Run each command in its own thread and transaction, started together."""
    barrier = threading.Barrier(len(commands))
    outcomes = [None] * len(commands)

    def run(index, command):
        barrier.wait()
        try:
            with db.transaction() as session:
                command(session)
            outcomes[index] = "ok"
        except Conflict as error:
            outcomes[index] = error
    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(commands)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def pending_request_id(db, cast, make_case, satisfy) -> tuple[int, int]:
    case_id = make_case()
    satisfy(case_id, "investigation")
    with db.transaction() as session:
        request_id = reviews.request_gate(session, cast["ivy"], case_id,
                                          expected_version=ANY_VERSION, target="investigation").id
    return case_id, request_id


def decisions(db, case_id: int) -> list[str]:
    with db.sessions() as session:
        return session.scalars(select(AuditEvent.event_type).where(
            AuditEvent.case_id == case_id, AuditEvent.event_type.in_(
                ("gate_approved", "gate_rejected")))).all()


@pytest.mark.both_databases
@pytest.mark.parametrize("round_", range(3))
def test_two_approvals_of_one_request_make_one_move(db, cast, make_case, satisfy, round_):
    case_id, request_id = pending_request_id(db, cast, make_case, satisfy)
    outcomes = race(db, lambda s: reviews.approve_gate(s, cast["sue"], request_id, expected_version=ANY_VERSION, reason="yes"),
                    lambda s: reviews.approve_gate(s, cast["sam"], request_id, expected_version=ANY_VERSION, reason="yes"))
    assert sorted(map(str, outcomes)).count("ok") == 1
    conflict = next(o for o in outcomes if o != "ok")
    assert "already approved" in str(conflict)
    assert decisions(db, case_id) == ["gate_approved"]
    with db.sessions() as session:
        assert session.get(Case, case_id).state == "investigation"
        assert audit.verify_chain(session).ok


@pytest.mark.both_databases
@pytest.mark.parametrize("round_", range(3))
def test_approve_against_reject_gives_one_outcome_the_audit_agrees_with(db, cast, make_case, satisfy, round_):
    case_id, request_id = pending_request_id(db, cast, make_case, satisfy)
    outcomes = race(db, lambda s: reviews.approve_gate(s, cast["sue"], request_id, expected_version=ANY_VERSION, reason="yes"),
                    lambda s: reviews.reject_gate(s, cast["sam"], request_id, expected_version=ANY_VERSION, reason="no"))
    assert [o == "ok" for o in outcomes].count(True) == 1
    with db.sessions() as session:
        decision = session.get(GateRequest, request_id).decision
        state = session.get(Case, case_id).state
        assert audit.verify_chain(session).ok
    assert decisions(db, case_id) == [f"gate_{decision}"]
    assert state == ("investigation" if decision == "approved" else "reported")
    assert (decision == "approved") == (outcomes[0] == "ok")
