"""The pathway drawn from its own declaration (transitions' diagram support, mermaid engine)."""
from __future__ import annotations

from functools import cache

from transitions.extensions.diagrams import GraphMachine

from workflow.pathway import REPORTED, STAGES, TRANSITIONS


class _Drawing:
    state = REPORTED


#: Drawn: the moves between stages. Left out: the review steps that keep the stage
#: (request, reject, withdraw) and the reopen edges back to every earlier stage, which
#: the page states in words; drawn, they hide the pathway.
DRAWN_TRIGGERS = ("approve_gate",)


@cache
def mermaid_source(current: str = REPORTED) -> str:
    """Mermaid text of the state diagram, with `current` highlighted."""
    machine = GraphMachine(
        model=None, states=list(STAGES), initial=REPORTED, auto_transitions=False,
        transitions=[{key: t[key] for key in ("trigger", "source", "dest")}
                     for t in TRANSITIONS if t["trigger"] in DRAWN_TRIGGERS],
        graph_engine="mermaid", title="Accountability pathway")
    drawing = _Drawing()
    drawing.state = current
    machine.add_model(drawing)
    return drawing.get_graph().draw(None)
