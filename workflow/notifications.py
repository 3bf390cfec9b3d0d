"""Notifications: who is told of what, and the inbox's commands.

Every change that someone should hear of already writes its audit event in the change's
transaction. `derive`, called by `audit.append_many` as it appends, reads those events and
writes one notification per person to tell, by an INSERT … SELECT per kind of event that
picks the people in the database (the supervisors, the requester and the lead, the holders of
a task's role on the team …), built once and run with the values of each event of that kind.
So a notification exists exactly when its change commits, no service needs a call of its own
(nor can forget one), and a gate command pays one or two statements. Deriving from the events rather than calling from each service
also keeps the rules in one table (RULES below), read in the audit payload's own terms.

Only people who may see the case are told (supervisors, or its team: `permissions.sees_case`),
and nobody of their own act. The daily `sweep` tells of overdue tasks, milestones and stages,
once a day each (a key with the day, which the database keeps unique per person).

When mail is on (`session.info["mail_enabled"]`, set when MAIL_SERVER is), a notification to
someone with an address who wants its kind by email is written as a pending email: the table
is the transactional outbox that the mail worker sends from after commit (workflow/outbox.py).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from datetime import date

from sqlalchemy import (
    BigInteger,
    DateTime,
    Integer,
    String,
    and_,
    bindparam,
    case,
    cast,
    exists,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.orm import Session

from models.case import Case, CaseMember
from models.database import among, constant, insert_on
from models.gate_request import GateRequest
from models.notification import Notification, NotificationPreference
from models.response import Milestone, Response
from models.task import Task
from models.user import User, UserRole
from vocabulary import NOTIFICATION_KINDS, OPEN_TASK_STATUSES
from workflow import audit, durations, permissions
from workflow.audit_chain import canonical_json
from workflow.clock import utcnow
from workflow.errors import Invalid, NotFound
from workflow.stages import CLOSED
from workflow.words import _

KINDS = NOTIFICATION_KINDS
#: Each kind as the preferences page names it: "Email me when …".
WHEN = {
    "gate_requested": _("a gate request waits for a decision I may take"),
    "gate_decided": _("a gate request I made, or on a case I lead, is decided"),
    "task_assigned": _("a task is assigned to me"),
    "task_queued": _("a task arrives in a queue of mine on a case of mine"),
    "mentioned": _("someone mentions me in a note"),
    "team_added": _("I am added to a case's team, or my role on it changes"),
    "task_overdue": _("a task of mine, or of my queue on my case, is overdue (once a day)"),
    "milestone_overdue": _("a milestone of a response I track is overdue (once a day)"),
    "stage_overdue": _("a case has stayed in its stage past the target (once a day)"),
}
#: The one line an email says of each kind: the kind of event, and nothing of the case.
SUBJECTS = {
    "gate_requested": _("A gate request waits for your decision."),
    "gate_decided": _("A gate request was decided."),
    "task_assigned": _("A task was assigned to you."),
    "task_queued": _("A task arrived in your queue."),
    "mentioned": _("You were mentioned in a note."),
    "team_added": _("You were added to the case's team, or your role on it changed."),
    "task_overdue": _("A task is overdue."),
    "milestone_overdue": _("An implementation milestone is overdue."),
    "stage_overdue": _("The case has stayed in its stage past the target."),
}

_N = Notification.__table__
#: The columns every INSERT … SELECT fills, in this order.
_COLUMNS = ["user_id", "kind", "case_id", "entity_type", "entity_id", "actor_username",
            "details", "audit_seq", "dedupe_key", "created_at", "email_state", "email_attempts",
            "email_next_at", "email_error"]


# --- whom each event tells --------------------------------------------------------------------

def _holds(*roles: str):
    # The holders first, through the role's index: the few supervisors, not every user.
    return User.id.in_(select(UserRole.user_id).where(among(UserRole.role, roles)))


def _on_team(case_id):
    return User.id.in_(select(CaseMember.user_id).where(CaseMember.case_id == case_id))


def _queue_of(task_id):
    """The holders of the task's role on its case's team: "a case of mine" is one whose team I
    am on (a supervisor, who sees every case, hears of the queues of those they joined)."""
    role = select(Task.role).where(Task.id == task_id).scalar_subquery()
    case_id = select(Task.case_id).where(Task.id == task_id).scalar_subquery()
    return and_(_on_team(case_id),
                exists().where(UserRole.user_id == User.id, UserRole.role == role))


#: The values of one event a rule's WHERE clause may name, as bound parameters: every rule's
#: statement is built once and run with each event's values.
_CASE, _ENTITY = bindparam("case_id", type_=Integer), bindparam("entity", type_=Integer)
_ASSIGNEE, _MEMBER = bindparam("assignee", type_=String), bindparam("member", type_=Integer)
_MENTIONS = bindparam("mentions", type_=Integer, expanding=True)


@dataclass(frozen=True)
class Rule:
    """An audit event that tells someone: the kind it tells, whom, and what it keeps of the event."""

    kind: str
    #: The WHERE clause on `users` choosing whom to tell, in the bound parameters above.
    whom: object
    #: The few words of the event the notification keeps (its page reads them).
    keeps: Callable[[dict, dict], dict] = lambda fields, details: {}
    #: Whether `whom` names a list that expands into the statement (run once per event, then).
    expands: bool = False


def _decided() -> object:
    """The requester, and the case's lead."""
    requester = select(GateRequest.requested_by_id).where(GateRequest.id == _ENTITY)
    lead = select(CaseMember.user_id).where(CaseMember.case_id == _CASE,
                                            CaseMember.case_role == constant("lead_investigator"))
    return or_(User.id.in_(requester), User.id.in_(lead))


def _decision(decision: str):
    def keeps(fields: dict, details: dict) -> dict:
        return {"decision": decision, "target": fields.get("to_state") or details.get("target")}
    return keeps


RULES: dict[str, Rule] = {
    # The supervisors who may decide it (the requester, who may not, is the actor).
    "gate_requested": Rule("gate_requested", _holds(*permissions.roles_for(permissions.DECIDE_GATE)),
                           lambda f, d: {"target": d["target"]}),
    "gate_approved": Rule("gate_decided", _decided(), _decision("approved")),
    "gate_rejected": Rule("gate_decided", _decided(), _decision("rejected")),
    "task_assigned": Rule("task_assigned", User.username == _ASSIGNEE),
    "task_created": Rule("task_queued", _queue_of(_ENTITY)),
    "task_unclaimed": Rule("task_queued", _queue_of(_ENTITY)),
    "team_member_added": Rule("team_added", User.id == _MEMBER,
                              lambda f, d: {"case_role": d["case_role"]}),
    # A new case role is news to its holder: named lead, they may now request the first gate.
    "team_member_changed": Rule("team_added", User.id == _MEMBER,
                                lambda f, d: {"case_role": d["case_role"], "before": d["before"]}),
    "comment_added": Rule("mentioned", User.id.in_(_MENTIONS),
                          lambda f, d: {"subject": d["subject"], "subject_id": d["subject_id"]},
                          expands=True),
}


def _email_state(kind, now, mail: bool):
    """'pending' for someone who wants this kind by email and has an address (mail on), else
    None; and when it is due (now, if pending)."""
    if not mail:
        return literal(None, String), literal(None, DateTime)
    opted_out = exists().where(NotificationPreference.user_id == User.id,
                               NotificationPreference.kind == kind,
                               NotificationPreference.email == false())
    state = case((and_(User.email != "", ~opted_out), literal("pending", String)),
                 else_=literal(None, String))
    return state, case((state == "pending", now), else_=literal(None, DateTime))


def _told(kind, case_id, whom, *, entity_type, entity_id, actor_username, actor_id, details, seq,
          dedupe_key, now, mail: bool, source=None):
    """SELECT the rows of `kind` for the active users chosen by `whom` who may see the case,
    but the actor (`actor_id`, when one acted); `source` is the table (a join) the other columns
    come from, if any. Every argument but `whom`, `mail` and `source` is an SQL expression."""
    state, due = _email_state(kind, now, mail)
    query = select(
        User.id, kind, case_id, entity_type, entity_id, actor_username, details, seq, dedupe_key,
        now, state, literal_column("0", Integer), due, literal_column("''", String),
    ).where(User.active, whom, permissions.sees_case(User.id, case_id))
    if source is not None:  # every user against every row of it, as the WHERE clause narrows
        query = query.select_from(User.__table__.join(source, true()))
    if actor_id is not None:
        query = query.where(User.id != actor_id)
    return query


@cache
def _insert_for(event_type: str, mail: bool):
    """The INSERT … SELECT that tells whom an event of `event_type` concerns, built once."""
    rule = RULES[event_type]
    return _N.insert().from_select(_COLUMNS, _told(
        constant(rule.kind), _CASE, rule.whom,
        entity_type=bindparam("entity_type", type_=String),
        entity_id=bindparam("entity_id", type_=String),
        actor_username=bindparam("actor_username", type_=String),
        # -1 when no one acted (a system event): no user has it, so nobody is left out.
        actor_id=bindparam("actor_id", type_=Integer),
        details=bindparam("details", type_=String), seq=bindparam("seq", type_=BigInteger),
        dedupe_key=literal(None, String), now=bindparam("now", type_=DateTime), mail=mail))


def derive(session: Session, events: list[tuple], rows: list[dict]) -> None:
    """Tell whom the appended events concern (see the module's docstring): one statement per
    kind of event that tells someone, run with the values of each such event."""
    batches: dict[str, list[dict]] = {}
    now = utcnow()
    for (event_type, actor, fields), row in zip(events, rows):
        rule = RULES.get(event_type)
        if rule is None or fields.get("case_id") is None:
            continue
        details = fields.get("details") or {}
        entity = row["entity_id"]
        batches.setdefault(event_type, []).append({
            "case_id": fields["case_id"], "entity_type": fields.get("entity_type"),
            "entity_id": entity, "entity": int(entity) if str(entity).isdigit() else None,
            "actor_username": actor.username if actor else None,
            "actor_id": actor.id if actor is not None and actor.id is not None else -1,
            "details": canonical_json(rule.keeps(fields, details)), "seq": row["seq"],
            "now": now, "assignee": details.get("assignee"), "member": details.get("user_id"),
            "mentions": details.get("mentions") or []})
    if not batches:
        return
    connection, mail = session.connection(), bool(session.info.get("mail_enabled"))
    for event_type, values in batches.items():
        statement = _insert_for(event_type, mail)
        if RULES[event_type].expands:
            for one in values:
                connection.execute(statement, one)
        else:
            connection.execute(statement, values)


# --- the daily sweep of what is overdue ---------------------------------------------------------

def _insert_once(session: Session, query) -> int:
    """INSERT … SELECT, skipping the rows whose once-a-day key a person already has."""
    dialect = session.get_bind().dialect.name
    statement = (insert_on(dialect, _N).from_select(_COLUMNS, query).on_conflict_do_nothing()
                 .execution_options(preserve_rowcount=True))  # an INSERT's count is not kept else
    return session.connection().execute(statement).rowcount


def _key(kind: str, *parts, today: date):
    """The once-a-day key, `kind:part:…:YYYY-MM-DD`, as SQL."""
    key = literal(f"{kind}:", String)
    for part in parts:
        key = key + cast(part, String) + ":"
    return key + today.isoformat()


def sweep(session: Session, today: date, targets: dict[str, int]) -> int:
    """Tell of every overdue task, milestone and stage of an open case, once a day each;
    how many were told now."""
    now, mail = utcnow(), bool(session.info.get("mail_enabled"))
    told = 0

    def tell(kind: str, source, case_id, whom, entity_type: str, entity_id, details, *key_parts,
             where):
        query = _told(literal(kind, String), case_id, whom, entity_type=literal(entity_type, String),
                      entity_id=cast(entity_id, String), actor_username=literal(None, String),
                      actor_id=None, details=details, seq=literal(None, BigInteger),
                      dedupe_key=_key(kind, *key_parts, today=today),
                      now=literal(now, DateTime), mail=mail, source=source)
        return _insert_once(session, query.where(*where))

    # A task: the one it is assigned to; unassigned, its queue on the team.
    holder = or_(User.id == Task.assignee_id, and_(
        Task.assignee_id.is_(None), _on_team(Task.case_id),
        exists().where(UserRole.user_id == User.id, UserRole.role == Task.role)))
    tasks = Task.__table__.join(Case, Case.id == Task.case_id)
    told += tell("task_overdue", tasks, Task.case_id, holder, "task", Task.id,
                 literal("{}", String), Task.id,
                 where=[Case.state != CLOSED, Task.status.in_(OPEN_TASK_STATUSES),
                        Task.due_on < today])
    # A milestone: those who track responses on the case's team.
    trackers = and_(_on_team(Response.case_id),
                    _holds(*permissions.roles_for(permissions.RECORD_RESPONSE)))
    milestones = (Milestone.__table__.join(Response, Response.id == Milestone.response_id)
                  .join(Case, Case.id == Response.case_id))
    told += tell("milestone_overdue", milestones, Response.case_id, trackers, "milestone",
                 Milestone.id, literal("{}", String), Milestone.id,
                 where=[Response.status == "adopted", Case.state != CLOSED,
                        Milestone.done_on.is_(None), Milestone.due_on < today])
    # A stage: the supervisors (who see every case and move it on).
    stage = literal('{"stage":"', String) + Case.state + '"}'
    told += tell("stage_overdue", Case.__table__, Case.id,
                 _holds(*permissions.roles_for(permissions.DECIDE_GATE)), "case", Case.id, stage,
                 Case.id, Case.state,
                 where=[Case.state != CLOSED, durations.overdue_stage(targets, today)])
    return told


# --- the inbox ------------------------------------------------------------------------------

def unread_count(session: Session, user_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Notification)
                          .where(Notification.user_id == user_id, Notification.read_at.is_(None)))


def inbox(session: Session, user_id: int, *, limit: int = 50,
          before: int | None = None, after: int | None = None) -> list[Notification]:
    """The user's notifications, newest first, `limit` of them (older than id `before`); with
    `after`, the `limit` just newer than that id, oldest first (the page before a page)."""
    query = select(Notification).where(Notification.user_id == user_id)
    if after is not None:
        return session.scalars(query.where(Notification.id > after)
                               .order_by(Notification.id).limit(limit)).all()
    if before is not None:
        query = query.where(Notification.id < before)
    return session.scalars(query.order_by(Notification.id.desc()).limit(limit)).all()


def mark_read(session: Session, user_id: int, notification_id: int) -> Notification:
    """Mark one of the user's notifications read (NotFound if it is not theirs)."""
    notification = session.get(Notification, notification_id)
    if notification is None or notification.user_id != user_id:
        raise NotFound(_("No such notification."))
    if notification.read_at is None:
        notification.read_at = utcnow()
    return notification


def mark_all_read(session: Session, user_id: int) -> int:
    """Mark every unread notification of the user read; how many were."""
    return session.execute(update(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=utcnow())).rowcount


def email_kinds(session: Session, user_id: int) -> set[str]:
    """The kinds the user is emailed about (every kind unless they turned it off)."""
    off = set(session.scalars(select(NotificationPreference.kind).where(
        NotificationPreference.user_id == user_id, NotificationPreference.email == false())))
    return set(KINDS) - off


def set_email_kinds(session: Session, actor: audit.Actor, kinds) -> set[str]:
    """Choose the kinds the actor is emailed about; audited, as every change of an account is."""
    chosen = set(kinds)
    unknown = chosen - set(KINDS)
    if unknown:
        raise Invalid(_("kinds: unknown %(kinds)s", kinds=", ".join(sorted(unknown))), "kinds")
    before = email_kinds(session, actor.id)
    for kind in KINDS:
        row = session.get(NotificationPreference, (actor.id, kind))
        if row is None:
            session.add(NotificationPreference(user_id=actor.id, kind=kind, email=kind in chosen))
        else:
            row.email = kind in chosen
    if before != chosen:
        session.flush()
        audit.append(session, "notification_preferences_changed", actor, entity_type="user",
                     entity_id=actor.id, details={"email": sorted(chosen),
                                                  "before": sorted(before)})
    return chosen
