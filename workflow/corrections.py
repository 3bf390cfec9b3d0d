"""Corrections of recorded details, each with a required reason and its before and after in
the audit event, while the case is open and not under review.

What may be corrected is listed here field by field: an evidence item's title, description,
kind and grading; a response's actor, description, legal basis and strategies, its actors,
instruments and forum from the registers and the factors it reinforces; the due date of a task
or a milestone (rescheduling it); an imported case's details, when its source file says
otherwise (also once closed: the record is the source's, not a decision). Nothing else is: a
file's hash, custody events,
findings and decisions (on gates and on responses) stand as recorded, and a later record
supersedes them. The history of a record's corrections is read back from the audit log.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.evidence import INFORMATION_GRADES, KINDS, SOURCE_GRADES, EvidenceItem
from models.response import Milestone, Response
from models.task import Task
from vocabulary import OPEN_TASK_STATUSES, SAMPLE_KINDS, STRATEGIES
from workflow import cases, command, permissions, queries
from workflow.audit import Actor
from workflow.errors import Conflict, Invalid, NotFound
from workflow.evidence import evidence_of
from workflow.fields import day, one_of, text
from workflow.words import _, inline, series
from workflow.registers import known_entries
from workflow.responses import actor_entries, factor_list, forum_entry, response_of


def _strategies(value) -> str:
    tags = [value] if isinstance(value, str) else list(value or ())
    unknown = sorted(set(tags) - set(STRATEGIES))
    if unknown:
        raise Invalid(_("strategies: unknown %(codes)s", codes=series(unknown)), "strategies")
    return ",".join(tag for tag in STRATEGIES if tag in tags)


def _due(value) -> date:
    return day(value, "due_on", required=True, upcoming=True)


@dataclass(frozen=True)
class Correctable:
    """A kind of record that may be corrected: the fields that may, each with its check."""

    entity_type: str
    event_type: str
    action: str
    fields: dict[str, Callable]


EVIDENCE = Correctable("evidence", "evidence_corrected", permissions.RECORD_EVIDENCE, {
    "title": lambda v: text(v, "title", 200, True),
    "description": lambda v: text(v, "description", 20_000),
    "kind": lambda v: one_of(v, "kind", KINDS),
    "source_grade": lambda v: one_of(v, "source_grade", SOURCE_GRADES),
    "information_grade": lambda v: one_of(v, "information_grade", INFORMATION_GRADES)})
RESPONSE = Correctable("response", "response_corrected", permissions.RECORD_RESPONSE, {
    "actor": lambda v: text(v, "actor", 300, True),
    "description": lambda v: text(v, "description", 20_000, True),
    "legal_basis": lambda v: text(v, "legal_basis", 300),
    "strategies": _strategies,
    # Register entries and factors arrive resolved and checked (correct_response).
    "actors": lambda v: v, "instruments": lambda v: v, "forum": lambda v: v or None,
    "factors": lambda v: v})
#: The details of a case an import brings (the project's CSV format, see workflow/importer.py).
IMPORTED_CASE_FIELDS = ("title", "occurred_on", "occurred_precision", "country", "place",
                        "latitude", "longitude", "suspected_agent", "delivery_means", "deaths",
                        "injured", "summary", "targeted")
CASE = Correctable("case", "case_corrected", permissions.OPEN_CASE, {
    name: (lambda v, name=name: cases.clean_field(name, v)) for name in IMPORTED_CASE_FIELDS})
TASK = Correctable("task", "task_corrected", permissions.MANAGE_TEAM, {"due_on": _due})
MILESTONE = Correctable("milestone", "milestone_corrected", permissions.RECORD_RESPONSE,
                        {"due_on": _due})
KINDS_OF_RECORD = (EVIDENCE, RESPONSE, TASK, MILESTONE, CASE)
#: The audit events of corrections.
EVENT_TYPES = tuple(kind.event_type for kind in KINDS_OF_RECORD)


def _shown(name: str, value):
    """A value as the audit event and the history show it."""
    if name == "strategies":
        return [tag for tag in value.split(",") if tag]
    if name in ("actors", "instruments"):
        return [entry.name for entry in value]
    if name == "forum":
        return value.name if value is not None else None
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _key(value):
    """What a value is compared by: register entries by their ids, in any order."""
    if isinstance(value, list) and value and hasattr(value[0], "register"):
        return sorted(entry.id for entry in value)
    if hasattr(value, "register"):
        return value.id
    return value


def _correct(cmd: command.CaseCommand, kind: Correctable, record, reason: str,
             fields: dict) -> dict:
    """Set the fields given (None: left as recorded) and record the change with its reason."""
    fields = {name: value for name, value in fields.items() if value is not None}
    unknown = sorted(set(fields) - set(kind.fields))
    if unknown:
        raise Invalid(_("%(fields)s: not correctable on %(record)s (only %(correctable)s)",
                        fields=series(unknown), record=kind.entity_type,
                        correctable=series(kind.fields)))
    cleaned = {name: kind.fields[name](value) for name, value in fields.items()}
    reason = text(reason, "reason", 5000, True)
    changes = {name: [_shown(name, getattr(record, name)), _shown(name, value)]
               for name, value in cleaned.items() if _key(getattr(record, name)) != _key(value)}
    if not changes:
        raise Invalid(_("Nothing to correct: every value is as recorded."))
    for name in changes:
        setattr(record, name, cleaned[name])
    cmd.record(kind.event_type, kind.entity_type, record.id, {"reason": reason, "changes": changes})
    return changes


def correct_evidence(session: Session, actor: Actor, case_id: int, *, expected_version,
                     evidence_id: int, reason: str, title: str | None = None,
                     description: str | None = None, kind: str | None = None,
                     source_grade: str | None = None,
                     information_grade: str | None = None) -> EvidenceItem:
    """Correct an evidence item's title, description, kind or grading; its file stays as stored."""
    cmd = command.begin(session, actor, case_id, action=EVIDENCE.action,
                        expected_version=expected_version)
    item = evidence_of(session, cmd.case.id, evidence_id)
    if kind is not None and one_of(kind, "kind", KINDS) not in SAMPLE_KINDS and item.analyses:
        raise Invalid(_("kind: this item has laboratory analyses, so it stays a sample "
                        "(environmental or biomedical)"), "kind")
    _correct(cmd, EVIDENCE, item, reason, dict(
        title=title, description=description, kind=kind, source_grade=source_grade,
        information_grade=information_grade))
    return item


def correct_response(session: Session, actor: Actor, case_id: int, *, expected_version,
                     response_id: int, reason: str, actor_name: str | None = None,
                     description: str | None = None, legal_basis: str | None = None,
                     strategies=None, actors=None, instruments=None, forum=None,
                     factors=None) -> Response:
    """Correct a response's actor, description, legal basis or strategies, its actors,
    instruments or forum (names resolved through the registers; "" for no forum) or the
    factors it reinforces; its status and decisions stay as decided."""
    cmd = command.begin(session, actor, case_id, action=RESPONSE.action,
                        expected_version=expected_version)
    response = response_of(session, cmd.case.id, response_id)
    if actors is not None:
        actors = actor_entries(session, actor, actors)
        if not actors:
            raise Invalid(_("actors: name one at least (a coalition: one a line)"), "actors")
    if instruments is not None:
        instruments = known_entries(session, "instrument", instruments, "instruments")
    if forum is not None:
        forum = forum_entry(session, forum) or ""
    if factors is not None:
        factors = factor_list(factors)
    _correct(cmd, RESPONSE, response, reason, dict(
        actor=actor_name, description=description, legal_basis=legal_basis, strategies=strategies,
        actors=actors, instruments=instruments, forum=forum, factors=factors))
    return response


def correct_imported_case(session: Session, actor: Actor, case_id: int, *, expected_version,
                          reason: str, fields: dict) -> dict:
    """Correct an imported case's details to what its source now says (`fields`: the new values;
    None clears a value); refused while the case is under review. Returns {field: [before, after]}."""
    cmd = command.begin(session, actor, case_id, action=CASE.action,
                        expected_version=expected_version, open_only=False)
    if cmd.case.source_id is None:
        raise Invalid(_("This case was not imported: edit its details on its page."))
    if cmd.pending is not None:
        raise Conflict(_("The case is under review: its details stay as they are until the gate "
                         "request is decided or withdrawn."))
    unknown = sorted(set(fields) - set(CASE.fields))
    if unknown:
        raise Invalid(_("%(fields)s: not correctable on %(record)s (only %(correctable)s)",
                        fields=series(unknown), record="case", correctable=series(CASE.fields)))
    cleaned = {name: CASE.fields[name](value) for name, value in fields.items()}
    changes = {name: [_shown(name, getattr(cmd.case, name)), _shown(name, value)]
               for name, value in cleaned.items() if getattr(cmd.case, name) != value}
    if not changes:
        raise Invalid(_("Nothing to correct: every value is as recorded."))
    for name in changes:
        setattr(cmd.case, name, cleaned[name])
    cmd.record(CASE.event_type, CASE.entity_type, cmd.case.id,
               {"reason": text(reason, "reason", 5000, True), "changes": changes})
    return changes


def correct_task(session: Session, actor: Actor, case_id: int, *, expected_version,
                 task_id: int, due_on: date, reason: str) -> Task:
    """Reschedule a task still to be done: a new due date, with a reason (supervisors)."""
    cmd = command.begin(session, actor, case_id, action=TASK.action,
                        expected_version=expected_version)
    task = session.scalar(select(Task).where(Task.id == task_id, Task.case_id == cmd.case.id)
                          .with_for_update(of=Task).execution_options(populate_existing=True))
    if task is None:
        raise NotFound(_("No such task in this case."))
    if task.status not in OPEN_TASK_STATUSES:
        raise Invalid(_("This task is %(status)s: its due date stays as it was.",
                        status=inline(task.status)))
    _correct(cmd, TASK, task, reason, {"due_on": due_on})
    return task


def correct_milestone(session: Session, actor: Actor, case_id: int, *, expected_version,
                      milestone_id: int, due_on: date, reason: str,
                      response_id: int | None = None) -> Milestone:
    """Reschedule a milestone not yet done: a new due date, with a reason. Only so does an
    overdue milestone count as on track again."""
    cmd = command.begin(session, actor, case_id, action=MILESTONE.action,
                        expected_version=expected_version)
    milestone = session.get(Milestone, milestone_id)
    if (milestone is None or milestone.response.case_id != cmd.case.id
            or (response_id is not None and milestone.response_id != response_id)):
        raise NotFound(_("No such milestone in this response."))
    if milestone.done_on is not None:
        raise Invalid(_("This milestone is done: its due date stays as it was."))
    _correct(cmd, MILESTONE, milestone, reason, {"due_on": due_on})
    return milestone


@dataclass(frozen=True)
class Correction:
    """One correction of a record, as its audit event tells it."""

    at: datetime
    by: str
    reason: str
    #: field: (before, after)
    changes: dict


def history(session: Session, case_id: int) -> dict[tuple[str, int], list[Correction]]:
    """Every correction of the case's records, oldest first, by (entity type, id)."""
    corrections: dict[tuple[str, int], list[Correction]] = {}
    for event in queries.events_of(session, case_id, EVENT_TYPES):
        details = json.loads(event.payload)["details"]
        corrections.setdefault((event.entity_type, int(event.entity_id)), []).append(
            Correction(event.at, event.actor_username or "system", details["reason"], details["changes"]))
    return corrections
