"""The accountability pathway, declared once as data, and the one machine that drives it.

The machine moves `case.state` between stages. "Under review" is not a stage: it is a
case with a pending gate request, which the database allows at most once per case.
"""
from __future__ import annotations

from transitions import Machine
from transitions.core import MachineError

from models.case import STATE_WRITES, state_write_allowed  # noqa: F401 (re-exported)
from vocabulary import (ATTRIBUTION, CLOSED, EVALUATION, IMPLEMENTATION, INVESTIGATION,
                        LEGAL_CONSEQUENCE, REPORTED, STAGES)

LABELS = {stage: stage.replace("_", " ").capitalize() for stage in STAGES}

#: Every gate: from a stage to the targets it may lead to (DESIGN §2).
GATES: dict[str, tuple[str, ...]] = {
    REPORTED: (INVESTIGATION,),
    INVESTIGATION: (ATTRIBUTION, CLOSED),
    ATTRIBUTION: (LEGAL_CONSEQUENCE, CLOSED),
    LEGAL_CONSEQUENCE: (IMPLEMENTATION,),
    IMPLEMENTATION: (EVALUATION,),
    EVALUATION: (CLOSED, LEGAL_CONSEQUENCE, IMPLEMENTATION),
}

#: The outcome a case closes with, by the stage it closes from.
CLOSING_OUTCOMES = {
    INVESTIGATION: "unfounded",
    ATTRIBUTION: "unattributed",
    EVALUATION: "evaluated",
}

def reopen_targets(stage: str) -> tuple[str, ...]:
    """The earlier stages a case may be reopened to (never back to reported)."""
    return STAGES[1:STAGES.index(stage)]


def _target_is(event) -> bool:
    return event.kwargs.get("target") == event.transition.dest


def _requirements_met(event) -> bool:
    return event.kwargs["checklist"].all_met


def _review_open(event) -> bool:
    return event.kwargs["pending"] is not None


def _review_free(event) -> bool:
    return event.kwargs["pending"] is None


def _run_callback(event) -> None:
    """The service passes what to record; the machine calls it once the move is made."""
    event.kwargs["record"](event.transition.source, event.state.name)


def _declaration() -> list[dict]:
    after = [_run_callback]
    open_stages = [stage for stage in STAGES if stage != CLOSED]
    transitions = [
        dict(trigger="request_gate", source=open_stages, dest=None,
             conditions=[_review_free, _requirements_met], after=after),
        dict(trigger="reject_gate", source=open_stages, dest=None, conditions=[_review_open],
             after=after),
        dict(trigger="withdraw_gate", source=open_stages, dest=None, conditions=[_review_open],
             after=after),
    ]
    transitions += [dict(trigger="approve_gate", source=source, dest=target,
                         conditions=[_review_open, _target_is, _requirements_met], after=after)
                    for source, targets in GATES.items() for target in targets]
    transitions += [dict(trigger="reopen", source=source, dest=target,
                         conditions=[_review_free, _target_is], after=after)
                    for source in STAGES for target in reopen_targets(source)]
    # A documented incident imported with its history starts at the stage its record supports.
    transitions += [dict(trigger="import_history", source=REPORTED, dest=target,
                         conditions=[_target_is], after=after) for target in STAGES[1:]]
    return transitions


TRANSITIONS = _declaration()
TRIGGERS = ("request_gate", "approve_gate", "reject_gate", "withdraw_gate", "reopen")
#: Not a user's command: only the importer fires it, on a case it has just opened.
IMPORT_TRIGGER = "import_history"

#: The one machine, shared by every case (pytransitions #146: model=None, fire on the row).
MACHINE = Machine(model=None, states=list(STAGES), initial=REPORTED, transitions=TRANSITIONS,
                  auto_transitions=False, send_event=True)

_firing = STATE_WRITES


def fire(case, trigger: str, **kwargs) -> bool:
    """Fire `trigger` on a loaded case; False if the machine refuses."""
    token = _firing.set(True)
    try:
        return MACHINE.events[trigger].trigger(case, **kwargs)
    except MachineError:  # the trigger does not apply to this stage at all
        return False
    finally:
        _firing.reset(token)
