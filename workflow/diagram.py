"""The pathway drawn from its own declaration (transitions' diagram support, mermaid engine)."""
from __future__ import annotations

import copy
from functools import cache

from transitions.extensions.diagrams import GraphMachine

from workflow.pathway import LABELS, PATHWAY, REPORTED, STAGES


class _LabelledState(GraphMachine.state_cls):
    """A stage drawn with its name for people (the diagram reads a state's `label`)."""

    def __init__(self, *args, label: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.label = label


class _Machine(GraphMachine):
    state_cls = _LabelledState
    style_attributes = copy.deepcopy(GraphMachine.style_attributes)
    style_attributes["node"]["active"] = {"color": "white", "fillcolor": "#0d6efd", "peripheries": "2"}


class _Drawing:
    state = REPORTED


def _gate_label(gate) -> str:
    """What a drawn move says: the outcome a closing gate gives, the recommendation an
    evaluation gate answers, else that it is a gate."""
    if gate.closes_with:
        return f"closes as {gate.closes_with.replace('_', ' ')}"
    if gate.recommendation:
        return gate.recommendation
    return "gate"


@cache
def mermaid_source(current: str | None = None) -> str:
    """Mermaid text of the pathway, top to bottom, with the stage `current` (if any) marked.

    Drawn: the moves between stages, each an approved gate. Left out: the review steps that
    keep the stage (request, reject, withdraw) and the reopen edges back to every earlier
    stage, which the page states in words; drawn, they hide the pathway."""
    machine = _Machine(
        model=None, states=[{"name": stage, "label": LABELS[stage]} for stage in STAGES],
        initial=REPORTED, auto_transitions=False,
        transitions=[{"trigger": f"gate_{gate.source}_{gate.target}", "source": gate.source,
                      "dest": gate.target, "label": _gate_label(gate)} for gate in PATHWAY.gates],
        graph_engine="mermaid", title="Accountability pathway")
    drawing = _Drawing()
    machine.add_model(drawing)
    graph = machine.model_graphs[id(drawing)]
    graph.reset_styling()
    if current is not None:
        graph.set_node_style(current, "active")
    return drawing.get_graph().draw(None).replace("direction LR", "direction TB")
