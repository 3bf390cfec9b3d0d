"""The workflow diagram page."""
from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from views import db
from views.headers import allow_inline_styles
from views.language import translated
from workflow import cases, permissions
from workflow.diagram import mermaid_source
from workflow.errors import WorkflowError
from workflow.pathway import GATES, LABELS, REQUIREMENTS, reopen_targets

blueprint = Blueprint("diagram", __name__)


@blueprint.route("/workflow")
def workflow():
    """The pathway's stages and moves, and every gate's requirements; opened from a case
    (`?case=` its reference), with the stage the case stands in marked."""
    case = None
    if request.args.get("case"):
        if not permissions.can(current_user, permissions.VIEW_CASE):
            abort(404, description=_("No such case."))
        try:
            case = cases.by_reference(db.session(), current_user, request.args["case"])
        except WorkflowError as refused:
            abort(refused.status if refused.status == 404 else 400, description=translated(refused.args[0]))
    allow_inline_styles()  # Mermaid styles the SVG it draws inline
    return render_template("workflow/diagram.html", case=case,
                           source=mermaid_source(case.state if case else None, translated), gates=GATES,
                           requirements=REQUIREMENTS, labels=LABELS, reopen_targets=reopen_targets)
