"""Tasks: templates per stage (as data), and the commands on them.

Entering a stage creates its tasks. Work on tasks goes on while a case is under review, so
task commands lock the task, not the case, and leave the case's version alone.
"""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from models.case import Case
from models.database import among
from models.task import Task
from models.user import User
from vocabulary import OPEN_TASK_STATUSES
from workflow import audit, permissions
from workflow.audit import Actor
from workflow.cases import authorize, load_case
from workflow.clock import utcnow
from workflow.errors import Conflict, Forbidden, Invalid, NotFound
from workflow.fields import day, one_of, text
from workflow.words import _, inline
from workflow import pathway
from workflow.pathway import Template  # noqa: F401 (Template: the record TEMPLATES holds)
from workflow.roles import ROLES
from workflow import clock


#: The tasks each stage starts with (declared with the stages in workflow/pathway.py).
TEMPLATES = pathway.TEMPLATES
OPEN = OPEN_TASK_STATUSES


_TASKS = Task.__table__
#: One batched INSERT … RETURNING for a stage's tasks (SQLAlchemy's insertmanyvalues).
_INSERT_TASKS = _TASKS.insert().returning(_TASKS.c.id, _TASKS.c.template)
#: Built once: it runs inside every approval. Task rows in the session are not refreshed; the
#: move reads none of them afterwards.
_CANCEL_OPEN = (update(_TASKS).where(_TASKS.c.case_id == bindparam("of_case"),
                                     _TASKS.c.stage == bindparam("left"),
                                     among(_TASKS.c.status, OPEN))
                .values(status="cancelled", note=bindparam("why")).returning(_TASKS.c.id))


def create_stage_tasks(session: Session, case: Case, actor: Actor | None,
                       stage: str | None = None, *, audit_later: list | None = None) -> list[int]:
    """Create the tasks of the stage the case enters, each with its audit event; their ids.

    With `audit_later`, the events are added to that list for the caller to append with its own.
    """
    stage = stage or case.state
    templates = TEMPLATES.get(stage, ())
    if not templates:
        return []
    today, now = clock.today(), utcnow()
    rows = [dict(case_id=case.id, stage=stage, title=t.title, description=t.description,
                 required=t.required, role=t.role, due_on=today + timedelta(days=t.due_days),
                 template=t.key, status="open", note="", created_at=now) for t in templates]
    # One multi-row INSERT for all of them (this runs inside every approval); a stage's
    # templates have distinct keys, so the returned rows are matched by key, not by order.
    ids = dict((template, task_id) for task_id, template in session.connection().execute(
        _INSERT_TASKS, rows))
    events = [("task_created", actor, {
        "case_id": case.id, "entity_type": "task", "entity_id": ids[row["template"]],
        "details": {key: row[key] for key in ("title", "role", "required", "stage")}})
        for row in rows]
    _append(session, events, audit_later)
    return [ids[t.key] for t in templates]


def cancel_stage_tasks(session: Session, case: Case, stage: str, actor: Actor | None, *,
                       audit_later: list | None = None) -> list[int]:
    """The case leaves `stage`: its open tasks are cancelled, each with its audit event."""
    note = f"Cancelled: the case left {pathway.LABELS[stage].lower()}."
    ids = sorted(session.connection().execute(
        _CANCEL_OPEN, {"of_case": case.id, "left": stage, "why": note}).scalars())
    _append(session, [("task_cancelled", actor, {
        "case_id": case.id, "entity_type": "task", "entity_id": task_id,
        "details": {"reason": note, "stage": stage}}) for task_id in ids], audit_later)
    return ids


def _append(session: Session, events: list, later: list | None) -> None:
    if later is not None:
        later.extend(events)
    elif events:
        audit.append_many(session, events)


def _created(task: Task) -> dict:
    return {"title": task.title, "role": task.role, "required": task.required, "stage": task.stage}


def _fields(task: Task, details: dict) -> dict:
    return {"case_id": task.case_id, "entity_type": "task", "entity_id": task.id, "details": details}


def _audit(session: Session, event_type: str, actor: Actor | None, task: Task, details: dict) -> None:
    audit.append(session, event_type, actor, **_fields(task, details))


def _lock_task(session: Session, task_id: int, actor: Actor, case_id: int | None = None) -> Task:
    """The task, locked, if the actor may see its case (NotFound otherwise)."""
    task = session.scalar(select(Task).where(Task.id == task_id).with_for_update(of=Task)
                          .execution_options(populate_existing=True))
    if task is None or (case_id is not None and task.case_id != case_id):
        raise NotFound(_("No such task."))
    permissions.require(permissions.can_work_on_tasks(load_case(session, task.case_id, actor)))
    return task


_may_work_on = permissions.may_work_on


def claim(session: Session, actor: Actor, task_id: int, *, case_id: int | None = None) -> Task:
    """Take an open task from the queue of one's role."""
    task = _lock_task(session, task_id, actor, case_id)
    allowed = permissions.can_claim(actor, task)
    if not allowed:
        raise (Forbidden if not permissions.may_work_on(actor, task) else Conflict)(allowed.reason)
    task.assignee_id, task.status = actor.id, "in_progress"
    _audit(session, "task_claimed", actor, task, {"assignee": actor.username})
    return task


def unclaim(session: Session, actor: Actor, task_id: int, *, case_id: int | None = None) -> Task:
    """Put one's task back in its queue."""
    task = _lock_task(session, task_id, actor, case_id)
    permissions.require(permissions.can_unclaim(actor, task))
    task.assignee_id, task.status = None, "open"
    _audit(session, "task_unclaimed", actor, task, {})
    return task


def assign(session: Session, actor: Actor, task_id: int, *, user_id: int,
           case_id: int | None = None) -> Task:
    """A supervisor gives a task to someone who holds its role and is on the team."""
    task = _lock_task(session, task_id, actor, case_id)
    authorize(actor, permissions.MANAGE_TEAM, task.case)
    permissions.require(permissions.can_manage_task(actor, task))
    user = session.get(User, user_id)
    if user is None or not user.active or not _may_work_on(Actor.of(user), task):
        raise Invalid(_("assignee: must be active, hold the %(role)s role and be on the team",
                        role=inline(task.role)), "user_id")
    before = task.assignee.username if task.assignee else None
    task.assignee_id, task.status = user.id, "in_progress"
    _audit(session, "task_assigned", actor, task, {"before": before, "assignee": user.username})
    return task


def complete(session: Session, actor: Actor, task_id: int, *, note: str,
             case_id: int | None = None) -> Task:
    """Mark one's task done, with a note."""
    task = _lock_task(session, task_id, actor, case_id)
    allowed = permissions.can_complete(actor, task)
    if not allowed:
        raise (Conflict if task.status not in OPEN else Forbidden)(allowed.reason)
    task.status, task.completed_by_id, task.completed_at = "done", actor.id, utcnow()
    task.note = text(note, "note", 5000)
    _audit(session, "task_completed", actor, task, {"note": task.note})
    return task


def cancel(session: Session, actor: Actor, task_id: int, *, reason: str,
           case_id: int | None = None) -> Task:
    """A supervisor cancels a task, with a reason; it stays on record."""
    task = _lock_task(session, task_id, actor, case_id)
    authorize(actor, permissions.MANAGE_TEAM, task.case)
    permissions.require(permissions.can_manage_task(actor, task))
    task.status, task.note = "cancelled", text(reason, "reason", 5000, True)
    _audit(session, "task_cancelled", actor, task, {"reason": task.note})
    return task


def add_task(session: Session, actor: Actor, case_id: int, *, title: str, role: str,
             required: bool = False, due_on: date | None = None, description: str = "") -> Task:
    """A supervisor adds a task to the case's current stage."""
    case = load_case(session, case_id, actor, lock=True)
    authorize(actor, permissions.MANAGE_TEAM, case)
    permissions.require(permissions.can_manage_tasks(actor, case))
    task = Task(case_id=case.id, stage=case.state, title=text(title, "title", 200, True),
                description=text(description, "description", 5000), required=bool(required),
                role=one_of(role, "role", ROLES), due_on=day(due_on, "due_on", upcoming=True))
    session.add(task)
    session.flush()
    _audit(session, "task_created", actor, task, _created(task))
    return task


#: The open tasks of a stage made from one template, locked: a task completes once, whoever
#: records concurrently (a second recorder finds it done once the first commits).
_OPEN_FROM_TEMPLATE = (select(Task).where(Task.case_id == bindparam("case_id"),
                                          Task.stage == bindparam("stage"),
                                          Task.template == bindparam("template"),
                                          among(Task.status, OPEN))
                       .order_by(Task.id).with_for_update(of=Task)
                       .execution_options(populate_existing=True))


def completed_by_recording(session: Session, case: Case, record: str) -> list[Task]:
    """The open tasks of the case's stage that recording `record` would complete (not locked)."""
    template = pathway.COMPLETED_BY.get((case.state, record))
    if template is None:
        return []
    return session.scalars(select(Task).where(
        Task.case_id == case.id, Task.stage == case.state, Task.template == template.key,
        Task.status.in_(OPEN)).order_by(Task.id)).all()


def lock_completed_by(cmd, record: str) -> list[Task]:
    """Lock the open tasks of the stage that recording `record` completes.

    Called before the record's audit event: every row lock is taken before the audit log's
    append lock, or a recorder and someone claiming the task at once wait on each other.
    """
    template = pathway.COMPLETED_BY.get((cmd.case.state, record))
    if template is None:
        return []
    return cmd.session.scalars(_OPEN_FROM_TEMPLATE, {
        "case_id": cmd.case.id, "stage": cmd.case.state, "template": template.key}).all()


def complete_by_record(cmd, done: list[Task], record: str, entity_type: str, entity_id) -> None:
    """The command recorded `record`: the tasks locked for it are done, claimed by the actor if
    unclaimed and theirs to claim, each with its own audit event."""
    session, actor = cmd.session, cmd.actor
    for task in done:
        claimed = task.assignee_id is None and permissions.may_work_on(actor, task)
        if claimed:
            task.assignee_id = actor.id
        task.status, task.completed_by_id, task.completed_at = "done", actor.id, utcnow()
        task.note = (f"Completed by recording {pathway.COMPLETING_RECORDS[record]} "
                     f"({entity_type} #{entity_id}).")
        _audit(session, "task_completed", actor, task, {
            "note": task.note, "claimed": claimed,
            "record": {"entity_type": entity_type, "entity_id": entity_id}})
