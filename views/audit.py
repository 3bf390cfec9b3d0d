"""The auditor's workspace: the log with filters and keyset pages, verification, exports."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from flask import (Blueprint, Response, abort, current_app, flash, redirect, render_template,
                   request, url_for)
from flask_login import current_user

from views import db
from views.access import current_actor
from workflow import audit, audit_log, checkpoints, permissions
from workflow.errors import Conflict
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


def _filters(args) -> audit_log.EventFilters:
    case = args.get("case", "")
    return audit_log.EventFilters(case_id=int(case) if case.isdigit() else None,
                                  actor=args.get("actor", ""), event_type=args.get("type", ""),
                                  since=_moment(args.get("from")), until=_moment(args.get("to")))


@blueprint.route("")
def index():
    """Events newest first, filtered; `before` pages back by seq."""
    before = request.args.get("before", "")
    session = db.session()
    events = audit_log.search(session, current_user, _filters(request.args),
                              int(before) if before.isdigit() else None)
    older = dict(request.args, before=events[-1].seq) if len(events) == audit_log.PAGE else None
    return render_template("audit/index.html", events=events, older=older,
                           last=audit_log.last_verification(session),
                           full_log=AUDITOR in current_user.roles)


@blueprint.route("/verify", methods=["POST"])
def verify():
    """Recompute the whole chain now and keep the result."""
    if AUDITOR not in current_user.roles:
        abort(403, description="Verifying the whole log needs the auditor role.")
    with db.database().sessions() as session:
        result = audit.verify_chain(session)
    with db.transaction() as write:
        audit_log.record_verification(write, current_actor(), result)
    flash(result.summary(), "success" if result.ok else "danger")
    return redirect(url_for("audit.index"))


@blueprint.route("/export", methods=["POST"])
def export():
    """Download the (filtered by case) log as JSONL or CSV, streamed; the export is audited."""
    fmt = request.form.get("format", "jsonl")
    if fmt not in ("jsonl", "csv"):
        abort(400, description="format: jsonl or csv")
    case = request.form.get("case", "")
    case_id = int(case) if case.isdigit() else None
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


def checkpoint_after_closing() -> None:
    """Sign the chain's head when a case has closed, if a signing key is configured."""
    path = current_app.config["AUDIT_SIGNING_KEY"]
    if not path:
        return
    try:
        key = checkpoints.load_private_key(Path(path).read_bytes())
        with db.transaction() as write:
            audit_log.make_checkpoint(write, key)
    except (OSError, ValueError, Conflict) as error:
        current_app.logger.error("no checkpoint after closing a case: %s", error)
