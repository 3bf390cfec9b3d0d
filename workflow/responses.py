"""Response commands: propose from the menu, move through the lifecycle, track milestones.

Each runs inside the caller's transaction on a locked, current case and writes its audit
event; every status change carries a reason.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from models.response import Milestone, Response
from workflow import command, permissions, tasks
from workflow.audit import Actor
from workflow.errors import Invalid, NotFound
from workflow.fields import day, one_of, text
from workflow.menu import BY_KEY, LEVELS, NEXT_STATUSES, STATUSES, STRATEGIES, TOOLS
from workflow.stages import RESPONSE_STAGES  # noqa: F401 (re-exported)
from workflow import clock


def response_of(session: Session, case_id: int, response_id: int) -> Response:
    response = session.get(Response, response_id)
    if response is None or response.case_id != case_id:
        raise NotFound("No such response in this case.")
    return response


def _details(response: Response) -> dict:
    return {"level": response.level, "tool": response.tool, "actor": response.actor,
            "description": response.description, "legally_binding": response.legally_binding,
            "legal_basis": response.legal_basis, "strategies": response.strategy_list,
            "target": response.target, "catalog_key": response.catalog_key,
            "status": response.status}


def propose_response(session: Session, actor: Actor, case_id: int, *, expected_version,
                     level: str, tool: str, actor_name: str, description: str,
                     legally_binding: bool = False, legal_basis: str = "", strategies=(),
                     target: str = "", catalog_key: str = "") -> Response:
    """Put a response on the case's menu as proposed."""
    cmd = command.begin(session, actor, case_id, action=permissions.RECORD_RESPONSE,
                        expected_version=expected_version)
    case = cmd.case
    permissions.require(permissions.can_propose_response(actor, case, cmd.pending))
    if catalog_key and catalog_key not in BY_KEY:
        raise Invalid("catalog option: unknown", "catalog_key")
    unknown = sorted(set(strategies) - set(STRATEGIES))
    if unknown:
        raise Invalid(f"strategies: unknown {', '.join(unknown)}", "strategies")
    response = Response(
        case_id=case.id, level=one_of(level, "level", LEVELS), tool=one_of(tool, "tool", TOOLS),
        actor=text(actor_name, "actor", 300, True), description=text(description, "description", 20_000, True),
        legally_binding=bool(legally_binding), legal_basis=text(legal_basis, "legal_basis", 300),
        strategies=",".join(tag for tag in STRATEGIES if tag in strategies),
        target=text(target, "target", 300), catalog_key=catalog_key, created_by_id=actor.id)
    session.add(response)
    session.flush()
    done = tasks.lock_completed_by(cmd, "response")
    cmd.record("response_proposed", "response", response.id, _details(response))
    tasks.complete_by_record(cmd, done, "response", "response", response.id)
    return response


def change_status(session: Session, actor: Actor, case_id: int, *, expected_version,
                  response_id: int, status: str, reason: str,
                  decided_on: date | None = None, legally_binding: bool | None = None) -> Response:
    """Move a response along its lifecycle, with a reason; a forbidden move changes nothing."""
    cmd = command.begin(session, actor, case_id, action=permissions.RECORD_RESPONSE,
                        expected_version=expected_version)
    case = cmd.case
    response = response_of(session, case.id, response_id)
    allowed = NEXT_STATUSES.get(response.status, ())
    if status not in allowed:
        then = ", ".join(allowed) or "nothing: it is final"
        raise Invalid(f"status: a {response.status} response can become {then}", "status")
    reason = text(reason, "reason", 5000, True)
    before = response.status
    response.status = status
    if status in ("adopted", "blocked"):
        response.decided_on = day(decided_on, "decided_on", past=True) or clock.today()
    if legally_binding is not None and status == "adopted":
        response.legally_binding = bool(legally_binding)
    cmd.record("response_status_changed", "response", response.id, {
        "before": before, "after": status, "reason": reason,
        "legally_binding": response.legally_binding,
        "decided_on": response.decided_on.isoformat() if response.decided_on else None})
    return response


def add_milestone(session: Session, actor: Actor, case_id: int, *, expected_version,
                  response_id: int, description: str, due_on: date,
                  note: str = "") -> Milestone:
    """Add an implementation milestone to an adopted response."""
    cmd = command.begin(session, actor, case_id, action=permissions.RECORD_RESPONSE,
                        expected_version=expected_version)
    case = cmd.case
    response = response_of(session, case.id, response_id)
    if response.status != "adopted":
        raise Invalid(f"milestones belong to adopted responses; this one is {response.status}")
    milestone = Milestone(response_id=response.id, description=text(description, "description", 5000, True),
                          due_on=day(due_on, "due_on", required=True), note=text(note, "note", 5000))
    response.milestones.append(milestone)
    session.flush()
    cmd.record("milestone_added", "milestone", milestone.id, {
        "response_id": response.id, "description": milestone.description,
        "due_on": milestone.due_on.isoformat()})
    return milestone


def update_milestone(session: Session, actor: Actor, case_id: int, *, expected_version,
                     milestone_id: int, done_on: date | None, note: str,
                     response_id: int | None = None) -> Milestone:
    """Mark a milestone done, or explain why it is not; it must belong to the response named."""
    cmd = command.begin(session, actor, case_id, action=permissions.RECORD_RESPONSE,
                        expected_version=expected_version)
    case = cmd.case
    milestone = session.get(Milestone, milestone_id)
    if (milestone is None or milestone.response.case_id != case.id
            or (response_id is not None and milestone.response_id != response_id)):
        raise NotFound("No such milestone in this response.")
    milestone.done_on = day(done_on, "done_on", past=True)
    milestone.note = text(note, "note", 5000)
    cmd.record("milestone_updated", "milestone", milestone.id, {
        "done_on": milestone.done_on.isoformat() if milestone.done_on else None,
        "note": milestone.note})
    return milestone


def import_response(session: Session, actor: Actor, case_id: int, *, expected_version, level: str, tool: str,
                    actor_name: str, description: str, status: str, decided_on: date | None = None,
                    legally_binding: bool = False) -> Response:
    """Record a response from an imported history, with the status it reached."""
    # Whoever may open (import) a case records its documented history.
    cmd = command.begin(session, actor, case_id, action=permissions.OPEN_CASE,
                        expected_version=expected_version)
    case = cmd.case
    response = Response(
        case_id=case.id, level=one_of(level, "level", LEVELS), tool=one_of(tool, "tool", TOOLS),
        actor=text(actor_name, "actor", 300, True), description=text(description, "description", 20_000, True),
        status=one_of(status, "status", STATUSES),
        legally_binding=legally_binding, decided_on=decided_on, created_by_id=actor.id)
    session.add(response)
    session.flush()
    cmd.record("response_imported", "response", response.id, _details(response))
    return response
