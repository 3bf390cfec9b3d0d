"""The auditor's workspace: the log with filters and keyset pages, verification, exports."""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from views import db
from views.access import current_actor
from views.forms import AuditExportForm, ConfirmForm
from workflow import audit_log, audit_verification, permissions, transparency
from workflow.roles import AUDITOR

blueprint = Blueprint("audit", __name__, url_prefix="/audit")


@blueprint.before_request
def only_readers():
    """Auditors, and supervisors for the cases they may see."""
    if not permissions.can(current_user, permissions.READ_AUDIT):
        abort(403, description=permissions.needs(permissions.READ_AUDIT))


def _moment(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        abort(400, description=f"Not a date or time: {value!r} (use YYYY-MM-DD or YYYY-MM-DDTHH:MM).")


def _number(value: str) -> int | None:
    """A whole-number parameter, already bounded by `views.bounds`; None when empty."""
    return int(value) if value else None


def _filters(args) -> audit_log.EventFilters:
    return audit_log.EventFilters(case_id=_number(args.get("case", "")),
                                  actor=args.get("actor", ""), event_type=args.get("type", ""),
                                  since=_moment(args.get("from")), until=_moment(args.get("to")))


@blueprint.route("")
def index():
    """Events newest first, filtered; `before` pages back by seq."""
    session = db.session()
    events = audit_log.search(session, current_user, _filters(request.args),
                              _number(request.args.get("before", "")))
    older = dict(request.args, before=events[-1].seq) if len(events) == audit_log.PAGE else None
    checkpoint = transparency.latest_checkpoint(session)
    return render_template("audit/index.html", events=events, older=older,
                           last=audit_log.last_verification(session), checkpoint=checkpoint,
                           cosignatures=transparency.cosignatures(session, [checkpoint.id]).get(
                               checkpoint.id, []) if checkpoint else [],
                           witnessed=transparency.latest_witnessed(session),
                           size=transparency.tree_size(session),
                           full_log=AUDITOR in current_user.roles,
                           verify_form=ConfirmForm(formdata=None),
                           export_form=AuditExportForm(formdata=None))


@blueprint.route("/verify", methods=["POST"])
def verify():
    """Recompute the whole log now, check its checkpoints and cosignatures, and keep the result."""
    if AUDITOR not in current_user.roles:
        abort(403, description="Verifying the whole log needs the auditor role.")
    if not ConfirmForm().validate_on_submit():
        abort(400, description="The verification form was not complete.")
    with db.database().sessions() as session:
        report = audit_verification.verify_log(session, db.database().info["log_keys"])
    with db.transaction() as write:
        audit_log.record_verification(write, current_actor(), report)
    flash(f"{report.summary()} {report.tail_in_words()}", "success" if report.ok else "danger")
    return redirect(url_for("audit.index", **request.args))


@blueprint.route("/export", methods=["POST"])
def export():
    """Download the (filtered by case) log as JSONL or CSV, streamed; the export is audited."""
    form = AuditExportForm()
    if not form.validate_on_submit():
        abort(400, description="format: jsonl or csv")
    fmt = form.format.data
    case_id = _number(form.case.data or "")
    with db.transaction() as write:
        audit_log.record_export(write, current_actor(), fmt, case_id, None, "download")
    session, reader = db.database().sessions(), current_actor()  # the response outlives the request

    def lines():
        try:
            yield from audit_log.export_lines(session, reader, fmt, case_id)
        finally:
            session.close()
    name = f"audit-{'case-' + str(case_id) if case_id else 'all'}.{fmt}"
    return Response(lines(), mimetype="text/csv" if fmt == "csv" else "application/x-ndjson",
                    headers={"Content-Disposition": f"attachment; filename={name}",
                             "X-Content-Type-Options": "nosniff"})
