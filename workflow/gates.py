"""Evidence gates: requirements that explain themselves, grouped per gate (DESIGN §3).

Each requirement has a code, a sentence a user reads, and a check that says whether it
holds and why not. The same objects drive the checklist on the case page, the refusal of
a request, the re-check at approval, and the snapshot kept with the request.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import Session

from models.case import Case
from models.database import among
from models.evaluation import FACTORS
from models.evidence import EvidenceItem, LabAnalysis
from models.finding import Finding
from models.response import Milestone, Response
from models.task import Task
from vocabulary import OPEN_TASK_STATUSES, SAMPLE_KINDS, SUPERVISOR, USE_DETERMINATION
from workflow import countries, queries
from workflow.clock import today
from workflow.custody import chain_breaks
from workflow.words import Text, _, _n, inline, recorded, series


@dataclass(frozen=True)
class Requirement:
    """One condition of a gate."""

    code: str
    sentence: Text
    check: Callable[[Session, Case], tuple[bool, Text]]


@dataclass(frozen=True)
class CheckItem:
    code: str
    sentence: Text
    met: bool
    detail: Text

    def as_dict(self) -> dict:
        """The item as a request keeps it: its sentences in English, and in `words` as their
        messages and values, to be said again in each reader's language."""
        return {"code": self.code, "sentence": self.sentence, "met": self.met,
                "detail": self.detail,
                "words": {"sentence": recorded(self.sentence), "detail": recorded(self.detail)}}


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


def _fields_set(_session: Session, case: Case) -> tuple[bool, Text]:
    labels = {"title": _("title"), "occurred_on": _("date"), "country": _("country"), "place": _("place")}
    missing = [label for name, label in labels.items() if not getattr(case, name)]
    if missing:
        return False, _("missing: %(fields)s", fields=series(missing))
    if not countries.is_code(case.country):
        # Kept as written before countries were codes, and named no country then.
        return False, _("country: “%(written)s” is not a country we know; correct it on the case's "
                        "form", written=case.country)
    return True, _("%(title)s; %(date)s; %(place)s, %(country)s", title=case.title,
                   date=case.occurred_on.isoformat(), place=case.place,
                   country=countries.Country(case.country))


def _lead_on_team(_session: Session, case: Case) -> tuple[bool, Text]:
    lead = case.lead
    if lead is None:
        return False, _("no lead investigator on the team; a supervisor names one on the team page")
    return True, _("lead investigator: %(name)s", name=lead.user.full_name or lead.user.username)


def _active_evidence(session: Session, case: Case) -> list[EvidenceItem]:
    return [item for item in queries.evidence_items(session, case.id) if item.status == "active"]


def _latest(session: Session, case: Case, kind: str) -> Finding | None:
    return queries.current_findings(session, case.id).get(kind)


def _label(item: EvidenceItem) -> Text:
    return _("#%(id)s %(title)s", id=item.id, title=item.title)


# The checks that run inside every gate command are built once, with their parameters bound
# at each run: building a statement costs more than running it.
_ACTIVE_COUNT = select(queries.ACTIVE_EVIDENCE).where(Case.id == bindparam("case_id"))


def _some_evidence(session: Session, case: Case) -> tuple[bool, Text]:
    count = case.active_evidence  # read with the case (workflow.command.load), or now
    if count is None:
        count = queries.remembered(session, ("active evidence", case.id), lambda: session
                                   .connection().execute(_ACTIVE_COUNT, {"case_id": case.id}).scalar())
    if not count:
        return False, _("no active evidence item yet; add the initial report as evidence")
    return True, _n("%(num)s active evidence item", "%(num)s active evidence items", count)


def _use_confirmed(session: Session, case: Case) -> tuple[bool, Text]:
    finding = _latest(session, case, "use_determination")
    if finding is None:
        return False, _("no use determination recorded")
    if finding.conclusion not in ("confirmed", "likely"):
        return False, _("the use determination is %(conclusion)s", conclusion=inline(finding.conclusion))
    if finding.agent in ("", "unknown"):
        return False, _("the use determination names no agent")
    return True, _("use %(conclusion)s, agent %(agent)s", conclusion=inline(finding.conclusion),
                   agent=inline(finding.agent))


def _two_kinds(session: Session, case: Case) -> tuple[bool, Text]:
    items = _active_evidence(session, case)
    kinds = sorted({item.kind for item in items})
    detail = _("%(items)s of %(kinds)s",
               items=_n("%(num)s active item", "%(num)s active items", len(items)),
               kinds=_n("kind: %(names)s", "kinds: %(names)s", len(kinds),
                        names=series([inline(kind) for kind in kinds]) if kinds else _("none")))
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
                                  among(EvidenceItem.kind, SAMPLE_KINDS)))
    .outerjoin(LabAnalysis, LabAnalysis.evidence_id == EvidenceItem.id)
    .where(Case.id == bindparam("case_id"))
    .order_by(EvidenceItem.id, LabAnalysis.id))


def named_agent(case: Case, determined: str | None) -> str:
    """The agent the case names (its use determination's, else the suspected one), or ""."""
    for agent in (determined, case.suspected_agent):
        if agent and agent != "unknown":
            return agent
    return ""


def _samples_analysed(session: Session, case: Case) -> tuple[bool, Text]:
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
            return True, _("no samples recorded; the case names no agent yet")
        if case.no_sample_reason:
            return True, _("no samples recorded; a supervisor recorded why: %(reason)s",
                           reason=case.no_sample_reason[:200])
        return False, _("no samples recorded, though the case names an agent (%(agent)s); record a "
                        "sample, or a supervisor records why none exists", agent=inline(agent))
    short = [_n("#%(id)s %(title)s: %(num)s designated laboratory with results",
                "#%(id)s %(title)s: %(num)s designated laboratories with results", len(found),
                id=item, title=titles[item])
             for item, found in labs.items() if len(found) < 2]
    if short:
        return False, series(short, "; ")
    return True, _n("%(num)s sample, each by two or more designated laboratories",
                    "%(num)s samples, each by two or more designated laboratories", len(labs))


def _cited_active(finding: Finding) -> tuple[list[EvidenceItem], Text | str]:
    """The active items a finding cites, and a note naming the withdrawn ones (they never count)."""
    active = [item for item in finding.cited if item.status == "active"]
    withdrawn = [_label(item) for item in finding.cited if item.status != "active"]
    return active, (_("; withdrawn, so not counted: %(items)s", items=series(withdrawn))
                    if withdrawn else "")


def _noting(detail: Text, note: Text | str) -> Text:
    """`detail`, followed by `note` when there is one."""
    return _("%(detail)s%(note)s", detail=detail, note=note) if note else detail


def _cited_custody(session: Session, case: Case) -> tuple[bool, Text]:
    finding = _latest(session, case, "use_determination")
    cited, withdrawn = _cited_active(finding) if finding is not None else ([], "")
    if finding is None or not finding.cited:
        return False, _("the use determination cites no evidence")
    if not cited:
        return False, _noting(_("the use determination cites no active evidence"), withdrawn)
    broken = []
    for item in cited:
        if not item.custody:
            broken.append(_("%(item)s: no custody recorded", item=_label(item)))
        elif breaks := chain_breaks(item.custody):
            broken.append(_("%(item)s: %(problem)s", item=_label(item), problem=next(iter(breaks.values()))))
    if broken:
        return False, _noting(series(broken, "; "), withdrawn)
    return True, _noting(_n("%(num)s cited item, chains unbroken", "%(num)s cited items, chains unbroken",
                            len(cited)), withdrawn)


def _concluded(kind: str, conclusion: str):
    """A check that the latest finding of `kind` concludes `conclusion`, with a rationale."""
    none_yet = (_("no attribution finding recorded") if kind == "attribution"
                else _("no use determination recorded"))

    def check(session: Session, case: Case) -> tuple[bool, Text]:
        finding = _latest(session, case, kind)
        if finding is None:
            return False, none_yet
        if finding.conclusion != conclusion:
            return False, _("the %(finding)s is %(conclusion)s", finding=inline(kind),
                            conclusion=inline(finding.conclusion))
        return bool(finding.rationale), finding.rationale[:200] or _("no rationale given")
    return check


def _attributed(session: Session, case: Case) -> tuple[bool, Text]:
    finding = _latest(session, case, "attribution")
    if finding is None:
        return False, _("no attribution finding recorded")
    if finding.conclusion != "attributed":
        return False, _("the attribution is %(conclusion)s", conclusion=inline(finding.conclusion))
    missing = [label for label, value in ((_("responsible party"), finding.responsible_party),
                                          (_("party type"), finding.party_type),
                                          (_("standard of proof"), finding.standard_of_proof)) if not value]
    if missing:
        return False, _("missing: %(fields)s", fields=series(missing))
    cited, withdrawn = _cited_active(finding)
    if len(cited) < 2:
        return False, _noting(_n("cites %(num)s evidence item; two or more needed",
                                 "cites %(num)s evidence items; two or more needed", len(cited)),
                              withdrawn)
    return True, _noting(_("%(party)s (%(type)s), %(standard)s, citing %(items)s",
                           party=finding.responsible_party, type=inline(finding.party_type),
                           standard=inline(finding.standard_of_proof),
                           items=_n("%(num)s item", "%(num)s items", len(cited))), withdrawn)


def entered_stage_at(session: Session, case: Case) -> datetime | None:
    """When the case entered the stage it is in (its open stay began)."""
    if case.entered_stage_at is not None:  # read with the case (workflow.command.load)
        return case.entered_stage_at
    return queries.remembered(session, ("entered", case.id, case.state), lambda: session.scalar(
        select(queries.ENTERED_STAGE).where(Case.id == case.id)))


def _open_stage_tasks(session: Session, case: Case) -> list[Task]:
    """The stage's required tasks still open: every one is of this visit to the stage, since
    leaving a stage cancels its open tasks."""
    return [task for task in queries.tasks_of(session, case.id)
            if task.stage == case.state and task.required and task.status in OPEN_TASK_STATUSES]


def _message_in_stage(session: Session, case: Case) -> tuple[bool, Text]:
    since = entered_stage_at(session, case)
    messages = [m for m in queries.messages_of(session, case.id) if m.stage == case.state
                and (since is None or m.recorded_at >= since)]
    if not messages:
        return False, _("no deterrence message recorded since the case entered this stage")
    last = messages[-1]
    return True, _n("%(num)s in this stage; latest %(date)s by %(speaker)s to %(audience)s",
                    "%(num)s in this stage; latest %(date)s by %(speaker)s to %(audience)s",
                    len(messages), date=last.said_on.isoformat(), speaker=last.speaker,
                    audience=last.audience)


def _required_tasks_done(session: Session, case: Case) -> tuple[bool, Text]:
    # None of them open, as read with the case: the tasks themselves are not needed.
    open_tasks = _open_stage_tasks(session, case) if case.open_required_tasks != 0 else []
    if open_tasks:
        _missing, holders = missing_roles(session, case, tuple({task.role for task in open_tasks}))
        return False, _("still open: %(tasks)s", tasks=series(
            [_open_task(task, task.role == SUPERVISOR or task.role in holders) for task in open_tasks],
            "; "))
    return True, _("every required task of this stage is done")


#: The stage tasks' titles and descriptions as the pathway's templates declare them, by their
#: English words (filled by workflow.pathway).
TASK_WORDS: dict[str, Text] = {}


def task_words(words: str | None) -> Text | str | None:
    """A task's stored title or description: the template's sentence when a stage template
    wrote it (a page says it in its reader's language), else the words as people wrote them."""
    return TASK_WORDS.get(words, words) if words else words


def _open_task(task: Task, staffed: bool) -> Text:
    """An open task as a checklist names it: by its assignee, else by its queue (supervisors
    see every case, so their queue is always staffed)."""
    title = task_words(task.title)
    if task.assignee is not None:
        return _("#%(id)s %(title)s (%(username)s)", id=task.id, title=title,
                 username=task.assignee.username)
    if not staffed:
        return _("#%(id)s %(title)s (%(role)s queue; %(nobody)s)", id=task.id, title=title,
                 role=inline(task.role), nobody=nobody_in(task.role))
    return _("#%(id)s %(title)s (%(role)s queue)", id=task.id, title=title, role=inline(task.role))


def nobody_in(role: str) -> Text:
    """What the case page says when nobody on the team can work a queue."""
    return _("no %(role)s on the team — a supervisor adds one on Team", role=inline(role))


def missing_roles(session: Session, case: Case, roles: tuple[str, ...]) -> tuple[list[str], dict]:
    """Of `roles`, those nobody active on the team holds; and who holds each of the others."""
    holders: dict[str, list[str]] = {}
    # The team comes with the case, its users and their roles (workflow.command.load).
    for member in sorted(case.members, key=lambda m: m.user.username):
        if member.user.active:
            for role in member.user.roles:
                if role in roles:
                    holders.setdefault(role, []).append(member.user.username)
    return [role for role in roles if role not in holders], holders


def team_for(roles: tuple[str, ...]) -> Requirement:
    """The requirement that the team has someone in each queue of the next stage's tasks."""
    def check(session: Session, case: Case) -> tuple[bool, Text]:
        missing, holders = missing_roles(session, case, roles)
        if missing:
            return False, series([nobody_in(role) for role in missing], "; ")
        return True, series([_("%(role)s: %(people)s", role=inline(role), people=series(holders[role]))
                             for role in roles], "; ")
    return Requirement("team", _("The team has people for the next stage's task queues (%(roles)s).",
                                 roles=series([inline(role) for role in roles])), check)


def _responses(session: Session, case: Case) -> list[Response]:
    return queries.responses_of(session, case.id)


def _binding_adopted(session: Session, case: Case) -> tuple[bool, Text]:
    adopted = [r for r in _responses(session, case) if r.status in ("adopted", "implemented")]
    binding = [r for r in adopted if r.legally_binding]
    if not binding:
        return False, (_("%(count)s adopted, none legally binding", count=len(adopted)) if adopted
                       else _("no response adopted yet"))
    return True, _("%(count)s adopted and legally binding: %(responses)s", count=len(binding),
                   responses=series([_("%(actor)s (%(level)s %(tool)s)", actor=r.actor, level=inline(r.level),
                                       tool=inline(r.tool)) for r in binding], "; "))


def _none_undecided(session: Session, case: Case) -> tuple[bool, Text]:
    proposed = [r for r in _responses(session, case) if r.status == "proposed"]
    if proposed:
        return False, _("still proposed: %(responses)s", responses=series(
            [_("#%(id)s %(title)s", id=r.id, title=r.actor) for r in proposed], "; "))
    return True, _("every response has a decision")


#: The adopted responses of a case with their milestones, one row per milestone (or response).
_ADOPTED_MILESTONES = (
    select(Response.id, Response.actor, Milestone.id.label("milestone_id"), Milestone.description,
           Milestone.due_on, Milestone.done_on)
    .select_from(Response).outerjoin(Milestone, Milestone.response_id == Response.id)
    .where(Response.case_id == bindparam("case_id"),
           among(Response.status, ("adopted", "implemented")))
    .order_by(Response.id, Milestone.due_on, Milestone.id))


def _milestones_kept(session: Session, case: Case) -> tuple[bool, Text]:
    # A note does not excuse an overdue milestone (the page shows it red): it is done, or it
    # is rescheduled by a correction of its due date, with a reason.
    rows = session.connection().execute(_ADOPTED_MILESTONES, {"case_id": case.id}).all()
    if not rows:
        return False, _("no adopted response to implement")
    today_ = today()
    problems = [_("#%(id)s %(actor)s: no milestone", id=r.id, actor=r.actor)
                for r in rows if r.milestone_id is None]
    problems += [_("#%(id)s %(actor)s: '%(milestone)s' was due %(due)s and is not done; mark it done "
                   "or reschedule it (a new due date, with a reason)", id=r.id, actor=r.actor,
                   milestone=r.description, due=r.due_on.isoformat())
                 for r in rows if r.milestone_id is not None and r.done_on is None
                 and r.due_on < today_]
    if problems:
        return False, series(problems, "; ")
    adopted = len({r.id for r in rows})
    return True, _("%(responses)s, %(milestones)s on track",
                   responses=_n("%(num)s adopted response", "%(num)s adopted responses", adopted),
                   milestones=_n("%(num)s milestone", "%(num)s milestones", len(rows)))


def _evaluation_recommends(recommendation: str):
    def check(session: Session, case: Case) -> tuple[bool, Text]:
        evaluation = queries.latest_evaluation(session, case.id)
        if evaluation is None:
            return False, _("no evaluation recorded")
        missing = [inline(f) for f in FACTORS
                   if not getattr(evaluation, f) or not getattr(evaluation, f"{f}_rationale")]
        if missing:
            return False, _("not rated with a rationale: %(factors)s", factors=series(missing))
        if evaluation.recommendation != recommendation:
            return False, _("the evaluation recommends to %(recommendation)s",
                            recommendation=inline(evaluation.recommendation))
        ratings = series([_("%(factor)s %(rating)s", factor=inline(f), rating=inline(getattr(evaluation, f)))
                          for f in FACTORS])
        return True, _("%(ratings)s; repeat use: %(repeat)s", ratings=ratings,
                       repeat=inline(evaluation.repeat_use))
    return check


FIELDS_SET = Requirement("case_details", _("Title, date, country and place are set."), _fields_set)
LEAD_INVESTIGATOR = Requirement("lead_investigator", _("A lead investigator is on the team."),
                                _lead_on_team)

SOME_EVIDENCE = Requirement("evidence", _("At least one evidence item (e.g. the initial report)."),
                            _some_evidence)
USE_CONFIRMED = Requirement("use_confirmed",
                            _("A use determination of confirmed or likely names the agent."),
                            _use_confirmed)
TWO_KINDS = Requirement("two_kinds", _("At least two active evidence items of different kinds."),
                        _two_kinds)
SAMPLES_ANALYSED = Requirement(
    "samples_analysed", _("Every sample is analysed by at least two designated laboratories, with "
                          "results; a case that names an agent has a sample, or a supervisor's "
                          "reason why none exists."),
    _samples_analysed)
CITED_CUSTODY = Requirement(
    "cited_custody", _("Every item the use determination cites has an unbroken chain of custody."),
    _cited_custody)
USE_NOT_CONFIRMED = Requirement("use_not_confirmed",
                                _("A use determination of not confirmed, with its rationale."),
                                _concluded("use_determination", "not_confirmed"))
ATTRIBUTED = Requirement(
    "attributed", _("An attribution names the responsible party, its type and the standard of "
                    "proof, citing at least two evidence items."), _attributed)
INCONCLUSIVE = Requirement("attribution_inconclusive",
                           _("An attribution of inconclusive, with its rationale."),
                           _concluded("attribution", "inconclusive"))

TASKS_DONE = Requirement("required_tasks", _("All required tasks of this stage are done."),
                         _required_tasks_done)
MESSAGE_IN_STAGE = Requirement(
    "deterrence_message", _("A deterrence message has been recorded during this stage."),
    _message_in_stage)
BINDING_ADOPTED = Requirement(
    "binding_response", _("At least one response from the menu is adopted and legally binding."),
    _binding_adopted)
NONE_UNDECIDED = Requirement("responses_decided",
                             _("No response is still proposed without a decision."), _none_undecided)
MILESTONES_KEPT = Requirement(
    "milestones", _("Every adopted response has a milestone, and none is overdue: each milestone "
                    "past its date is done or rescheduled with a reason."), _milestones_kept)


def closing_risks(evaluation) -> list[str]:
    """What an evaluation records against closing: repeat use, and each factor it found weakened."""
    if evaluation is None:
        return []
    risks = [_("the perpetrator used chemical weapons again")] if evaluation.repeat_use == "yes" else []
    risks += [_("%(factor)s weakened", factor=inline(factor)) for factor in FACTORS
              if getattr(evaluation, factor) == "weakened"]
    return risks


def evaluation_requirement(recommendation: str, target_words: Text) -> Requirement:
    """The requirement that an evaluation recommends this gate."""
    return Requirement(f"evaluation_{recommendation}",
                       _("An evaluation rates taboo, norms, lack of benefit and deterrence with a "
                         "rationale each, records repeat use, and recommends to %(target)s.",
                         target=target_words),
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
