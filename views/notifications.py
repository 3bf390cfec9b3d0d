"""My notifications: the inbox, opening one (it is then read), marking read, email choices.

Part of My account (/account/notifications): one's own notifications, for every signed-in
user. A notification about a case its reader may no longer see says no more than that.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from models.case import Case
from models.gate_request import GateRequest
from models.response import Milestone
from models.task import Task
from views import db
from views.bounds import MAX_INT
from views.access import current_actor
from views.commands import run
from views.forms import ConfirmForm, EmailKindsForm
from views.language import speaking, translated
from workflow import notifications, paging, permissions, queries
from workflow.errors import NotFound
from workflow.words import Text

blueprint = Blueprint("notifications", __name__, url_prefix="/notifications")
PAGE = 50


def email_words(text: Text, locale: str | None) -> str:
    """An email's words in its recipient's language (None: English), for the mail worker,
    which runs in the application's context but outside any request (`outbox.send_due`'s `say`)."""
    with speaking(locale or "en"):
        return str(translated(text))


@blueprint.app_context_processor
def unread_notifications():
    """The unread count shown in the navigation of every page."""
    if not current_user.is_authenticated:
        return {}
    counts = queries.navigation_counts(db.session(), current_user)  # read once with the others
    return {"unread_notifications": counts["unread"]}


def _visible_cases(session, items) -> dict[int, Case]:
    """The cases of the notifications that the reader may still see, by id."""
    ids = {item.case_id for item in items}
    found = session.scalars(select(Case).where(Case.id.in_(ids))).all() if ids else []
    return {case.id: case for case in found if permissions.can_see(current_user, case)}


def _tasks(session, items) -> dict[int, Task]:
    """The tasks the notifications are about, by id (their titles are read at the time)."""
    ids = {int(item.entity_id) for item in items if item.entity_type == "task"}
    if not ids:
        return {}
    return {task.id: task for task in session.scalars(select(Task).where(Task.id.in_(ids)))}


def _decided_requests(session, items) -> dict[int, GateRequest]:
    """The gate requests the notifications ask a decision on that are decided (or withdrawn)
    since, by id: the inbox says so, rather than send a second supervisor to decide them."""
    ids = {int(item.entity_id) for item in items
           if item.kind == "gate_requested" and item.entity_type == "gate_request"}
    if not ids:
        return {}
    return {r.id: r for r in session.scalars(select(GateRequest).where(
        GateRequest.id.in_(ids), GateRequest.decision != "pending"))}


@blueprint.route("")
def index():
    """My notifications, newest first, unread ones marked."""
    session = db.session()
    before = request.args.get("before", type=int)
    if before is not None and before > MAX_INT:  # older than any id there can be: from the newest
        before = None
    after = request.args.get("after", type=int) if before is None else None
    items, steps = paging.newest_first(
        notifications.inbox(session, current_user.id, limit=PAGE + 1, before=before, after=after),
        lambda item: item.id, PAGE, before, after)
    return render_template("notifications/index.html", items=items, steps=steps,
                           cases=_visible_cases(session, items), tasks=_tasks(session, items),
                           decided=_decided_requests(session, items),
                           form=ConfirmForm(formdata=None))


def _target(session, item, case: Case) -> str:
    """Where a notification leads: the place on the case's pages of what it tells of."""
    details = item.details_dict
    if item.kind == "mentioned":
        anchor = f"comment-{item.entity_id}"
        if details["subject"] == "evidence":
            return url_for("evidence.detail", case_id=case.id, evidence_id=details["subject_id"],
                           _anchor=anchor)
        if details["subject"] == "response":
            return url_for("menu.response", case_id=case.id, response_id=details["subject_id"],
                           _anchor=anchor)
        return url_for("cases.detail", case_id=case.id, _anchor=anchor)
    if item.kind == "milestone_overdue":
        milestone = session.get(Milestone, int(item.entity_id))
        if milestone is not None:
            return url_for("menu.response", case_id=case.id, response_id=milestone.response_id)
    anchors = {"gate_decided": "decisions", "task_assigned": "tasks", "task_queued": "tasks",
               "task_overdue": "tasks"}
    return url_for("cases.detail", case_id=case.id, _anchor=anchors.get(item.kind))


@blueprint.route("/<int:notification_id>")
def follow(notification_id: int):
    """Open a notification: it is read, and leads to what it tells of."""
    try:
        with db.transaction() as write:
            item = notifications.mark_read(write, current_user.id, notification_id)
    except NotFound as error:
        abort(404, description=translated(error.args[0]))
    session = db.session()
    case = _visible_cases(session, [item]).get(item.case_id)
    if case is None:
        flash(_("That notification is about a case you can no longer see."), "info")
        return redirect(url_for(".index"))
    return redirect(_target(session, item, case))


@blueprint.route("/<int:notification_id>/read", methods=["POST"])
def mark_read(notification_id: int):
    """Mark one notification read."""
    outcome = run(ConfirmForm(), lambda write: notifications.mark_read(
        write, current_user.id, notification_id))
    return outcome.page if outcome.refused else redirect(url_for(".index"))


@blueprint.route("/read", methods=["POST"])
def mark_all_read():
    """Mark every notification of mine read."""
    outcome = run(ConfirmForm(), lambda write: notifications.mark_all_read(write, current_user.id))
    if outcome.refused:
        return outcome.page
    flash(_("All notifications marked read."), "info")
    return redirect(url_for(".index"))


@blueprint.route("/email", methods=["POST"])
def email_kinds():
    """Choose which kinds of notification I am emailed about."""
    form = EmailKindsForm()
    outcome = run(form, lambda write: notifications.set_email_kinds(
        write, current_actor(), form.kinds.data or []))
    if outcome.refused:
        return outcome.page
    flash(_("Email choices saved."), "success")
    return redirect(url_for("account.index", _anchor="notifications"))
