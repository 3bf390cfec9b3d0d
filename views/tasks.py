"""Tasks: the inbox and queues, and the commands on a task."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from views import db
from views.access import current_actor
from views.cases import case_page, load_case_for
from views.commands import run
from views.task_forms import AddTaskForm, AssignTaskForm, CancelTaskForm, CompleteTaskForm, TaskForm, task_forms
from workflow import clock, permissions, queries, tasks

blueprint = Blueprint("tasks", __name__)


@blueprint.app_context_processor
def navigation_counts():
    """Counts for the navigation bar of signed-in users who work on cases."""
    if not current_user.is_authenticated or not permissions.can(current_user, permissions.VIEW_CASE):
        return {"nav_counts": {}}
    return {"nav_counts": queries.navigation_counts(db.session(), current_user)}


@blueprint.app_context_processor
def task_row_commands():
    """What the signed-in user may do on a task, for its row (and why not, as pages tell it)."""
    def task_commands(task):
        return permissions.for_page(current_user, permissions.task_commands(current_user, task))
    return {"task_commands": task_commands}


@blueprint.route("/tasks")
def inbox():
    """My tasks (overdue first) and the queues of my roles."""
    if not permissions.can(current_user, permissions.VIEW_CASE):
        abort(403, description=permissions.needs(permissions.VIEW_CASE))
    session = db.session()
    mine, mine_pages = queries.my_tasks(session, current_user, _page("mine"))
    queues, queue_pages = queries.my_queues(session, current_user, _page("queue"))
    return render_template("tasks/inbox.html", mine=mine, queues=queues, mine_pages=mine_pages,
                           queue_pages=queue_pages, today=clock.today(), **task_forms())


def _page(name: str) -> int:
    """A page number parameter (bounded by `views.bounds`); 1 when absent."""
    return int(request.args.get(name) or 1)


def _back(case_id: int, form):
    """Back to where the button was: the inbox, or the case's task list."""
    if getattr(form, "back", None) is not None and form.back.data == "inbox":
        return redirect(url_for("tasks.inbox"))
    return redirect(url_for("cases.detail", case_id=case_id, _anchor="tasks"))


def _run(case_id: int, form, command, done: str, action: str = permissions.WORK_TASK):
    """Validate the task form, run its command; refusals on the case page, like its other forms."""
    load_case_for(case_id, action)
    outcome = run(form, command, case_page(case_id), shows_form=False)
    if outcome.refused:
        return outcome.page
    flash(done, "success")
    return _back(case_id, form)


@blueprint.route("/cases/<int:case_id>/tasks/<int:task_id>/claim", methods=["POST"])
def claim(case_id: int, task_id: int):
    """Take a task from a queue."""
    return _run(case_id, TaskForm(), lambda w: tasks.claim(w, current_actor(), task_id, case_id=case_id),
                _("Task claimed."))


@blueprint.route("/cases/<int:case_id>/tasks/<int:task_id>/unclaim", methods=["POST"])
def unclaim(case_id: int, task_id: int):
    """Put a task back in its queue."""
    return _run(case_id, TaskForm(), lambda w: tasks.unclaim(w, current_actor(), task_id, case_id=case_id),
                _("Task back in its queue."))


@blueprint.route("/cases/<int:case_id>/tasks/<int:task_id>/complete", methods=["POST"])
def complete(case_id: int, task_id: int):
    """Complete a task with a note."""
    form = CompleteTaskForm()
    return _run(case_id, form, lambda w: tasks.complete(w, current_actor(), task_id,
                                                        note=form.note.data or "", case_id=case_id),
                _("Task done."))


@blueprint.route("/cases/<int:case_id>/tasks/<int:task_id>/cancel", methods=["POST"])
def cancel(case_id: int, task_id: int):
    """Cancel a task, with a reason (supervisors)."""
    form = CancelTaskForm()
    return _run(case_id, form, lambda w: tasks.cancel(w, current_actor(), task_id,
                                                      reason=form.reason.data or "", case_id=case_id),
                _("Task cancelled."), permissions.MANAGE_TEAM)


@blueprint.route("/cases/<int:case_id>/tasks/<int:task_id>/assign", methods=["POST"])
def assign(case_id: int, task_id: int):
    """Give a task to someone on the team (supervisors)."""
    form = AssignTaskForm()
    return _run(case_id, form, lambda w: tasks.assign(w, current_actor(), task_id,
                                                      user_id=form.user_id.data, case_id=case_id),
                _("Task assigned."), permissions.MANAGE_TEAM)


@blueprint.route("/cases/<int:case_id>/tasks", methods=["POST"])
def add(case_id: int):
    """Add a task to the case's current stage (supervisors)."""
    form = AddTaskForm()
    return _run(case_id, form, lambda w: tasks.add_task(
        w, current_actor(), case_id, title=form.title.data, role=form.role.data,
        required=form.required.data,
        due_on=form.due_on.data, description=form.description.data or ""), _("Task added."),
        permissions.MANAGE_TEAM)
