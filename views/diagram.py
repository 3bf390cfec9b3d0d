"""The workflow diagram page."""
from flask import Blueprint, render_template

from views.headers import allow_inline_styles

from workflow.diagram import mermaid_source
from workflow.pathway import GATES, REQUIREMENTS, LABELS, reopen_targets

blueprint = Blueprint("diagram", __name__)


@blueprint.route("/workflow")
def workflow():
    """The pathway's states and transitions, and every gate's requirements."""
    allow_inline_styles()  # Mermaid styles the SVG it draws inline
    return render_template("workflow/diagram.html", source=mermaid_source(), gates=GATES,
                           requirements=REQUIREMENTS, labels=LABELS, reopen_targets=reopen_targets)
