"""Every (stage, trigger, role): the allowed ones succeed for the right actor, every other one
is refused with no change in the database and no audit event."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from models.audit import AuditEvent
from models.case import Case
from models.gate_request import GateRequest
from models.task import Task
from workflow import reviews
from workflow.errors import WorkflowError
from workflow.pathway import CLOSED, GATES, STAGES, TRIGGERS, reopen_targets
from workflow.tasks import TEMPLATES
from workflow.command import ANY_VERSION

#: The user who plays each role; ivy leads the team and is the one who requested the gate.
PLAYER = {"investigator": "ivy", "analyst": "ana", "legal_officer": "leo",
          "supervisor": "sam", "auditor": "aud", "admin": "adm"}


def allowed(stage: str, trigger: str) -> set[str]:
    """The roles whose player may fire `trigger` on a case in `stage` (the spec, by hand)."""
    if stage == CLOSED:
        return {"supervisor"} if trigger == "reopen" else set()
    return {
        "request_gate": {"investigator", "analyst", "legal_officer"},
        "approve_gate": {"supervisor"},
        "reject_gate": {"supervisor"},
        "withdraw_gate": {"investigator"},
        "reopen": {"supervisor"} if reopen_targets(stage) else set(),
    }[trigger]


def snapshot(db, case_id: int) -> tuple:
    with db.sessions() as session:
        case = session.get(Case, case_id)
        decisions = session.scalars(select(GateRequest.decision).where(GateRequest.case_id == case_id)
                                    .order_by(GateRequest.id)).all()
        events = session.scalar(select(func.count()).select_from(AuditEvent))
        open_here = session.scalar(select(func.count()).select_from(Task).where(
            Task.case_id == case_id, Task.stage == case.state, Task.status.in_(("open", "in_progress"))))
        return case.state, case.version, case.outcome, tuple(decisions), events, open_here


def last_event(db, event_type: str) -> AuditEvent:
    with db.sessions() as session:
        return session.scalar(select(AuditEvent).where(AuditEvent.event_type == event_type)
                              .order_by(AuditEvent.seq.desc()).limit(1))


def fire(db, actor, trigger: str, case_id: int, stage: str, request_id: int | None):
    with db.transaction() as session:
        if trigger == "request_gate":
            target = GATES.get(stage, ("investigation",))[0]
            return reviews.request_gate(session, actor, case_id, expected_version=ANY_VERSION,
                                        target=target, note="please")
        if trigger == "approve_gate":
            return reviews.approve_gate(session, actor, request_id, expected_version=ANY_VERSION,
                                        reason="evidence holds")
        if trigger == "reject_gate":
            return reviews.reject_gate(session, actor, request_id, expected_version=ANY_VERSION,
                                       reason="not yet")
        if trigger == "withdraw_gate":
            return reviews.withdraw_gate(session, actor, request_id, expected_version=ANY_VERSION)
        target = (reopen_targets(stage) or ("investigation",))[0]
        return reviews.reopen(session, actor, case_id, expected_version=ANY_VERSION, target=target,
                              reason="new evidence")


def expected_after(stage: str, trigger: str) -> tuple[str, str]:
    """(stage afterwards, event type written) for a successful trigger."""
    if trigger == "approve_gate":
        return GATES[stage][0], "gate_approved"
    if trigger == "reopen":
        return reopen_targets(stage)[0], "case_reopened"
    return stage, {"request_gate": "gate_requested", "reject_gate": "gate_rejected",
                   "withdraw_gate": "gate_withdrawn"}[trigger]


@pytest.mark.parametrize("trigger", TRIGGERS)
@pytest.mark.parametrize("stage", STAGES)
def test_stage_trigger_role(db, cast, make_case, move, satisfy, stage, trigger):
    for role, player in PLAYER.items():
        case_id = make_case()
        move(case_id, stage)
        if stage in GATES:
            satisfy(case_id, GATES[stage][0])
        request_id = None
        if trigger in ("approve_gate", "reject_gate", "withdraw_gate"):
            if stage == CLOSED:
                with db.sessions() as session:  # nothing pending: the last, decided request
                    request_id = session.scalar(select(func.max(GateRequest.id))
                                                .where(GateRequest.case_id == case_id))
            else:
                request_id = fire(db, cast["ivy"], "request_gate", case_id, stage, None).id
        before = snapshot(db, case_id)
        if role in allowed(stage, trigger):
            fire(db, cast[player], trigger, case_id, stage, request_id)
            after = snapshot(db, case_id)
            stage_after, event_type = expected_after(stage, trigger)
            assert after[0] == stage_after and after[1] == before[1] + 1, (role, after)
            # One event for the command, one per open task of the stage left (cancelled) and
            # one per task the stage entered starts with.
            entered = stage_after != stage and trigger in ("approve_gate", "reopen")
            moved_tasks = before[5] + len(TEMPLATES.get(stage_after, ())) if entered else 0
            assert after[4] == before[4] + 1 + moved_tasks
            event = last_event(db, event_type)
            assert (event.event_type, event.actor_username, event.case_id) == (event_type, player, case_id)
        else:
            with pytest.raises(WorkflowError):
                fire(db, cast[player], trigger, case_id, stage, request_id)
            assert snapshot(db, case_id) == before, (role, trigger, stage)


def test_four_eyes_the_requester_cannot_decide(db, cast, make_case, make_user, satisfy):
    from workflow import cases
    case_id = make_case()
    satisfy(case_id, "investigation")
    sia = make_user("sia", "investigator", "supervisor")
    with db.transaction() as session:  # sia supervises, and is an investigator on this team
        cases.set_member(session, cast["sam"], case_id, expected_version=ANY_VERSION,
                         user_id=sia, case_role="investigator")
    from workflow.audit import Actor
    sia_both = Actor(sia, "sia", ("investigator", "supervisor"))
    request = fire(db, sia_both, "request_gate", case_id, "reported", None)
    before = snapshot(db, case_id)
    for trigger in ("approve_gate", "reject_gate"):
        with pytest.raises(WorkflowError, match="four-eyes"):
            fire(db, sia_both, trigger, case_id, "reported", request.id)
    assert snapshot(db, case_id) == before
    fire(db, cast["sam"], "approve_gate", case_id, "reported", request.id)
    assert snapshot(db, case_id)[0] == "investigation"
