"""An evidence file shown inside the evidence page, in a frame that runs nothing of its own."""
from __future__ import annotations

from flask import Blueprint, abort, send_file, url_for
from flask_babel import gettext as _

from views import db
from views.access import current_actor
from views.cases import load_case_for
from views.evidence import store
from views.headers import sandbox_this_response
from workflow import previews

blueprint = Blueprint("previews", __name__, url_prefix="/cases/<int:case_id>")


#: The types shown in a frame with the `sandbox` attribute. Chromium (and Firefox) show no PDF
#: in such a frame; a PDF's frame goes without it, and its response sandboxes itself
#: (SANDBOX_CSP: `sandbox`, no script), which their PDF viewers accept.
ATTRIBUTE_SANDBOXED = previews.PREVIEW_TYPES - {"application/pdf"}


@blueprint.app_context_processor
def preview_frames():
    return {"preview_of": preview_of}


def preview_of(item) -> dict | None:
    """The frame that shows an item's file in its page (its address, and whether it carries the
    `sandbox` attribute), or None when the file is only downloaded."""
    if not previews.previewable(item):
        return None
    return {"url": url_for("previews.show", case_id=item.case_id, evidence_id=item.id),
            "sandbox": item.stored.detected_type in ATTRIBUTE_SANDBOXED,
            "pdf": item.stored.detected_type == "application/pdf"}


@blueprint.route("/evidence/<int:evidence_id>/preview")
def show(case_id: int, evidence_id: int):
    """The item's stored bytes as the type they were detected to be, for the page's frame;
    every preview is an audit event."""
    load_case_for(case_id)
    with db.transaction() as write:
        item = previews.record_preview(write, current_actor(), case_id, evidence_id=evidence_id)
        sha256, detected = item.sha256, item.stored.detected_type
    path = store().path(sha256)
    if not path.exists():
        abort(404, description=_("The stored file is missing; run the fixity check."))
    sandbox_this_response()
    # No ranges: a viewer that fetched the file in pieces would write an audit event for each.
    response = send_file(path, mimetype=detected, conditional=False, max_age=0)
    response.headers["Content-Disposition"] = "inline"
    response.headers["X-Content-SHA256"] = sha256
    return response
