"""Evidence gates: requirements that explain themselves, grouped per gate (DESIGN §3).

Each requirement has a code, a sentence a user reads, and a check that says whether it
holds and why not. The same objects drive the checklist on the case page, the refusal of
a request, the re-check at approval, and the snapshot kept with the request.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from sqlalchemy import and_, bindparam, func, select
from sqlalchemy.orm import Session

from models.audit import AuditEvent
from models.case import Case
from models.evaluation import FACTORS
from models.evidence import EvidenceItem
from models.finding import Finding
from models.response import Response
from models.task import Task
from models.user import User
from vocabulary import OPEN_TASK_STATUSES
from workflow import queries
from workflow.clock import today
from workflow.custody import chain_breaks


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
        return False, f"the use determination is {finding.conclusion}"
    if finding.agent in ("", "unknown"):
        return False, "the use determination names no agent"
    return True, f"use {finding.conclusion}, agent {finding.agent}"


def _two_kinds(session: Session, case: Case) -> tuple[bool, str]:
    items = _active_evidence(session, case)
    kinds = sorted({item.kind for item in items})
    detail = f"{len(items)} active item{'s' if len(items) != 1 else ''} of kind{'s' if len(kinds) != 1 else ''}: {', '.join(kinds) or 'none'}"
    return len(items) >= 2 and len(kinds) >= 2, detail


def _samples_analysed(session: Session, case: Case) -> tuple[bool, str]:
    samples = [item for item in _active_evidence(session, case) if item.is_sample]
    if not samples:
        return True, "no samples recorded"
    short = []
    for sample in samples:
        labs = {a.laboratory.strip().lower() for a in sample.analyses if a.designated and a.result}
        if len(labs) < 2:
            short.append(f"{_label(sample)}: {len(labs)} designated laborator{'y' if len(labs) == 1 else 'ies'} with results")
    if short:
        return False, "; ".join(short)
    return True, f"{len(samples)} sample{'s' if len(samples) > 1 else ''}, each by two or more designated laboratories"


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
        return False, f"the attribution is {finding.conclusion}"
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
                  f"{finding.standard_of_proof.replace('_', ' ')}, citing {len(cited)} items{withdrawn}")


#: The events that move a case into a stage.
MOVES = ("case_opened", "gate_approved", "case_reopened")


_ENTERED = select(func.max(AuditEvent.at).label("entered")).where(
    AuditEvent.case_id == bindparam("case_id"), AuditEvent.to_state == bindparam("stage"),
    queries.among(AuditEvent.event_type, MOVES)).subquery()
#: When the case last entered its stage, and the required tasks of that visit still open (an
#: earlier visit's are on record, not in the way): one statement, one row at least.
_STAGE_WORK = (
    select(_ENTERED.c.entered, Task.id, Task.title, Task.role, User.username)
    .select_from(_ENTERED)
    .outerjoin(Task, and_(Task.case_id == bindparam("case_id"), Task.stage == bindparam("stage"),
                          Task.required, queries.among(Task.status, OPEN_TASK_STATUSES),
                          Task.created_at >= func.coalesce(_ENTERED.c.entered, Task.created_at)))
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
        return False, "still open: " + "; ".join(
            f"#{t.id} {t.title} ({t.username or t.role + ' queue'})" for t in open_tasks)
    return True, "every required task of this stage is done"


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


def _milestones_kept(session: Session, case: Case) -> tuple[bool, str]:
    adopted = [r for r in _responses(session, case) if r.status in ("adopted", "implemented")]
    if not adopted:
        return False, "no adopted response to implement"
    today_ = today()
    problems = [f"#{r.id} {r.actor}: no milestone" for r in adopted if not r.milestones]
    problems += [f"#{r.id} {r.actor}: '{m.description}' due {m.due_on.isoformat()} is neither done nor explained"
                 for r in adopted for m in r.milestones
                 if m.due_on <= today_ and m.done_on is None and not m.note]
    if problems:
        return False, "; ".join(problems)
    count = sum(len(r.milestones) for r in adopted)
    return True, f"{len(adopted)} adopted response{'s' if len(adopted) > 1 else ''}, {count} milestones on track"


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
    "samples_analysed", "Every sample is analysed by at least two designated laboratories, with results.",
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
    "milestones", "Every adopted response has a milestone, and every milestone due by today "
    "is done or explained.", _milestones_kept)


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
