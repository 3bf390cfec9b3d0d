"""The accountability pathway, declared once as data, and the one machine that decides on it.

Every gate is one `Gate` record: where it leads from and to, the requirements it checks,
the outcome a case closes with through it, the evaluation recommendation that points to it
and the role whose work it closes. Every stage is one `Stage` record with the tasks it
starts with. The machine's transitions, the triggers, the checklist, the diagram, the task
templates and the test matrix are all derived from these two tables; `declare` refuses, at
import time, a gate without requirements or an edge the tables do not account for.

"Under review" is not a stage: it is a case with a pending gate request, which the database
allows at most once per case. The machine decides every gate command: its conditions are the
request-level rules and the gate's requirements, each giving its reason; `fire` raises one
refusal carrying every reason; `after` writes the audit event; `on_enter_<stage>` cancels the
open tasks of the stage left and creates the tasks of the stage entered.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from transitions import Machine
from transitions.core import MachineError

from workflow import gates, permissions, queries, stages
from workflow.errors import Conflict, Forbidden, GateUnmet, Invalid, WorkflowError
from workflow.gates import Requirement
from workflow.roles import ANALYST, INVESTIGATOR, LEGAL_OFFICER, SUPERVISOR
from workflow.words import Text, _, human, inline, series
from workflow.stages import (
    ATTRIBUTION,
    CLOSED,
    EVALUATION,
    IMPLEMENTATION,
    INVESTIGATION,
    LEGAL_CONSEQUENCE,
    REPORTED,
    firing,
    reopen_targets,
    state_write_allowed,
)


class DeclarationError(Exception):
    """The pathway's tables contradict themselves; raised at import time."""


#: The records whose recording completes the open task of the stage that names it
#: (`Template.completed_by`), each as the forms name it.
COMPLETING_RECORDS = {"use_determination": _("a use determination"),
                      "attribution": _("an attribution finding"), "response": _("a response"),
                      "evaluation": _("an evaluation")}

#: The outcomes a case closes with (`Gate.closes_with`), as `human` and `inline` name them: the
#: catalogs take their translations from here.
OUTCOME_NAMES = {"unfounded": (_("Unfounded"), _("unfounded")),
                 "unattributed": (_("Unattributed"), _("unattributed")),
                 "evaluated": (_("Evaluated"), _("evaluated"))}


@dataclass(frozen=True)
class Template:
    """A task a stage starts with."""

    key: str
    title: Text
    role: str
    required: bool = False
    due_days: int = 14
    description: Text | str = ""
    #: The record (a key of COMPLETING_RECORDS) whose recording completes the task, if any.
    completed_by: str = ""


@dataclass(frozen=True)
class Stage:
    name: str
    #: The tasks created when a case enters the stage (by a gate or a reopening).
    tasks: tuple[Template, ...] = ()

    @property
    def label(self) -> Text:
        return human(self.name)


@dataclass(frozen=True)
class Gate:
    """One edge of the pathway a supervisor opens on request (DESIGN §2, §3)."""

    source: str
    target: str
    #: Every one must hold when the gate is requested and again when it is approved.
    requirements: tuple[Requirement, ...]
    #: The role whose work the gate closes (who asks for it in the demonstration).
    requested_by: str
    #: The outcome a case closes with through this gate (None: it does not close).
    closes_with: str | None = None
    #: The evaluation recommendation that points to this gate (evaluation gates only).
    recommendation: str | None = None
    #: Approving it against what the evaluation records (repeat use, a weakened factor) needs
    #: the supervisor's explicit confirmation and reason, kept in the approval's event.
    confirm_risks: bool = False
    #: Filled by `declare`: the tasks the case starts the target stage with.
    tasks_on_entry: tuple[Template, ...] = field(default=(), compare=False)

    @property
    def key(self) -> tuple[str, str]:
        return self.source, self.target


_STAGES = (
    Stage(REPORTED),
    Stage(INVESTIGATION, (
        Template("interview_witnesses", _("Interview witnesses"), INVESTIGATOR, due_days=21),
        Template("collect_samples", _("Collect and seal samples"), INVESTIGATOR, due_days=7,
                 description=_("Record each sample's custody from collection on.")),
        Template("arrange_analysis", _("Arrange analysis by two designated laboratories"),
                 INVESTIGATOR, due_days=30),
        Template("draft_use_determination", _("Draft the use determination"), INVESTIGATOR,
                 required=True, due_days=45, completed_by="use_determination"),
    )),
    Stage(ATTRIBUTION, (
        Template("forensic_comparison", _("Chemical forensic comparison"), ANALYST, due_days=30),
        Template("munition_analysis", _("Munition and delivery analysis"), ANALYST, due_days=30),
        Template("draft_attribution", _("Draft the attribution finding"), ANALYST, required=True,
                 due_days=60, completed_by="attribution"),
    )),
    Stage(LEGAL_CONSEQUENCE, (
        Template("select_responses", _("Select responses from the menu"), LEGAL_OFFICER,
                 required=True, due_days=30, completed_by="response"),
        Template("coordinate_partners", _("Coordinate with partners"), LEGAL_OFFICER, due_days=45),
    )),
    Stage(IMPLEMENTATION, (
        Template("track_responses", _("Track each adopted response"), LEGAL_OFFICER, required=True,
                 due_days=90),
    )),
    Stage(EVALUATION, (
        Template("assess_factors", _("Assess the restraint factors"), ANALYST, required=True,
                 due_days=30, completed_by="evaluation"),
        Template("approve_evaluation", _("Approve the evaluation"), SUPERVISOR, due_days=45),
    )),
    Stage(CLOSED),
)

_WORK = (gates.TASKS_DONE, gates.MESSAGE_IN_STAGE)

_GATES = (
    Gate(REPORTED, INVESTIGATION,
         (gates.FIELDS_SET, gates.SOME_EVIDENCE, gates.LEAD_INVESTIGATOR, gates.TASKS_DONE),
         requested_by=INVESTIGATOR),
    Gate(INVESTIGATION, ATTRIBUTION,
         (gates.USE_CONFIRMED, gates.TWO_KINDS, gates.SAMPLES_ANALYSED, gates.CITED_CUSTODY, *_WORK),
         requested_by=INVESTIGATOR),
    Gate(INVESTIGATION, CLOSED, (gates.USE_NOT_CONFIRMED, *_WORK), requested_by=INVESTIGATOR,
         closes_with="unfounded"),
    Gate(ATTRIBUTION, LEGAL_CONSEQUENCE, (gates.ATTRIBUTED, *_WORK), requested_by=ANALYST),
    Gate(ATTRIBUTION, CLOSED, (gates.INCONCLUSIVE, *_WORK), requested_by=ANALYST,
         closes_with="unattributed"),
    Gate(LEGAL_CONSEQUENCE, IMPLEMENTATION,
         (gates.BINDING_ADOPTED, gates.NONE_UNDECIDED, *_WORK), requested_by=LEGAL_OFFICER),
    Gate(IMPLEMENTATION, EVALUATION, (gates.MILESTONES_KEPT, *_WORK), requested_by=LEGAL_OFFICER),
    Gate(EVALUATION, CLOSED, (gates.evaluation_requirement("close", inline("close")), *_WORK),
         requested_by=ANALYST, closes_with="evaluated", recommendation="close", confirm_risks=True),
    Gate(EVALUATION, LEGAL_CONSEQUENCE, (gates.evaluation_requirement("escalate", inline("escalate")), *_WORK),
         requested_by=ANALYST, recommendation="escalate"),
    Gate(EVALUATION, IMPLEMENTATION, (gates.evaluation_requirement("continue", inline("continue")), *_WORK),
         requested_by=ANALYST, recommendation="continue"),
)


@dataclass(frozen=True)
class Pathway:
    stages: tuple[Stage, ...]
    gates: tuple[Gate, ...]

    def gate(self, source: str, target: str) -> Gate | None:
        return next((g for g in self.gates if g.key == (source, target)), None)


def _check_completing(stage: Stage) -> None:
    """Each record completes at most one task of a stage, and only records that exist do."""
    named = [t.completed_by for t in stage.tasks if t.completed_by]
    unknown = sorted(set(named) - set(COMPLETING_RECORDS))
    if unknown:
        raise DeclarationError(f"stage {stage.name}: no such completing record {', '.join(unknown)}")
    if len(set(named)) != len(named):
        raise DeclarationError(f"stage {stage.name}: a record completes two of its tasks")


def _queues(stage: Stage) -> tuple[str, ...]:
    """The roles whose queues the stage's tasks wait in, but supervisors' (they see every case)."""
    return tuple(dict.fromkeys(t.role for t in stage.tasks if t.role != SUPERVISOR))


def declare(stages: Iterable[Stage], gate_list: Iterable[Gate]) -> Pathway:
    """Check the tables and fill in each gate's entry tasks, and the requirement that the team
    has people for their queues; DeclarationError when the tables do not hold."""
    stages = tuple(stages)
    by_name = {stage.name: stage for stage in stages}
    if len(by_name) != len(stages):
        raise DeclarationError("a stage is declared twice")
    for stage in stages:
        _check_completing(stage)
    declared = []
    seen = set()
    for gate in gate_list:
        where = f"gate {gate.source} → {gate.target}"
        if gate.source not in by_name or gate.target not in by_name:
            raise DeclarationError(f"{where}: not between declared stages")
        if gate.source == gate.target or gate.source == CLOSED:
            raise DeclarationError(f"{where}: a gate leaves an open stage for another stage")
        if not gate.requirements:
            raise DeclarationError(f"{where}: declares no requirements (it would stand open)")
        if gate.key in seen:
            raise DeclarationError(f"{where}: declared twice")
        if (gate.target == CLOSED) != bool(gate.closes_with):
            raise DeclarationError(f"{where}: a gate closes a case if and only if it names the outcome")
        if gate.closes_with and gate.closes_with not in OUTCOME_NAMES:
            raise DeclarationError(f"{where}: the outcome {gate.closes_with} has no name for people")
        seen.add(gate.key)
        entered = by_name[gate.target]
        queues = _queues(entered)
        team = (gates.team_for(queues),) if queues else ()
        declared.append(replace(gate, requirements=gate.requirements + team,
                                tasks_on_entry=entered.tasks))
    for stage in stages:
        if stage.name != CLOSED and not any(g.source == stage.name for g in declared):
            raise DeclarationError(f"stage {stage.name}: no gate leads out of it")
    recommendations = [g.recommendation for g in declared if g.recommendation]
    if len(set(recommendations)) != len(recommendations):
        raise DeclarationError("two gates answer the same evaluation recommendation")
    return Pathway(stages, tuple(declared))


PATHWAY = declare(_STAGES, _GATES)
if tuple(stage.name for stage in PATHWAY.stages) != stages.STAGES:
    raise DeclarationError("the declared stages are not the stages the records hold")

STAGES = stages.STAGES  # the vocabulary's, which the declaration was just checked against
LABELS = {stage.name: stage.label for stage in PATHWAY.stages}
#: From each stage, the targets its gates lead to, in declaration order.
GATES: dict[str, tuple[str, ...]] = {
    stage: tuple(g.target for g in PATHWAY.gates if g.source == stage)
    for stage in STAGES if any(g.source == stage for g in PATHWAY.gates)}
#: The requirements of each gate, keyed by (source, target).
REQUIREMENTS: dict[tuple[str, str], tuple[Requirement, ...]] = {
    g.key: g.requirements for g in PATHWAY.gates}
#: The outcome a case closes with, by the stage it closes from.
CLOSING_OUTCOMES = {g.source: g.closes_with for g in PATHWAY.gates if g.closes_with}
#: The target stage each evaluation recommendation leads to.
RECOMMENDED_TARGET = {g.recommendation: g.target for g in PATHWAY.gates if g.recommendation}
#: The tasks each stage starts with.
TEMPLATES: dict[str, tuple[Template, ...]] = {s.name: s.tasks for s in PATHWAY.stages if s.tasks}
#: Who requests each gate in the demonstration: the role whose work it closes.
REQUESTER = {g.source: g.requested_by for g in PATHWAY.gates}
#: The roles each stage's tasks wait for, which its gates ask the team to have.
QUEUES: dict[str, tuple[str, ...]] = {s.name: _queues(s) for s in PATHWAY.stages}
#: The template of the task each (stage, record) completes.
COMPLETED_BY: dict[tuple[str, str], Template] = {
    (s.name, t.completed_by): t for s in PATHWAY.stages for t in s.tasks if t.completed_by}
# The stage tasks' titles and descriptions as their templates declare them: a task's row keeps
# the words, `task_words` gives them back as a sentence a page says in its reader's language.
gates.TASK_WORDS.update({str(words): words for s in PATHWAY.stages for t in s.tasks
                         for words in (t.title, t.description) if isinstance(words, Text) and words})
task_words = gates.task_words


def checklist(session, case, target: str) -> gates.Checklist:
    """Every requirement of the gate from the case's stage to `target`, evaluated now."""
    return gates.evaluate(session, case, target, REQUIREMENTS.get((case.state, target), ()))


def closing_risks(session, case) -> list[str]:
    """What the case's latest evaluation records against closing it: repeat use, weakened factors."""
    return gates.closing_risks(queries.latest_evaluation(session, case.id))


# ---------------------------------------------------------------------------------------------
# The machine. Each command passes a `Move` (see workflow/gate_commands.py) as `move=`: the
# loaded case's session, actor and pending request, and where the machine leaves its findings.


@dataclass(frozen=True)
class Reason:
    """Why a rule refuses: the sentence and the kind of refusal it is."""

    code: str
    sentence: Text
    kind: type[WorkflowError]


#: A request-level rule: the reason it refuses, or None when it holds.
Rule = Callable[["object"], Reason | None]

_SEVERITY = (Forbidden, Conflict, Invalid, GateUnmet)


class _Conditions:
    """All rules of one transition as the one condition transitions calls: every rule is
    evaluated (not only up to the first refusal) so the refusal carries every reason."""

    def __init__(self, rules: tuple[Rule, ...], gate: Gate | None = None):
        self.rules, self.gate = rules, gate

    def __call__(self, event) -> bool:
        move = event.kwargs["move"]
        if event.transition.dest is not None and move.target != event.transition.dest:
            return False  # another transition of this trigger is the one meant
        reasons = [reason for rule in self.rules if (reason := rule(move)) is not None]
        if self.gate is not None:
            move.checklist = checklist(move.session, move.case, self.gate.target)
            reasons += [Reason(item.code, _("%(requirement)s (%(detail)s)", requirement=item.sentence,
                                            detail=item.detail), GateUnmet)
                        for item in move.checklist.unmet]
        move.reasons = reasons
        return not reasons


def _may(action: str) -> Rule:
    def may_act(move) -> Reason | None:
        ok, reason = move.allowed(action)
        return None if ok else Reason("may_act", reason, Forbidden)
    return may_act


def _not_under_review(move) -> Reason | None:
    if move.pending is None:
        return None
    return Reason("under_review", _("Case %(reference)s is already under review (gate to %(target)s); "
                                    "decide that request first.", reference=move.case.reference,
                                    target=inline(move.pending.target)), Conflict)


def _under_review(move) -> Reason | None:
    if move.pending is not None:
        return None
    return Reason("not_under_review", _("Case %(reference)s has no pending gate request.",
                                        reference=move.case.reference), Conflict)


def _not_requester(move) -> Reason | None:
    if move.pending is None or move.pending.requested_by_id != move.actor.id:
        return None
    return Reason("four_eyes", permissions.FOUR_EYES, Forbidden)


def _requester(move) -> Reason | None:
    if move.pending is None or move.pending.requested_by_id == move.actor.id:
        return None
    return Reason("not_requester", permissions.ONLY_REQUESTER, Forbidden)


def _reason_given(move) -> Reason | None:
    if move.reason:
        return None
    return Reason("reason", _REASON_NEEDED[move.reason_for], Invalid)


#: The sentence that asks for a reason, by what it is for (`Move.reason_for`).
_REASON_NEEDED = {"request is rejected": _("A reason is needed: say why the request is rejected."),
                  "case is reopened": _("A reason is needed: say why the case is reopened.")}


def _risks_confirmed(move) -> Reason | None:
    """Closing against the evaluation's warnings is confirmed, with a reason; they are kept."""
    risks = closing_risks(move.session, move.case)
    if not risks:
        return None
    said = series(risks, "; ")
    if not move.confirmed:
        return Reason("confirm_risks", _("confirm: the evaluation records %(risks)s; confirm that "
                                         "the case closes all the same", risks=said), Invalid)
    if not move.reason:
        return Reason("reason", _("A reason is needed: say why the case closes although the "
                                  "evaluation records %(risks)s.", risks=said), Invalid)
    move.confirmed_risks = risks
    return None


def _after(event) -> None:
    """The move is made: write its audit event from the event's data."""
    move = event.kwargs["move"]
    move.record(event.event.name, event.transition.source, event.state.name)


def _on_enter(event) -> None:
    """Entering a stage: the open tasks of the stage left are cancelled, the new stage's created."""
    move = event.kwargs["move"]
    move.enter(event.transition.source, event.state.name)


_REQUEST_RULES = (_may("request_gate"), _not_under_review)
_DECIDE_RULES = (_may("decide_gate"), _under_review, _not_requester)


def _transitions() -> list[dict]:
    after = [_after]
    open_stages = [stage for stage in STAGES if stage != CLOSED]
    declared = []
    for gate in PATHWAY.gates:
        declared.append(dict(trigger="request_gate", source=gate.source, dest=None,
                             conditions=[_Conditions(_REQUEST_RULES, gate)], after=after,
                             target=gate.target))
        rules = (*_DECIDE_RULES, _risks_confirmed) if gate.confirm_risks else _DECIDE_RULES
        declared.append(dict(trigger="approve_gate", source=gate.source, dest=gate.target,
                             conditions=[_Conditions(rules, gate)], after=after))
    declared += [
        dict(trigger="reject_gate", source=open_stages, dest=None,
             conditions=[_Conditions((*_DECIDE_RULES, _reason_given))], after=after),
        dict(trigger="withdraw_gate", source=open_stages, dest=None,
             conditions=[_Conditions((_under_review, _requester))], after=after),
    ]
    declared += [dict(trigger="reopen", source=source, dest=target,
                      conditions=[_Conditions((_may("reopen"), _not_under_review, _reason_given))],
                      after=after)
                 for source in STAGES for target in reopen_targets(source)]
    # A documented incident imported with its history starts at the stage its record supports.
    declared += [dict(trigger="import_history", source=REPORTED, dest=target,
                      conditions=[_Conditions(())], after=after) for target in STAGES[1:]]
    return declared


_DECLARED = _transitions()


class _TargetedRequest:
    """A request_gate transition keeps its stage but still names the gate it asks for."""

    def __init__(self, target: str, conditions: _Conditions):
        self.target, self.conditions = target, conditions

    def __call__(self, event) -> bool:
        if event.kwargs["move"].target != self.target:
            return False
        return self.conditions(event)


def _for_machine(transition: dict) -> dict:
    transition = dict(transition)
    target = transition.pop("target", None)
    if target is not None:
        transition["conditions"] = [_TargetedRequest(target, transition["conditions"][0])]
    return transition


#: The transitions as the machine takes them (derived; the diagram reads them too).
TRANSITIONS = [_for_machine(t) for t in _DECLARED]
#: A user's commands on the pathway, derived from the declared transitions.
TRIGGERS = tuple(dict.fromkeys(t["trigger"] for t in TRANSITIONS if t["trigger"] != "import_history"))
#: Not a user's command: only the importer fires it, on a case it has just opened.
IMPORT_TRIGGER = "import_history"

#: The one machine, shared by every case (pytransitions #146: model=None, fire on the row).
MACHINE = Machine(model=None, states=[dict(name=stage, on_enter=[_on_enter]) for stage in STAGES],
                  initial=REPORTED, transitions=TRANSITIONS, auto_transitions=False,
                  send_event=True)

__all__ = ["ATTRIBUTION", "CLOSED", "EVALUATION", "IMPLEMENTATION", "INVESTIGATION",
           "LEGAL_CONSEQUENCE", "REPORTED", "reopen_targets", "state_write_allowed"]


def refusal(reasons: list[Reason], move) -> WorkflowError:
    """One error carrying every reason; its kind is the gravest among them."""
    kind = min((reason.kind for reason in reasons), key=_SEVERITY.index)
    sentences = series([reason.sentence for reason in reasons], "; ")
    unmet = [r for r in reasons if r.kind is GateUnmet]
    if kind is GateUnmet:
        closed = (_("The gate to %(stage)s is closed at approval time: %(reasons)s",
                    stage=LABELS[move.target], reasons=sentences) if move.when == "at approval time"
                  else _("The gate to %(stage)s is closed now: %(reasons)s", stage=LABELS[move.target],
                         reasons=sentences))
        error = GateUnmet(closed, move.checklist)
    elif kind is Invalid:
        field_name = "target" if any(r.code == "no_such_move" for r in reasons) else "reason"
        error = Invalid(sentences, field_name)
    else:
        error = kind(sentences)
    error.reasons = reasons
    if unmet:
        error.checklist = move.checklist
    return error


def fire(case, trigger: str, move) -> None:
    """Fire `trigger` on a loaded case; raises one refusal with every reason if the machine refuses."""
    token = firing.set(True)
    move.reasons = []
    try:
        moved = MACHINE.events[trigger].trigger(case, move=move)
    except MachineError:  # the trigger does not apply to this stage at all
        moved = False
    finally:
        firing.reset(token)
    if moved:
        return
    if not move.reasons:
        move.reasons = [Reason("no_such_move", _no_move(case, trigger, move), Conflict
                               if move.target is None or trigger not in ("request_gate", "reopen")
                               else Invalid)]
    raise refusal(move.reasons, move)


def _no_move(case, trigger: str, move) -> Text:
    if trigger == "request_gate":
        gates_here = GATES.get(case.state, ())
        return _("target: no gate leads from %(stage)s to %(target)s; the gates from here lead to "
                 "%(allowed)s", stage=Text(case.state), target=Text(move.target or ""),
                 allowed=series([Text(g) for g in gates_here]) if gates_here
                 else _("none (the case is closed)"))
    if trigger == "reopen":
        targets = reopen_targets(case.state)
        return _("target: a case in %(stage)s can be reopened to %(allowed)s", stage=Text(case.state),
                 allowed=series([Text(t) for t in targets]) if targets else _("none"))
    return _("Case %(reference)s cannot %(command)s from %(stage)s now.", reference=case.reference,
             command=_COMMANDS.get(trigger, Text(trigger)), stage=LABELS[case.state])


#: The commands as a refusal names them ("cannot approve gate").
_COMMANDS = {"request_gate": _("request gate"), "approve_gate": _("approve gate"),
             "reject_gate": _("reject gate"), "withdraw_gate": _("withdraw gate"),
             "reopen": _("reopen"), "import_history": _("import history")}
