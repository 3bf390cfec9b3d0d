"""The case dossier as a printable page, a PDF with its proofs attached, or a ZIP with the files."""
from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, render_template, request, send_file, url_for
from flask_login import current_user

from views import db
from views.access import current_actor
from workflow import dossier, permissions
from workflow.evidence_store import EvidenceStore
from workflow.pathway import LABELS

blueprint = Blueprint("dossier", __name__, url_prefix="/cases")


@blueprint.before_request
def only_case_roles():
    """Admins see no case content; everyone else is checked per case by the service."""
    if not permissions.can(current_user, permissions.VIEW_CASE):
        abort(403, description=permissions.needs(permissions.VIEW_CASE))


def stylesheet() -> Path:
    return Path(current_app.static_folder) / "dossier.css"


def render_html(document: dossier.Dossier, *, for_pdf: bool) -> str:
    """The dossier's HTML: with a link to its stylesheet and the download form on the web page,
    bare for the PDF (which is given the stylesheet and the fonts directly)."""
    return render_template("dossier/dossier.html", d=document, STAGE_LABELS=LABELS, toolbar=not for_pdf,
                           stylesheet_url=None if for_pdf else url_for("static", filename="dossier.css"))


def render_pdf(document: dossier.Dossier) -> bytes:
    return dossier.render_pdf(render_html(document, for_pdf=True), document, stylesheet())


def evidence_store() -> EvidenceStore:
    return EvidenceStore(current_app.config["EVIDENCE_DIR"])


@blueprint.route("/<int:case_id>/dossier")
def page(case_id: int):
    """The dossier as one printable page; producing it is an audit event."""
    actor = current_actor()
    with dossier.produced(db.database(), actor, case_id, fmt="html") as document:
        body = render_html(document, for_pdf=False).encode()
    with db.transaction() as write:
        dossier.record_seal(write, actor, case_id, document.production_seq, "html",
                            hashlib.sha256(body).hexdigest(), len(body))
    return Response(body, mimetype="text/html")


@blueprint.route("/<int:case_id>/dossier.pdf")
def download(case_id: int):
    """The dossier as PDF/A-3 with its proofs attached; with `files=1`, a ZIP adding the evidence files."""
    with_files = request.args.get("files") == "1"
    actor = current_actor()
    with dossier.produced(db.database(), actor, case_id, fmt="pdf", with_files=with_files,
                          max_rows=dossier.WEB_MAX_ROWS) as document:
        data = render_pdf(document)
        bundle = dossier.bundle_file(data, document, evidence_store()) if with_files else None
    digest = hashlib.sha256(data).hexdigest()
    if not with_files:
        with db.transaction() as write:
            dossier.record_seal(write, actor, case_id, document.production_seq, "pdf", digest, len(data))
        response = Response(data, mimetype="application/pdf", headers={
            "Content-Disposition": f"attachment; filename={document.file_name('pdf')}"})
        response.headers["X-Content-SHA256"] = digest
        return response
    bundle_digest, _ = dossier.file_digest(bundle)
    with db.transaction() as write:
        dossier.record_seal(write, actor, case_id, document.production_seq, "pdf", digest, len(data),
                            bundle_digest)
    response = send_file(bundle, mimetype="application/zip", as_attachment=True,
                         download_name=document.file_name("zip"), max_age=0)
    response.headers["X-Content-SHA256"] = bundle_digest
    return response
