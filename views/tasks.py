"""Tasks: the inbox and queues, and the commands on a task."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from views import db
from views.access import current_actor
from views.cases import load_case_for, refused_page
from workflow import permissions, queries, tasks
from workflow.errors import Invalid
from workflow import clock

blueprint = Blueprint("tasks", __name__)


@blueprint.app_context_processor
def navigation_counts():
    """Counts for the navigation bar of signed-in users who work on cases."""
    if not current_user.is_authenticated or not permissions.can(current_user, permissions.VIEW_CASE):
        return {"nav_counts": {}}
    return {"nav_counts": queries.navigation_counts(db.session(), current_user)}


@blueprint.route("/tasks")
def inbox():
    """My tasks (overdue first) and the queues of my roles."""
    if not permissions.can(current_user, permissions.VIEW_CASE):
        abort(403, description=permissions.needs(permissions.VIEW_CASE))
    session = db.session()
    return render_template("tasks/inbox.html", mine=queries.my_tasks(session, current_user),
                           queues=queries.my_queues(session, current_user), today=clock.today())


def _back(case_id: int):
    """Back to where the button was: the inbox, or the case's task list."""
    if request.form.get("back") == "inbox":
        return redirect(url_for("tasks.inbox"))
    return redirect(url_for("cases.detail", case_id=case_id, _anchor="tasks"))


def _run(case_id: int, command, done: str, action: str = permissions.WORK_TASK):
    load_case_for(case_id, action)
    try:
        with db.transaction() as write:
            command(write)
    except Invalid as refused:
        return refused_page(case_id, refused)
    flash(done, "success")
    return _back(case_id)


@blueprint.route("/cases/<int:case_id>/tasks/<int:task_id>/claim", methods=["POST"])
def claim(case_id: int, task_id: int):
    """Take a task from a queue."""
    return _run(case_id, lambda w: tasks.claim(w, current_actor(), task_id, case_id=case_id), "Task claimed.")


@blueprint.route("/cases/<int:case_id>/tasks/<int:task_id>/unclaim", methods=["POST"])
def unclaim(case_id: int, task_id: int):
    """Put a task back in its queue."""
    return _run(case_id, lambda w: tasks.unclaim(w, current_actor(), task_id, case_id=case_id),
                "Task back in its queue.")


@blueprint.route("/cases/<int:case_id>/tasks/<int:task_id>/complete", methods=["POST"])
def complete(case_id: int, task_id: int):
    """Complete a task with a note."""
    return _run(case_id, lambda w: tasks.complete(w, current_actor(), task_id, note=request.form.get("note", ""), case_id=case_id), "Task done.")


@blueprint.route("/cases/<int:case_id>/tasks/<int:task_id>/cancel", methods=["POST"])
def cancel(case_id: int, task_id: int):
    """Cancel a task, with a reason (supervisors)."""
    return _run(case_id, lambda w: tasks.cancel(w, current_actor(), task_id, reason=request.form.get("reason", ""), case_id=case_id),
                "Task cancelled.", permissions.MANAGE_TEAM)


@blueprint.route("/cases/<int:case_id>/tasks/<int:task_id>/assign", methods=["POST"])
def assign(case_id: int, task_id: int):
    """Give a task to someone on the team (supervisors)."""
    load_case_for(case_id, permissions.MANAGE_TEAM)
    user_id = request.form.get("user_id", "")
    if not user_id.isdigit():
        return refused_page(case_id, Invalid("assignee: choose someone", "user_id"))
    return _run(case_id, lambda w: tasks.assign(w, current_actor(), task_id, user_id=int(user_id), case_id=case_id),
                "Task assigned.", permissions.MANAGE_TEAM)


@blueprint.route("/cases/<int:case_id>/tasks", methods=["POST"])
def add(case_id: int):
    """Add a task to the case's current stage (supervisors)."""
    form = request.form
    return _run(case_id, lambda w: tasks.add_task(w, current_actor(), case_id, title=form.get("title", ""), role=form.get("role", ""), required=form.get("required") == "y", due_on=_date(form.get("due_on")), description=form.get("description", "")), "Task added.",
        permissions.MANAGE_TEAM)


def _date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Invalid("due on: not a date (YYYY-MM-DD)", "due_on") from None
