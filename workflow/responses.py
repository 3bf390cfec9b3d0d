"""Response commands: propose from the menu, move through the lifecycle, track milestones.

Each runs inside the caller's transaction on a locked, current case and writes its audit
event; every status change carries a reason.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from models.register import RegisterEntry
from models.response import Milestone, Response, ResponseBlock
from workflow import command, permissions, registers, tasks
from workflow.audit import Actor
from workflow.errors import Invalid, NotFound
from workflow.fields import day, one_of, text
from workflow.menu import BY_KEY, LEVELS, NEXT_STATUSES, STATUSES, STRATEGIES, TOOLS
from vocabulary import FACTORS
from workflow.stages import RESPONSE_STAGES  # noqa: F401 (re-exported)
from workflow import clock
from workflow.registers import known_entries, written_names
from workflow.words import _, inline, series


def response_of(session: Session, case_id: int, response_id: int) -> Response:
    response = session.get(Response, response_id)
    if response is None or response.case_id != case_id:
        raise NotFound(_("No such response in this case."))
    return response


def _details(response: Response) -> dict:
    return {"level": response.level, "tool": response.tool, "actor": response.actor,
            "description": response.description, "legally_binding": response.legally_binding,
            "legal_basis": response.legal_basis, "strategies": response.strategy_list,
            "target": response.target, "catalog_key": response.catalog_key,
            "status": response.status, **linked(response)}


def linked(response: Response) -> dict:
    """The register entries and factors a response names, as its audit events record them."""
    return {"actors": names(response.actors), "instruments": names(response.instruments),
            "forum": response.forum.name if response.forum else None, "factors": response.factors}


def names(entries) -> list[str]:
    return [entry.name for entry in entries]


def actor_entries(session: Session, actor: Actor, written, field: str = "actors") -> list[RegisterEntry]:
    """The actor register's entries for the names given, through their aliases; an unknown name
    is proposed as a new entry for a supervisor to accept (with its kind) or merge."""
    found: dict[int, RegisterEntry] = {}
    for name in written_names(written):
        entry = registers.link(session, actor, "actor", text(name, field, 300, True), "state")
        found.setdefault(entry.id, entry)
    return list(found.values())


def forum_entry(session: Session, written, field: str = "forum") -> RegisterEntry | None:
    """The forum register's entry for the name given (None if none is given)."""
    entries = known_entries(session, "forum", written, field)
    if len(entries) > 1:
        raise Invalid(_("%(field)s: one forum only", field=field), field)
    return entries[0] if entries else None


def factor_list(factors) -> list[str]:
    """The restraint factors named, checked against the vocabulary."""
    factors = [factors] if isinstance(factors, str) else list(factors or ())
    unknown = sorted(set(factors) - set(FACTORS))
    if unknown:
        raise Invalid(_("factors: unknown %(codes)s", codes=", ".join(unknown)), "factors")
    return [factor for factor in FACTORS if factor in factors]


def propose_response(session: Session, actor: Actor, case_id: int, *, expected_version,
                     level: str, tool: str, actor_name: str, description: str,
                     legally_binding: bool = False, legal_basis: str = "", strategies=(),
                     target: str = "", catalog_key: str = "", actors=(), instruments=(),
                     forum: str = "", factors=()) -> Response:
    """Put a response on the case's menu as proposed: its actors (a coalition: one or more,
    from the actor register; the free-text actor stays as written), the instruments relied on,
    the forum, and the restraint factors it is meant to reinforce."""
    cmd = command.begin(session, actor, case_id, action=permissions.RECORD_RESPONSE,
                        expected_version=expected_version)
    case = cmd.case
    permissions.require(permissions.can_propose_response(actor, case, cmd.pending))
    if catalog_key and catalog_key not in BY_KEY:
        raise Invalid(_("catalog option: unknown"), "catalog_key")
    unknown = sorted(set(strategies) - set(STRATEGIES))
    if unknown:
        raise Invalid(_("strategies: unknown %(codes)s", codes=", ".join(unknown)), "strategies")
    response = Response(
        case_id=case.id, level=one_of(level, "level", LEVELS), tool=one_of(tool, "tool", TOOLS),
        actor=text(actor_name, "actor", 300, True), description=text(description, "description", 20_000, True),
        legally_binding=bool(legally_binding), legal_basis=text(legal_basis, "legal_basis", 300),
        strategies=",".join(tag for tag in STRATEGIES if tag in strategies),
        target=text(target, "target", 300), catalog_key=catalog_key, created_by_id=actor.id)
    factors = factor_list(factors)
    entries = actor_entries(session, actor, actors)
    if not entries:
        # Without actors chosen, the free-text actor stands for one if the register knows it
        # (free text such as "29 states and NATO" is not proposed as an entry).
        known = registers.resolve(session, "actor", response.actor, lock=True)
        entries = [known] if known is not None else []
    chosen_instruments = known_entries(session, "instrument", instruments, "instruments")
    chosen_forum = forum_entry(session, forum)
    session.add(response)
    session.flush()
    response.actors, response.instruments, response.forum = entries, chosen_instruments, chosen_forum
    response.factors = factors
    session.flush()
    done = tasks.lock_completed_by(cmd, "response")
    cmd.record("response_proposed", "response", response.id, _details(response))
    tasks.complete_by_record(cmd, done, "response", "response", response.id)
    return response


def change_status(session: Session, actor: Actor, case_id: int, *, expected_version,
                  response_id: int, status: str, reason: str,
                  decided_on: date | None = None, legally_binding: bool | None = None,
                  blocked_by: str = "", blocked_in: str = "") -> Response:
    """Move a response along its lifecycle, with a reason; a forbidden move changes nothing.
    Blocking names who blocked it (actor register), where (forum register: the response's own
    forum if none is given), and its reason says why."""
    cmd = command.begin(session, actor, case_id, action=permissions.RECORD_RESPONSE,
                        expected_version=expected_version)
    case = cmd.case
    response = response_of(session, case.id, response_id)
    allowed = NEXT_STATUSES.get(response.status, ())
    if status not in allowed:
        if not allowed:
            raise Invalid(_("status: a %(status)s response can become nothing: it is final",
                            status=inline(response.status)), "status")
        raise Invalid(_("status: a %(status)s response can become %(statuses)s",
                        status=inline(response.status), statuses=series([inline(s) for s in allowed])),
                      "status")
    if status == "blocked" and not written_names([reason]):
        raise Invalid(_("reason: say why it was blocked (e.g. a veto, and the grounds given)"), "reason")
    reason = text(reason, "reason", 5000, True)
    block = None
    if status == "blocked":
        block = _block(session, actor, case.id, response, blocked_by, blocked_in, reason)
    elif written_names([blocked_by, blocked_in]):
        raise Invalid(_("blocked_by: who blocked it, and where, belong to a blocked response"),
                      "blocked_by")
    before = response.status
    response.status = status
    if status in ("adopted", "blocked"):
        response.decided_on = day(decided_on, "decided_on", past=True) or clock.today()
    if legally_binding is not None and status == "adopted":
        response.legally_binding = bool(legally_binding)
    cmd.record("response_status_changed", "response", response.id, {
        "before": before, "after": status, "reason": reason,
        "legally_binding": response.legally_binding,
        "decided_on": response.decided_on.isoformat() if response.decided_on else None,
        **({"blocked_by": block.blocked_by.name, "blocked_in": block.forum.name if block.forum else None,
            "blocked_why": block.reason} if block else {})})
    return response


def _block(session: Session, actor: Actor, case_id: int, response: Response, blocked_by: str,
           blocked_in: str, why: str) -> ResponseBlock:
    """Who blocked the response, where and why: each required but the forum."""
    if not written_names([blocked_by]):
        raise Invalid(_("blocked_by: name who blocked it (a state or organisation)"), "blocked_by")
    blocker = actor_entries(session, actor, [blocked_by], "blocked_by")[0]
    forum = forum_entry(session, blocked_in, "blocked_in") or response.forum
    block = ResponseBlock(case_id=case_id, response_id=response.id, blocked_by_id=blocker.id,
                          forum_id=forum.id if forum else None, reason=why)
    session.add(block)
    session.flush()
    response.block = block
    return block


def add_milestone(session: Session, actor: Actor, case_id: int, *, expected_version,
                  response_id: int, description: str, due_on: date,
                  note: str = "") -> Milestone:
    """Add an implementation milestone to an adopted response."""
    cmd = command.begin(session, actor, case_id, action=permissions.RECORD_RESPONSE,
                        expected_version=expected_version)
    case = cmd.case
    response = response_of(session, case.id, response_id)
    if response.status != "adopted":
        raise Invalid(_("milestones belong to adopted responses; this one is %(status)s",
                        status=inline(response.status)))
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
        raise NotFound(_("No such milestone in this response."))
    done_on, note = day(done_on, "done_on", past=True), text(note, "note", 5000)
    if (done_on, note) == (milestone.done_on, milestone.note):
        return milestone  # saved as it was: nothing to record, and the case's version stays
    milestone.done_on, milestone.note = done_on, note
    cmd.record("milestone_updated", "milestone", milestone.id, {
        "done_on": milestone.done_on.isoformat() if milestone.done_on else None,
        "note": milestone.note})
    return milestone


def import_response(session: Session, actor: Actor, case_id: int, *, expected_version, level: str, tool: str,
                    actor_name: str, description: str, status: str, decided_on: date | None = None,
                    legally_binding: bool = False, blocked_by: str = "", blocked_in: str = "") -> Response:
    """Record a response from an imported history, with the status it reached (and, blocked, who
    blocked it and where, when the record says)."""
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
    details = _details(response)
    if status == "blocked" and written_names([blocked_by, blocked_in]):
        block = _block(session, actor, case.id, response, blocked_by, blocked_in, response.description)
        details.update(blocked_by=block.blocked_by.name, blocked_in=block.forum.name if block.forum else None)
    cmd.record("response_imported", "response", response.id, details)
    return response
