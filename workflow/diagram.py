"""The pathway drawn from its own declaration (transitions' diagram support, mermaid engine)."""
from __future__ import annotations

from functools import cache

from transitions.extensions.diagrams import GraphMachine

from workflow.pathway import STAGES, TRANSITIONS, REPORTED


class _Drawing:
    state = REPORTED


@cache
def mermaid_source(current: str = REPORTED) -> str:
    """Mermaid text of the state diagram, with `current` highlighted."""
    machine = GraphMachine(
        model=None, states=list(STAGES), initial=REPORTED, auto_transitions=False,
        transitions=[{key: t[key] for key in ("trigger", "source", "dest")} for t in TRANSITIONS],
        graph_engine="mermaid", title="Accountability pathway")
    drawing = _Drawing()
    drawing.state = current
    machine.add_model(drawing)
    return drawing.get_graph().draw(None)
