"""The pathway's declaration and the machine it derives, cell by cell.

The matrix runs on the machine alone (no database): every (stage, trigger, target, role,
under review or not, requester or not, requirements met or not) cell, with the outcome and
the exact reasons of a refusal written here from DESIGN §2, not read from the machine.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import pytest

from workflow import gates, pathway
from workflow.errors import Conflict, Forbidden, GateUnmet, Invalid, WorkflowError
from workflow.pathway import CLOSED, GATES, STAGES, TRIGGERS, Gate, Stage, reopen_targets
from workflow.permissions import allowed
from workflow.roles import ROLES

WORKING = {"investigator", "analyst", "legal_officer"}
ME, SOMEONE_ELSE = 1, 2


@dataclass
class FakeCase:
    state: str
    reference: str = "CW-2026-0001"

    def member(self, user_id):
        return object()  # everyone in the matrix is on the team


@dataclass
class FakeRequest:
    target: str
    requested_by_id: int
    decision: str = "pending"


@dataclass
class FakeActor:
    id: int
    roles: tuple


@dataclass
class FakeMove:
    case: FakeCase
    actor: FakeActor
    pending: FakeRequest | None
    target: str | None
    reason: str = "a reason"
    reason_for: str = "request is rejected"
    when: str = "now"
    session: object = None
    checklist: object = None
    reasons: list = field(default_factory=list)
    made: list = field(default_factory=list)

    def allowed(self, action):
        return allowed(self.actor, action, self.case)

    def enter(self, source, dest):
        self.made.append(("enter", source, dest))

    def record(self, trigger, source, dest):
        self.made.append(("record", trigger, source, dest))


def fake_checklist(met: bool):
    def checklist(_session, case, target):
        items = tuple(gates.CheckItem(r.code, r.sentence, met, "detail")
                      for r in pathway.REQUIREMENTS[(case.state, target)])
        return gates.Checklist(case.state, target, items)
    return checklist


def expected(stage, trigger, target, role, review, requester, met) -> set[str]:
    """The reason codes DESIGN §2 gives for refusing this cell (empty: the move is made)."""
    is_gate = stage in GATES and target in GATES[stage]
    reasons = set()
    if trigger == "request_gate":
        if not is_gate:
            return {"no_such_move"}
        if role not in WORKING:
            reasons.add("may_act")
        if review:
            reasons.add("under_review")
        if not met:
            reasons |= {r.code for r in pathway.REQUIREMENTS[(stage, target)]}
    elif trigger == "approve_gate":
        if not is_gate:
            return {"no_such_move"}
        if role != "supervisor":
            reasons.add("may_act")
        if not review:
            reasons.add("not_under_review")
        elif requester:
            reasons.add("four_eyes")
        if not met:
            reasons |= {r.code for r in pathway.REQUIREMENTS[(stage, target)]}
    elif trigger == "reject_gate":
        if stage == CLOSED:
            return {"no_such_move"}
        if role != "supervisor":
            reasons.add("may_act")
        if not review:
            reasons.add("not_under_review")
        elif requester:
            reasons.add("four_eyes")
    elif trigger == "withdraw_gate":
        if stage == CLOSED:
            return {"no_such_move"}
        if not review:
            reasons.add("not_under_review")
        elif not requester:
            reasons.add("not_requester")
    elif trigger == "reopen":
        if target not in reopen_targets(stage):
            return {"no_such_move"}
        if role != "supervisor":
            reasons.add("may_act")
        if review:
            reasons.add("under_review")
    return reasons


def targets_for(trigger):
    return (None,) if trigger in ("reject_gate", "withdraw_gate") else STAGES


@pytest.mark.parametrize("trigger", TRIGGERS)
@pytest.mark.parametrize("stage", STAGES)
def test_every_cell_of_the_machine(monkeypatch, stage, trigger):
    cells = 0
    monkeypatch.setattr(pathway, "closing_risks", lambda session, case: [])
    for met in (True, False):
        monkeypatch.setattr(pathway, "checklist", fake_checklist(met))
        for target in targets_for(trigger):
            for role in ROLES:
                for review in (False, True):
                    for requester in (False, True):
                        case = FakeCase(stage)
                        pending = (FakeRequest(target or "investigation",
                                               ME if requester else SOMEONE_ELSE) if review else None)
                        move = FakeMove(case, FakeActor(ME, (role,)), pending, target)
                        want = expected(stage, trigger, target, role, review, requester, met)
                        cell = (stage, trigger, target, role, review, requester, met)
                        if not want:
                            pathway.fire(case, trigger, move)
                            dest = target if trigger in ("approve_gate", "reopen") else stage
                            assert case.state == dest, cell
                            assert move.made[-1] == ("record", trigger, stage, dest), cell
                            assert (("enter", stage, dest) in move.made) == (dest != stage), cell
                        else:
                            with pytest.raises(WorkflowError) as refused:
                                pathway.fire(case, trigger, move)
                            assert {r.code for r in refused.value.reasons} == want, cell
                            assert case.state == stage and not move.made, cell
                            for reason in refused.value.reasons:
                                assert reason.sentence in str(refused.value), cell
                        cells += 1
    assert cells == 2 * len(targets_for(trigger)) * len(ROLES) * 4


def test_a_refusal_carries_every_reason_and_takes_the_gravest_kind(monkeypatch):
    monkeypatch.setattr(pathway, "checklist", fake_checklist(False))
    case = FakeCase("reported")
    move = FakeMove(case, FakeActor(ME, ("auditor",)), FakeRequest("investigation", ME),
                    "investigation")
    with pytest.raises(Forbidden) as refused:
        pathway.fire(case, "request_gate", move)
    codes = [r.code for r in refused.value.reasons]
    assert codes[:2] == ["may_act", "under_review"]
    assert set(codes[2:]) == {r.code for r in pathway.REQUIREMENTS[("reported", "investigation")]}
    assert "Requesting a gate needs" in str(refused.value)
    assert "already under review" in str(refused.value)
    # Only unmet requirements: the refusal is the gate's, with its checklist.
    move = FakeMove(case, FakeActor(ME, ("investigator",)), None, "investigation")
    with pytest.raises(GateUnmet) as unmet:
        pathway.fire(case, "request_gate", move)
    assert unmet.value.checklist is move.checklist
    # A reason missing: the field is named.
    move = FakeMove(FakeCase("attribution"), FakeActor(ME, ("supervisor",)),
                    FakeRequest("closed", SOMEONE_ELSE), None, reason="")
    with pytest.raises(Invalid) as invalid:
        pathway.fire(move.case, "reject_gate", move)
    assert invalid.value.field == "reason"
    # Under review and four-eyes together: a conflict and a refusal, the gravest raised.
    move = FakeMove(FakeCase("attribution"), FakeActor(ME, ("analyst",)), None, None)
    with pytest.raises(Conflict):
        pathway.fire(move.case, "withdraw_gate", move)


def test_everything_is_derived_from_the_declaration():
    declared = pathway.PATHWAY
    assert STAGES == tuple(stage.name for stage in declared.stages)
    assert {(s, t) for s, targets in GATES.items() for t in targets} == {g.key for g in declared.gates}
    assert set(pathway.REQUIREMENTS) == {g.key for g in declared.gates}
    assert all(pathway.REQUIREMENTS[g.key] for g in declared.gates)
    assert pathway.CLOSING_OUTCOMES == {g.source: g.closes_with for g in declared.gates if g.closes_with}
    assert pathway.RECOMMENDED_TARGET == {"close": "closed", "escalate": "legal_consequence",
                                          "continue": "implementation"}
    approve = {(t["source"], t["dest"]) for t in pathway.TRANSITIONS if t["trigger"] == "approve_gate"}
    assert approve == {g.key for g in declared.gates}
    from workflow import diagram, evaluations, tasks
    assert tasks.TEMPLATES is pathway.TEMPLATES and evaluations.RECOMMENDED_TARGET is pathway.RECOMMENDED_TARGET
    for gate in declared.gates:
        assert gate.tasks_on_entry == pathway.TEMPLATES.get(gate.target, ())
        assert f"{gate.source} --> {gate.target}" in diagram.mermaid_source()


def test_a_gate_without_requirements_is_refused_at_declaration():
    stages = pathway.PATHWAY.stages
    gates_ = list(pathway.PATHWAY.gates)
    broken = gates_[:1] + [Gate("investigation", "attribution", (), requested_by="investigator")] + gates_[2:]
    with pytest.raises(pathway.DeclarationError, match="investigation → attribution: declares no requirements"):
        pathway.declare(stages, broken)
    # A stage with no gate out of it (an edge nobody declared) is refused as well.
    with pytest.raises(pathway.DeclarationError, match="no gate leads out"):
        pathway.declare(stages, [g for g in gates_ if g.source != "implementation"])
    with pytest.raises(pathway.DeclarationError, match="declared twice"):
        pathway.declare(stages, gates_ + gates_[:1])
    with pytest.raises(pathway.DeclarationError, match="names the outcome"):
        pathway.declare(stages, [Gate(g.source, g.target, g.requirements, g.requested_by)
                                 for g in gates_])
    with pytest.raises(pathway.DeclarationError, match="the outcome dismissed has no name"):
        pathway.declare(stages, [replace(g, closes_with="dismissed") if g.closes_with else g
                                 for g in gates_])
    with pytest.raises(pathway.DeclarationError, match="not between declared stages"):
        pathway.declare(stages + (Stage("limbo"),), gates_ + [Gate("limbo", "nowhere", gates_[0].requirements, "analyst")])


def test_a_stage_task_keeps_its_template_sentence_through_its_row():
    """A task's row keeps the template's English words; they come back as the template's sentence
    (a page says it in its reader's language); words people wrote come back as they are."""
    from workflow.words import Text
    template = pathway.TEMPLATES["investigation"][1]
    title, description = pathway.task_words(str(template.title)), pathway.task_words(str(template.description))
    assert isinstance(title, Text) and title.message == "Collect and seal samples"
    assert isinstance(description, Text) and description == template.description
    assert type(pathway.task_words("Call the embassy")) is str
    assert pathway.task_words("") == "" and pathway.task_words(None) is None


def test_the_module_refuses_at_import_a_gate_without_requirements(tmp_path):
    """Importing a declaration with a bare gate fails: the module's own `declare` runs at import."""
    import subprocess
    import sys
    from pathlib import Path
    source = Path(pathway.__file__).read_text()
    broken = source.replace("Gate(IMPLEMENTATION, EVALUATION, (gates.MILESTONES_KEPT, *_WORK),",
                            "Gate(IMPLEMENTATION, EVALUATION, (),")
    assert broken != source
    (tmp_path / "broken_pathway.py").write_text(broken)
    root = Path(pathway.__file__).resolve().parents[1]
    result = subprocess.run([sys.executable, "-c", "import broken_pathway"], capture_output=True,
                            text=True, cwd=tmp_path, env={"PYTHONPATH": f"{tmp_path}:{root}"})
    assert result.returncode != 0
    assert "DeclarationError: gate implementation → evaluation: declares no requirements" in result.stderr
