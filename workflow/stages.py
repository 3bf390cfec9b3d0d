"""The stages of the pathway by name, and who may write a case's state: no imports, so the
models can read them while `workflow.pathway` declares the gates between them."""
from __future__ import annotations

from contextvars import ContextVar

REPORTED = "reported"
INVESTIGATION = "investigation"
ATTRIBUTION = "attribution"
LEGAL_CONSEQUENCE = "legal_consequence"
IMPLEMENTATION = "implementation"
EVALUATION = "evaluation"
CLOSED = "closed"

STAGES = (REPORTED, INVESTIGATION, ATTRIBUTION, LEGAL_CONSEQUENCE, IMPLEMENTATION, EVALUATION,
          CLOSED)

#: Set while the pathway machine fires: only then may a case's state change.
firing: ContextVar[bool] = ContextVar("pathway_firing", default=False)


def state_write_allowed() -> bool:
    """Whether the pathway machine is the one writing a case's state now."""
    return firing.get()


def reopen_targets(stage: str) -> tuple[str, ...]:
    """The earlier stages a case may be reopened to (never back to reported)."""
    return STAGES[1:STAGES.index(stage)]
