"""The auditor's workspace: the log with filters and keyset pages, verification, exports."""
from __future__ import annotations

import re
from datetime import datetime, time, timedelta

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from views import db
from views.access import current_actor
from views.commands import beside, sentence
from views.forms import AuditExportForm, AuditFilterForm, ConfirmForm
from views.language import translated
from workflow import audit_log, audit_verification, cases, paging, permissions, transparency
from workflow.errors import WorkflowError
from workflow.roles import AUDITOR

blueprint = Blueprint("audit", __name__, url_prefix="/audit")


@blueprint.before_request
def only_readers():
    """Auditors, and supervisors for the cases they may see."""
    if not permissions.can(current_user, permissions.READ_AUDIT):
        abort(403, description=permissions.needs(permissions.READ_AUDIT))


def _filters(session, form: AuditFilterForm) -> audit_log.EventFilters | None:
    """The events the form selects; None, with the errors beside their fields, if it cannot say."""
    types = sorted(audit_log.event_types(session), key=lambda pair: str(translated(pair[1])).casefold())
    form.type.choices = [SelectChoice("", _("Any event")), *(SelectChoice(code, name) for code, name in types)]
    if not form.validate():
        return None
    case_id = None
    if form.case.data:
        try:
            case_id = cases.by_reference(session, current_user, form.case.data).id
        except WorkflowError as refused:
            form.case.errors = [beside(sentence(refused), "case")]
            return None
    if form.since.data and form.until.data and form.until.data < form.since.data:
        form.until.errors = [_("before the day it starts from")]
        return None
    return audit_log.EventFilters(
        case_id=case_id, actor=form.actor.data or "", event_type=form.type.data or "",
        since=datetime.combine(form.since.data, time()) if form.since.data else None,
        until=datetime.combine(form.until.data + timedelta(days=1), time()) if form.until.data else None)


def export_name(filters: audit_log.EventFilters, reference: str | None, fmt: str) -> str:
    """The download's file name, saying what it holds: audit-CW-2026-0033-by-ivy-gate_approved-from-….jsonl."""
    parts = ["audit", reference or "all"]
    if filters.actor:
        parts += ["by", re.sub(r"[^A-Za-z0-9_.]", "_", filters.actor.strip().lower())]
    if filters.event_type:
        parts.append(re.sub(r"[^A-Za-z0-9_]", "_", filters.event_type))
    if filters.since:
        parts += ["from", filters.since.date().isoformat()]
    if filters.until:
        parts += ["to", (filters.until - timedelta(days=1)).date().isoformat()]
    return "-".join(parts) + f".{fmt}"


@blueprint.route("")
def index():
    """Events newest first, filtered; `before` pages back by seq."""
    session = db.session()
    form = AuditFilterForm(request.args)
    filters = _filters(session, form)
    before = request.args.get("before", None, type=int)
    after = request.args.get("after", None, type=int) if before is None else None
    events, steps = [], paging.Steps()
    if filters is not None:
        events, steps = paging.newest_first(
            audit_log.search(session, current_user, filters, before, audit_log.PAGE + 1, after),
            lambda event: event.seq, audit_log.PAGE, before, after)
    checkpoint = transparency.latest_checkpoint(session)
    return render_template("audit/index.html", form=form, filters=filters, events=events, steps=steps,
                           references=audit_log.references(session, (e.case_id for e in events)),
                           event_name=audit_log.event_name,
                           last=audit_log.last_verification(session), checkpoint=checkpoint,
                           cosignatures=transparency.cosignatures(session, [checkpoint.id]).get(
                               checkpoint.id, []) if checkpoint else [],
                           witnessed=transparency.latest_witnessed(session),
                           size=transparency.tree_size(session),
                           full_log=AUDITOR in current_user.roles,
                           verify_form=ConfirmForm(formdata=None),
                           export_form=AuditExportForm(formdata=None)), 200 if filters is not None else 400


@blueprint.route("/verify", methods=["POST"])
def verify():
    """Recompute the whole log now, check its checkpoints and cosignatures, and keep the result."""
    if AUDITOR not in current_user.roles:
        abort(403, description=_("Verifying the whole log needs the auditor role."))
    if not ConfirmForm().validate_on_submit():
        abort(400, description=_("The verification form was not complete."))
    with db.database().sessions() as session:
        report = audit_verification.verify_log(session, db.database().info["log_keys"])
    with db.transaction() as write:
        audit_log.record_verification(write, current_actor(), report)
    # The machine-readable line (as the command line prints it), then the sentence for people.
    flash(f"{report.summary()}. {translated(report.tail_in_words())}", "success" if report.ok else "danger")
    return redirect(url_for("audit.index", **request.args))


@blueprint.route("/export", methods=["POST"])
def export():
    """Download the events the viewer's filters select, as JSONL or CSV, streamed; the export is
    audited, with what it holds."""
    form = AuditExportForm()
    if not form.validate_on_submit():
        abort(400, description=_("format: jsonl or csv"))
    fmt = form.format.data
    filter_form = AuditFilterForm(request.form)
    filters = _filters(db.session(), filter_form)
    if filters is None:
        abort(400, description=" ".join(_("%(field)s: %(errors)s", field=translated(filter_form[name].label.text),
                                          errors="; ".join(translated(error) for error in errors))
                                        for name, errors in filter_form.errors.items()))
    reference = audit_log.references(db.session(), [filters.case_id]).get(filters.case_id)
    with db.transaction() as write:
        audit_log.record_export(write, current_actor(), fmt, filters.case_id, None, "download",
                                filters)
    session, reader = db.database().sessions(), current_actor()  # the response outlives the request

    def lines():
        try:
            yield from audit_log.export_lines(session, reader, fmt, filters=filters)
        finally:
            session.close()
    return Response(lines(), mimetype="text/csv" if fmt == "csv" else "application/x-ndjson",
                    headers={"Content-Disposition": "attachment; filename="
                                                    + export_name(filters, reference, fmt),
                             "X-Content-Type-Options": "nosniff"})
