"""The stages of the pathway by name, and who may write a case's state: the names come from the
vocabulary and the guard from the case model, so `workflow.pathway` can declare the gates between them."""
from __future__ import annotations

from models.case import STATE_WRITES as firing  # noqa: F401 (re-exported)
from models.case import state_write_allowed  # noqa: F401 (re-exported)
from vocabulary import (  # noqa: F401 (re-exported)
    ATTRIBUTION,
    CLOSED,
    EVALUATION,
    IMPLEMENTATION,
    INVESTIGATION,
    LEGAL_CONSEQUENCE,
    REPORTED,
    STAGES,
)

#: The stages in which responses are chosen from the accountability menu.
RESPONSE_STAGES = (LEGAL_CONSEQUENCE, IMPLEMENTATION, EVALUATION)


def reopen_targets(stage: str) -> tuple[str, ...]:
    """The earlier stages a case may be reopened to (never back to reported)."""
    return STAGES[1:STAGES.index(stage)]
