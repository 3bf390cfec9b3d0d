"""Evidence gates: requirements that explain themselves, grouped per gate (DESIGN §3).

Each requirement has a code, a sentence a user reads, and a check that says whether it
holds and why not. The same objects drive the checklist on the case page, the refusal of
a request, the re-check at approval, and the snapshot kept with the request.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, bindparam, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from models.audit import AuditEvent
from models.case import Case, CaseMember
from models.evaluation import FACTORS
from models.evidence import EvidenceItem, LabAnalysis
from models.finding import Finding
from models.response import Milestone, Response
from models.task import Task
from models.user import User, UserRole
from vocabulary import OPEN_TASK_STATUSES, SAMPLE_KINDS, SUPERVISOR, USE_DETERMINATION
from workflow import queries
from workflow.clock import today
from workflow.custody import chain_breaks
from workflow.words import inline, plural


@dataclass(frozen=True)
class Requirement:
    """One condition of a gate."""

    code: str
    sentence: str
    check: Callable[[Session, Case], tuple[bool, str]]


@dataclass(frozen=True)
class CheckItem:
    code: str
    sentence: str
    met: bool
    detail: str

    def as_dict(self) -> dict:
        return {"code": self.code, "sentence": self.sentence, "met": self.met,
                "detail": self.detail}


@dataclass(frozen=True)
class Checklist:
    """Every requirement of one gate, evaluated on one case now."""

    source: str
    target: str
    items: tuple[CheckItem, ...]

    @property
    def all_met(self) -> bool:
        return all(item.met for item in self.items)

    @property
    def unmet(self) -> tuple[CheckItem, ...]:
        return tuple(item for item in self.items if not item.met)

    def snapshot(self) -> list[dict]:
        return [item.as_dict() for item in self.items]


def _fields_set(_session: Session, case: Case) -> tuple[bool, str]:
    labels = {"title": "title", "occurred_on": "date", "country": "country", "place": "place"}
    missing = [label for name, label in labels.items() if not getattr(case, name)]
    if missing:
        return False, "missing: " + ", ".join(missing)
    return True, f"{case.title}; {case.occurred_on.isoformat()}; {case.place}, {case.country}"


def _lead_on_team(_session: Session, case: Case) -> tuple[bool, str]:
    lead = case.lead
    if lead is None:
        return False, "no lead investigator on the team; a supervisor names one on the team page"
    return True, f"lead investigator: {lead.user.full_name or lead.user.username}"


def _active_evidence(session: Session, case: Case) -> list[EvidenceItem]:
    return [item for item in queries.evidence_items(session, case.id) if item.status == "active"]


def _latest(session: Session, case: Case, kind: str) -> Finding | None:
    return queries.current_findings(session, case.id).get(kind)


def _label(item: EvidenceItem) -> str:
    return f"#{item.id} {item.title}"


# The checks that run inside every gate command are built once, with their parameters bound
# at each run: building a statement costs more than running it.
_ACTIVE_COUNT = select(func.count()).select_from(EvidenceItem).where(
    EvidenceItem.case_id == bindparam("case_id"), EvidenceItem.status == "active")


def _some_evidence(session: Session, case: Case) -> tuple[bool, str]:
    count = queries.remembered(session, ("active evidence", case.id), lambda: session.connection()
                               .execute(_ACTIVE_COUNT, {"case_id": case.id}).scalar())
    if not count:
        return False, "no active evidence item yet; add the initial report as evidence"
    return True, f"{count} active evidence item{'s' if count > 1 else ''}"


def _use_confirmed(session: Session, case: Case) -> tuple[bool, str]:
    finding = _latest(session, case, "use_determination")
    if finding is None:
        return False, "no use determination recorded"
    if finding.conclusion not in ("confirmed", "likely"):
        return False, f"the use determination is {inline(finding.conclusion)}"
    if finding.agent in ("", "unknown"):
        return False, "the use determination names no agent"
    return True, f"use {inline(finding.conclusion)}, agent {inline(finding.agent)}"


def _two_kinds(session: Session, case: Case) -> tuple[bool, str]:
    items = _active_evidence(session, case)
    kinds = sorted({item.kind for item in items})
    detail = f"{len(items)} active item{'s' if len(items) != 1 else ''} of kind{'s' if len(kinds) != 1 else ''}: {', '.join(inline(kind) for kind in kinds) or 'none'}"
    return len(items) >= 2 and len(kinds) >= 2, detail


#: The latest use determination's agent, beside the case's active samples and their analyses:
#: one statement, one row at least (the case's own, when it has no sample).
_LATEST_AGENT = (select(Finding.agent).where(Finding.case_id == Case.id,
                                             Finding.kind == USE_DETERMINATION)
                 .order_by(Finding.id.desc()).limit(1).correlate(Case).scalar_subquery())
_SAMPLES = (
    select(_LATEST_AGENT.label("agent"), EvidenceItem.id, EvidenceItem.title,
           LabAnalysis.laboratory, LabAnalysis.designated, LabAnalysis.result)
    .select_from(Case)
    .outerjoin(EvidenceItem, and_(EvidenceItem.case_id == Case.id, EvidenceItem.status == "active",
                                  queries.among(EvidenceItem.kind, SAMPLE_KINDS)))
    .outerjoin(LabAnalysis, LabAnalysis.evidence_id == EvidenceItem.id)
    .where(Case.id == bindparam("case_id"))
    .order_by(EvidenceItem.id, LabAnalysis.id))


def named_agent(case: Case, determined: str | None) -> str:
    """The agent the case names (its use determination's, else the suspected one), or ""."""
    for agent in (determined, case.suspected_agent):
        if agent and agent != "unknown":
            return agent
    return ""


def _samples_analysed(session: Session, case: Case) -> tuple[bool, str]:
    rows = session.connection().execute(_SAMPLES, {"case_id": case.id}).all()
    labs: dict[int, set[str]] = {}
    titles: dict[int, str] = {}
    for row in rows:
        if row.id is None:
            continue
        titles[row.id] = row.title
        found = labs.setdefault(row.id, set())
        if row.laboratory is not None and row.designated and row.result:
            found.add(row.laboratory.strip().lower())
    if not labs:
        agent = named_agent(case, rows[0].agent if rows else None)
        if not agent:
            return True, "no samples recorded; the case names no agent yet"
        if case.no_sample_reason:
            return True, f"no samples recorded; a supervisor recorded why: {case.no_sample_reason[:200]}"
        return False, (f"no samples recorded, though the case names an agent "
                       f"({inline(agent)}); record a sample, or a supervisor records "
                       "why none exists")
    short = [f"#{item} {titles[item]}: {len(found)} designated "
             f"laborator{'y' if len(found) == 1 else 'ies'} with results"
             for item, found in labs.items() if len(found) < 2]
    if short:
        return False, "; ".join(short)
    return True, f"{len(labs)} sample{'s' if len(labs) > 1 else ''}, each by two or more designated laboratories"


def _cited_active(finding: Finding) -> tuple[list[EvidenceItem], str]:
    """The active items a finding cites, and a note naming the withdrawn ones (they never count)."""
    active = [item for item in finding.cited if item.status == "active"]
    withdrawn = [_label(item) for item in finding.cited if item.status != "active"]
    return active, (f"; withdrawn, so not counted: {', '.join(withdrawn)}" if withdrawn else "")


def _cited_custody(session: Session, case: Case) -> tuple[bool, str]:
    finding = _latest(session, case, "use_determination")
    cited, withdrawn = _cited_active(finding) if finding is not None else ([], "")
    if finding is None or not finding.cited:
        return False, "the use determination cites no evidence"
    if not cited:
        return False, "the use determination cites no active evidence" + withdrawn
    broken = []
    for item in cited:
        if not item.custody:
            broken.append(f"{_label(item)}: no custody recorded")
        elif breaks := chain_breaks(item.custody):
            broken.append(f"{_label(item)}: {next(iter(breaks.values()))}")
    if broken:
        return False, "; ".join(broken) + withdrawn
    return True, f"{len(cited)} cited item{'s' if len(cited) > 1 else ''}, chains unbroken" + withdrawn


def _concluded(kind: str, conclusion: str):
    """A check that the latest finding of `kind` concludes `conclusion`, with a rationale."""
    name = kind.replace("_", " ")  # use determination, attribution

    def check(session: Session, case: Case) -> tuple[bool, str]:
        finding = _latest(session, case, kind)
        if finding is None:
            return False, f"no {name}{' finding' if kind == 'attribution' else ''} recorded"
        if finding.conclusion != conclusion:
            return False, f"the {name} is {finding.conclusion.replace('_', ' ')}"
        return bool(finding.rationale), finding.rationale[:200] or "no rationale given"
    return check


def _attributed(session: Session, case: Case) -> tuple[bool, str]:
    finding = _latest(session, case, "attribution")
    if finding is None:
        return False, "no attribution finding recorded"
    if finding.conclusion != "attributed":
        return False, f"the attribution is {inline(finding.conclusion)}"
    missing = [label for label, value in (("responsible party", finding.responsible_party),
                                          ("party type", finding.party_type),
                                          ("standard of proof", finding.standard_of_proof)) if not value]
    if missing:
        return False, "missing: " + ", ".join(missing)
    cited, withdrawn = _cited_active(finding)
    if len(cited) < 2:
        return False, (f"cites {len(cited)} evidence item{'s' if len(cited) != 1 else ''}; "
                       f"two or more needed{withdrawn}")
    return True, (f"{finding.responsible_party} ({finding.party_type.replace('_', ' ')}), "
                  f"{inline(finding.standard_of_proof)}, citing {plural(len(cited), 'item')}{withdrawn}")


#: The events that move a case into a stage (an imported history places it there).
MOVES = ("case_opened", "gate_approved", "case_reopened", "history_imported")


_ENTERED = select(func.max(AuditEvent.at).label("entered")).where(
    AuditEvent.case_id == bindparam("case_id"), AuditEvent.to_state == bindparam("stage"),
    queries.among(AuditEvent.event_type, MOVES)).subquery()
#: Someone active on the task's team holds the role of its queue (supervisors see every case).
_MEMBER = aliased(User)  # not the assignee the statement joins
_QUEUE_STAFFED = or_(Task.role == SUPERVISOR, exists().where(
    CaseMember.case_id == Task.case_id, UserRole.user_id == CaseMember.user_id,
    UserRole.role == Task.role, _MEMBER.id == CaseMember.user_id, _MEMBER.active))
#: When the case last entered its stage, and the stage's required tasks still open, with
#: whether anyone on the team can work each queue: one statement, one row at least.
_STAGE_WORK = (
    select(_ENTERED.c.entered, Task.id, Task.title, Task.role, User.username,
           _QUEUE_STAFFED.label("staffed"))
    .select_from(_ENTERED)
    # Every open task of the stage is of this visit to it: leaving a stage cancels its open
    # tasks. (Comparing creation times with the move's event missed the tasks the move itself
    # created, which are stamped a moment before its event.)
    .outerjoin(Task, and_(Task.case_id == bindparam("case_id"), Task.stage == bindparam("stage"),
                          Task.required, queries.among(Task.status, OPEN_TASK_STATUSES)))
    .outerjoin(User, User.id == Task.assignee_id)
    .order_by(Task.id))


def _stage_work(session: Session, case: Case) -> tuple[datetime | None, list]:
    rows = queries.remembered(session, ("stage work", case.id, case.state), lambda: (
        session.connection().execute(_STAGE_WORK, {"case_id": case.id, "stage": case.state})
        .all()))
    return rows[0].entered, [row for row in rows if row.id is not None]


def entered_stage_at(session: Session, case: Case) -> datetime | None:
    """When the case last entered the stage it is in (from the audit log of its moves)."""
    return _stage_work(session, case)[0]


def _message_in_stage(session: Session, case: Case) -> tuple[bool, str]:
    since = entered_stage_at(session, case)
    messages = [m for m in queries.messages_of(session, case.id) if m.stage == case.state
                and (since is None or m.recorded_at >= since)]
    if not messages:
        return False, "no deterrence message recorded since the case entered this stage"
    last = messages[-1]
    return True, f"{len(messages)} in this stage; latest {last.said_on.isoformat()} by {last.speaker} to {last.audience}"


def _required_tasks_done(session: Session, case: Case) -> tuple[bool, str]:
    open_tasks = _stage_work(session, case)[1]
    if open_tasks:
        return False, "still open: " + "; ".join(_open_task(t) for t in open_tasks)
    return True, "every required task of this stage is done"


def _open_task(task) -> str:
    if task.username:
        return f"#{task.id} {task.title} ({task.username})"
    if not task.staffed:
        return (f"#{task.id} {task.title} ({task.role.replace('_', ' ')} queue; "
                f"{nobody_in(task.role)})")
    return f"#{task.id} {task.title} ({task.role.replace('_', ' ')} queue)"


def nobody_in(role: str) -> str:
    """What the case page says when nobody on the team can work a queue."""
    return f"no {role.replace('_', ' ')} on the team — a supervisor adds one on Team"


#: The roles the active members of a case's team hold, with who holds them.
_TEAM_ROLES = (select(UserRole.role, User.username)
               .select_from(CaseMember).join(User, User.id == CaseMember.user_id)
               .join(UserRole, UserRole.user_id == User.id)
               .where(CaseMember.case_id == bindparam("case_id"), User.active)
               .order_by(UserRole.role, User.username))


def missing_roles(session: Session, case: Case, roles: tuple[str, ...]) -> tuple[list[str], dict]:
    """Of `roles`, those nobody active on the team holds; and who holds each of the others."""
    holders: dict[str, list[str]] = {}
    team = queries.remembered(session, ("team roles", case.id), lambda: session.connection()
                              .execute(_TEAM_ROLES, {"case_id": case.id}).all())
    for role, username in team:
        if role in roles:
            holders.setdefault(role, []).append(username)
    return [role for role in roles if role not in holders], holders


def team_for(roles: tuple[str, ...]) -> Requirement:
    """The requirement that the team has someone in each queue of the next stage's tasks."""
    def check(session: Session, case: Case) -> tuple[bool, str]:
        missing, holders = missing_roles(session, case, roles)
        if missing:
            return False, "; ".join(nobody_in(role) for role in missing)
        return True, "; ".join(f"{role.replace('_', ' ')}: {', '.join(holders[role])}"
                               for role in roles)
    listed = ", ".join(role.replace("_", " ") for role in roles)
    return Requirement("team", f"The team has people for the next stage's task queues ({listed}).",
                       check)


def _responses(session: Session, case: Case) -> list[Response]:
    return queries.responses_of(session, case.id)


def _binding_adopted(session: Session, case: Case) -> tuple[bool, str]:
    adopted = [r for r in _responses(session, case) if r.status in ("adopted", "implemented")]
    binding = [r for r in adopted if r.legally_binding]
    if not binding:
        return False, (f"{len(adopted)} adopted, none legally binding" if adopted
                       else "no response adopted yet")
    return True, f"{len(binding)} adopted and legally binding: " + "; ".join(
        f"{r.actor} ({r.level} {r.tool.replace('_', ' ')})" for r in binding)


def _none_undecided(session: Session, case: Case) -> tuple[bool, str]:
    proposed = [r for r in _responses(session, case) if r.status == "proposed"]
    if proposed:
        return False, "still proposed: " + "; ".join(f"#{r.id} {r.actor}" for r in proposed)
    return True, "every response has a decision"


#: The adopted responses of a case with their milestones, one row per milestone (or response).
_ADOPTED_MILESTONES = (
    select(Response.id, Response.actor, Milestone.id.label("milestone_id"), Milestone.description,
           Milestone.due_on, Milestone.done_on)
    .select_from(Response).outerjoin(Milestone, Milestone.response_id == Response.id)
    .where(Response.case_id == bindparam("case_id"),
           queries.among(Response.status, ("adopted", "implemented")))
    .order_by(Response.id, Milestone.due_on, Milestone.id))


def _milestones_kept(session: Session, case: Case) -> tuple[bool, str]:
    # A note does not excuse an overdue milestone (the page shows it red): it is done, or it
    # is rescheduled by a correction of its due date, with a reason.
    rows = session.connection().execute(_ADOPTED_MILESTONES, {"case_id": case.id}).all()
    if not rows:
        return False, "no adopted response to implement"
    today_ = today()
    problems = [f"#{r.id} {r.actor}: no milestone" for r in rows if r.milestone_id is None]
    problems += [f"#{r.id} {r.actor}: '{r.description}' was due {r.due_on.isoformat()} and is "
                 "not done; mark it done or reschedule it (a new due date, with a reason)"
                 for r in rows if r.milestone_id is not None and r.done_on is None
                 and r.due_on < today_]
    if problems:
        return False, "; ".join(problems)
    adopted = len({r.id for r in rows})
    return True, (f"{adopted} adopted response{'s' if adopted > 1 else ''}, "
                  f"{len(rows)} milestone{'s' if len(rows) > 1 else ''} on track")


def _evaluation_recommends(recommendation: str):
    def check(session: Session, case: Case) -> tuple[bool, str]:
        evaluation = queries.latest_evaluation(session, case.id)
        if evaluation is None:
            return False, "no evaluation recorded"
        missing = [f.replace("_", " ") for f in FACTORS
                   if not getattr(evaluation, f) or not getattr(evaluation, f"{f}_rationale")]
        if missing:
            return False, "not rated with a rationale: " + ", ".join(missing)
        if evaluation.recommendation != recommendation:
            return False, f"the evaluation recommends to {evaluation.recommendation}"
        ratings = ", ".join(f"{f.replace('_', ' ')} {getattr(evaluation, f)}" for f in FACTORS)
        return True, f"{ratings}; repeat use: {evaluation.repeat_use}"
    return check


FIELDS_SET = Requirement("case_details", "Title, date, country and place are set.", _fields_set)
LEAD_INVESTIGATOR = Requirement("lead_investigator", "A lead investigator is on the team.",
                                _lead_on_team)

SOME_EVIDENCE = Requirement("evidence", "At least one evidence item (e.g. the initial report).",
                            _some_evidence)
USE_CONFIRMED = Requirement("use_confirmed", "A use determination of confirmed or likely names the agent.",
                            _use_confirmed)
TWO_KINDS = Requirement("two_kinds", "At least two active evidence items of different kinds.",
                        _two_kinds)
SAMPLES_ANALYSED = Requirement(
    "samples_analysed", "Every sample is analysed by at least two designated laboratories, with "
    "results; a case that names an agent has a sample, or a supervisor's reason why none exists.",
    _samples_analysed)
CITED_CUSTODY = Requirement(
    "cited_custody", "Every item the use determination cites has an unbroken chain of custody.",
    _cited_custody)
USE_NOT_CONFIRMED = Requirement("use_not_confirmed",
                                "A use determination of not confirmed, with its rationale.",
                                _concluded("use_determination", "not_confirmed"))
ATTRIBUTED = Requirement(
    "attributed", "An attribution names the responsible party, its type and the standard of proof, "
    "citing at least two evidence items.", _attributed)
INCONCLUSIVE = Requirement("attribution_inconclusive",
                           "An attribution of inconclusive, with its rationale.",
                           _concluded("attribution", "inconclusive"))

TASKS_DONE = Requirement("required_tasks", "All required tasks of this stage are done.",
                         _required_tasks_done)
MESSAGE_IN_STAGE = Requirement(
    "deterrence_message", "A deterrence message has been recorded during this stage.",
    _message_in_stage)
BINDING_ADOPTED = Requirement(
    "binding_response", "At least one response from the menu is adopted and legally binding.",
    _binding_adopted)
NONE_UNDECIDED = Requirement("responses_decided", "No response is still proposed without a decision.",
                             _none_undecided)
MILESTONES_KEPT = Requirement(
    "milestones", "Every adopted response has a milestone, and none is overdue: each milestone "
    "past its date is done or rescheduled with a reason.", _milestones_kept)


def closing_risks(evaluation) -> list[str]:
    """What an evaluation records against closing: repeat use, and each factor it found weakened."""
    if evaluation is None:
        return []
    risks = ["the perpetrator used chemical weapons again"] if evaluation.repeat_use == "yes" else []
    risks += [f"{factor.replace('_', ' ')} weakened" for factor in FACTORS
              if getattr(evaluation, factor) == "weakened"]
    return risks


def evaluation_requirement(recommendation: str, target_words: str) -> Requirement:
    """The requirement that an evaluation recommends this gate."""
    return Requirement(f"evaluation_{recommendation}",
                       "An evaluation rates taboo, norms, lack of benefit and deterrence with a "
                       f"rationale each, records repeat use, and recommends to {target_words}.",
                       _evaluation_recommends(recommendation))


def evaluate(session: Session, case: Case, target: str,
             requirements: tuple[Requirement, ...]) -> Checklist:
    """Check every requirement of the gate from the case's stage to `target`, now
    (`pathway.checklist` passes the gate's declared requirements)."""
    items = []
    for requirement in requirements:
        met, detail = requirement.check(session, case)
        items.append(CheckItem(requirement.code, requirement.sentence, met, detail))
    return Checklist(case.state, target, tuple(items))
