"""Gate commands: request, approve, reject, withdraw, and reopen (DESIGN §2).

Each runs inside the caller's transaction: lock the case, check the version, authorize,
evaluate the gate, fire the pathway machine, whose callback writes the change and its
audit event.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.case import Case
from models.gate_request import GateRequest
from workflow import audit, gates, permissions, queries, tasks
from workflow.audit import Actor
from workflow.audit_chain import canonical_json
from workflow.cases import (
    authorize,
    check_version,
    load_case,
    load_case_of_request,
    pending_request,
)
from workflow.clock import utcnow
from workflow.errors import Conflict, Forbidden, GateUnmet, Invalid, NotFound
from workflow.pathway import (
    CLOSED,
    CLOSING_OUTCOMES,
    EVALUATION,
    GATES,
    IMPORT_TRIGGER,
    LABELS,
    fire,
    reopen_targets,
)


def _refuse_unmet(checklist: gates.Checklist, when: str) -> None:
    if not checklist.all_met:
        unmet = "; ".join(f"{item.sentence} ({item.detail})" for item in checklist.unmet)
        raise GateUnmet(f"The gate to {LABELS[checklist.target]} is closed {when}: {unmet}",
                        checklist)


def _fire(case: Case, trigger: str, **kwargs) -> None:
    if not fire(case, trigger, **kwargs):
        raise Conflict(f"Case {case.reference} cannot {trigger.replace('_', ' ')} "
                       f"from {LABELS[case.state]} now.")


def _closing_outcome(session: Session, case: Case, source: str) -> str:
    """The outcome a case closes with: the evaluation's, or the one its closing stage implies."""
    if source == EVALUATION:
        evaluation = queries.latest_evaluation(session, case.id)
        if evaluation is not None and evaluation.outcome:
            return evaluation.outcome
    return CLOSING_OUTCOMES[source]


def request_gate(session: Session, case_id: int, target: str, actor: Actor,
                 expected_version: int | None, note: str = "") -> GateRequest:
    """Ask for the case to pass the gate to `target`; every requirement must be met now."""
    case = load_case(session, case_id, actor, lock=True)
    check_version(case, expected_version)
    authorize(actor, permissions.REQUEST_GATE, case)
    targets = GATES.get(case.state, ())
    if target not in targets:
        allowed = ", ".join(targets) or "none (the case is closed)"
        raise Invalid(f"target: no gate leads from {case.state} to {target}; "
                      f"the gates from here lead to {allowed}", "target")
    pending = pending_request(session, case.id)
    if pending is not None:
        raise Conflict(f"Case {case.reference} is already under review (gate to {pending.target}).")
    checklist = gates.evaluate(session, case, target)
    _refuse_unmet(checklist, "now")
    request = GateRequest(case_id=case.id, from_state=case.state, target=target,
                          requested_by_id=actor.id, requested_at=utcnow(), note=note.strip(),
                          checklist=canonical_json(checklist.snapshot()))

    def record(source: str, _dest: str) -> None:
        session.add(request)
        case.version += 1
        session.flush()
        audit.append(session, "gate_requested", actor, case_id=case.id,
                     entity_type="gate_request", entity_id=request.id, from_state=source,
                     details={"target": target, "note": request.note,
                              "checklist": checklist.snapshot()})

    _fire(case, "request_gate", pending=None, checklist=checklist, record=record)
    return request


def _load_request(session: Session, request_id: int, actor) -> tuple[GateRequest, Case]:
    """The request and its locked case, if the actor may see the case."""
    try:
        case = load_case_of_request(session, request_id, actor)
    except NotFound:
        raise NotFound("No such gate request.") from None
    # Read after the lock, so a decision committed meanwhile is seen.
    request = session.scalar(select(GateRequest).where(GateRequest.id == request_id)
                             .execution_options(populate_existing=True))
    if request.decision != "pending":
        by = request.decided_by.username if request.decided_by else "someone"
        raise Conflict(f"This request was already {request.decision} by {by}.")
    return request, case


def _decide(request: GateRequest, actor: Actor, decision: str, reason: str) -> None:
    request.decision = decision
    request.decided_by_id = actor.id
    request.decided_at = utcnow()
    request.reason = reason


def _check_four_eyes(request: GateRequest, actor: Actor) -> None:
    if request.requested_by_id == actor.id:
        raise Forbidden("You requested this gate: another supervisor must decide it (four-eyes).")


def approve_gate(session: Session, request_id: int, actor: Actor, reason: str = "",
                 expected_version: int | None = None) -> Case:
    """Approve a request: the requirements are checked again, then the case moves."""
    request, case = _load_request(session, request_id, actor)
    check_version(case, expected_version)
    authorize(actor, permissions.DECIDE_GATE, case)
    _check_four_eyes(request, actor)
    checklist = gates.evaluate(session, case, request.target)
    _refuse_unmet(checklist, "at approval time")
    # Read before the move: a query inside it would flush a closed case without its outcome.
    outcome = _closing_outcome(session, case, case.state) if request.target == CLOSED else None

    def record(source: str, dest: str) -> None:
        _decide(request, actor, "approved", reason.strip())
        case.version += 1
        if dest == CLOSED:
            case.outcome, case.closed_at = outcome, request.decided_at
        audit.append(session, "gate_approved", actor, case_id=case.id,
                     entity_type="gate_request", entity_id=request.id, from_state=source,
                     to_state=dest, details={"reason": request.reason, "outcome": case.outcome,
                                             "requested_by": request.requested_by_id,
                                             "checklist": checklist.snapshot()})
        tasks.create_stage_tasks(session, case, actor)

    _fire(case, "approve_gate", target=request.target, pending=request, checklist=checklist,
          record=record)
    return case


def reject_gate(session: Session, request_id: int, actor: Actor, reason: str,
                expected_version: int | None = None) -> Case:
    """Reject a request with a written reason; the case stays where it is."""
    request, case = _load_request(session, request_id, actor)
    check_version(case, expected_version)
    authorize(actor, permissions.DECIDE_GATE, case)
    _check_four_eyes(request, actor)
    if not reason.strip():
        raise Invalid("reason: say why the request is rejected", "reason")
    _end_review(session, case, request, actor, "rejected", "reject_gate", reason.strip())
    return case


def withdraw_gate(session: Session, request_id: int, actor: Actor,
                  expected_version: int | None = None) -> Case:
    """The requester takes their request back."""
    request, case = _load_request(session, request_id, actor)
    check_version(case, expected_version)
    if request.requested_by_id != actor.id:
        raise Forbidden("Only the person who requested a gate can withdraw it.")
    _end_review(session, case, request, actor, "withdrawn", "withdraw_gate", "")
    return case


def _end_review(session: Session, case: Case, request: GateRequest, actor: Actor,
                decision: str, trigger: str, reason: str) -> None:
    def record(source: str, _dest: str) -> None:
        _decide(request, actor, decision, reason)
        case.version += 1
        audit.append(session, f"gate_{decision}", actor, case_id=case.id,
                     entity_type="gate_request", entity_id=request.id, from_state=source,
                     details={"target": request.target, "reason": reason})

    _fire(case, trigger, pending=request, record=record)


def reopen(session: Session, case_id: int, target: str, actor: Actor, reason: str,
           expected_version: int | None) -> Case:
    """Send a case back to an earlier stage, with a written reason."""
    case = load_case(session, case_id, actor, lock=True)
    check_version(case, expected_version)
    authorize(actor, permissions.REOPEN, case)
    if target not in reopen_targets(case.state):
        allowed = ", ".join(reopen_targets(case.state)) or "none"
        raise Invalid(f"target: a case in {case.state} can be reopened to {allowed}", "target")
    if not reason.strip():
        raise Invalid("reason: say why the case is reopened", "reason")
    pending = pending_request(session, case.id)

    def record(source: str, dest: str) -> None:
        case.version += 1
        if source == CLOSED:
            case.outcome, case.closed_at = None, None
        audit.append(session, "case_reopened", actor, case_id=case.id, entity_type="case",
                     entity_id=case.id, from_state=source, to_state=dest,
                     details={"reason": reason.strip()})
        tasks.create_stage_tasks(session, case, actor)

    if pending is not None:
        raise Conflict(f"Case {case.reference} is under review; decide that request first.")
    _fire(case, "reopen", target=target, pending=None, record=record)
    return case


def import_history(session: Session, case: Case, target: str, actor: Actor, source: str,
                   outcome: str | None = None) -> None:
    """Place a just-imported case at the stage its documented history supports, marked as such."""
    if target == CLOSED and not outcome:
        raise Invalid("outcome: a closed history needs its outcome", "outcome")

    def record(source_state: str, dest: str) -> None:
        case.history_imported = True
        case.version += 1
        if dest == CLOSED:
            case.outcome, case.closed_at = outcome, utcnow()
        audit.append(session, "history_imported", actor, case_id=case.id, entity_type="case",
                     entity_id=case.id, from_state=source_state, to_state=dest,
                     details={"source": source, "outcome": outcome, "imported_history": True})

    _fire(case, IMPORT_TRIGGER, target=target, record=record)
