"""The pathway drawn from its own declaration (transitions' diagram support, mermaid engine)."""
from __future__ import annotations

import copy
from collections.abc import Callable
from functools import cache

from transitions.extensions.diagrams import GraphMachine

from workflow.pathway import LABELS, PATHWAY, REPORTED, STAGES
from workflow.words import Text, _, inline


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


def _gate_label(gate) -> Text:
    """What a drawn move says: the outcome a closing gate gives, the recommendation an
    evaluation gate answers, else that it is a gate."""
    if gate.closes_with:
        return _("closes as %(outcome)s", outcome=inline(gate.closes_with))
    if gate.recommendation:
        return inline(gate.recommendation)
    return _("gate")


#: What the drawing says: its title, the stages' names and the gates' labels (in English; a page
#: says them in its reader's language).
_TITLE = _("Accountability pathway")
_GATE_LABELS = tuple(_gate_label(gate) for gate in PATHWAY.gates)


def mermaid_source(current: str | None = None, say: Callable[[Text], str] = str) -> str:
    """Mermaid text of the pathway, top to bottom, with the stage `current` (if any) marked;
    its words said by `say` (a page passes its reader's language)."""
    return _drawn(current, say(_TITLE), tuple(say(LABELS[stage]) for stage in STAGES),
                  tuple(say(label) for label in _GATE_LABELS))


def _mermaid(text: str) -> str:
    """Words as mermaid reads them inside a label: no quotes or line ends of their own."""
    return " ".join(text.replace('"', "'").split())


@cache
def _drawn(current: str | None, title: str, stage_labels: tuple[str, ...],
           gate_labels: tuple[str, ...]) -> str:
    """Mermaid text of the pathway, top to bottom, with the stage `current` (if any) marked.

    Drawn: the moves between stages, each an approved gate. Left out: the review steps that
    keep the stage (request, reject, withdraw) and the reopen edges back to every earlier
    stage, which the page states in words; drawn, they hide the pathway."""
    machine = _Machine(
        model=None, states=[{"name": stage, "label": _mermaid(label)}
                             for stage, label in zip(STAGES, stage_labels, strict=True)],
        initial=REPORTED, auto_transitions=False,
        transitions=[{"trigger": f"gate_{gate.source}_{gate.target}", "source": gate.source,
                      "dest": gate.target, "label": _mermaid(label)}
                     for gate, label in zip(PATHWAY.gates, gate_labels, strict=True)],
        graph_engine="mermaid", title=_mermaid(title))
    drawing = _Drawing()
    machine.add_model(drawing)
    graph = machine.model_graphs[id(drawing)]
    graph.reset_styling()
    if current is not None:
        graph.set_node_style(current, "active")
    return drawing.get_graph().draw(None).replace("direction LR", "direction TB")
