"""Tasks over the API: my tasks, the queues of my roles, a case's tasks, and the commands on a
task (they lock the task, not the case, so they need no If-Match)."""
from __future__ import annotations

from flask import request

from views import db
from views.api import schemas
from views.api.cursors import after, cursor
from views.api.operation import actor, answer, body, operation, query, url, write
from workflow import cases, permissions, queries, tasks

TAGS = ("tasks",)


def task_body(task) -> schemas.Task:
    return schemas.Task(
        **{name: getattr(task, name) for name in (
            "id", "case_id", "stage", "title", "description", "required", "role", "status",
            "due_on", "note")},
        case_reference=task.case.reference,
        assignee=task.assignee.username if task.assignee else None)


def task_list(rows) -> tuple:
    return answer(schemas.TaskList(items=[task_body(task) for task in rows]))


def task_page(endpoint: str, which: str) -> tuple:
    """One page of my tasks or my queues, in the inbox's order, and the cursor of the next."""
    params = query()
    rows = queries.tasks_after(db.session(), actor(), which, after(params.cursor), params.limit + 1)
    more, rows = len(rows) > params.limit, rows[:params.limit]
    page = schemas.TaskPage(items=[task_body(task) for task in rows],
                            next_cursor=cursor(rows[-1].id) if more else None)
    links = []
    if page.next_cursor:
        arguments = {**request.args.to_dict(), "cursor": page.next_cursor, "limit": params.limit}
        links.append((url(endpoint, **arguments), "next"))
    return answer(page, links=links)


@operation("/tasks/mine", query=schemas.TaskQuery, answer=schemas.TaskPage, tags=TAGS)
def my_tasks():
    """Open tasks assigned to you, overdue (then soonest due) first; one page, and the cursor
    of the next."""
    return task_page("my_tasks", "mine")


@operation("/tasks/queues", query=schemas.TaskQuery, answer=schemas.TaskPage, tags=TAGS)
def task_queues():
    """Unclaimed open tasks of your roles, on the cases you work on; one page, and the cursor
    of the next."""
    return task_page("task_queues", "queues")


@operation("/cases/<id:case_id>/tasks", answer=schemas.TaskList, tags=TAGS)
def case_tasks(case_id: int):
    """Every task of a case, in every stage."""
    cases.load_case(db.session(), case_id, actor())
    return task_list(queries.tasks_of(db.session(), case_id))


def _task_command(case_id: int, task_id: int, service, **arguments) -> tuple:
    """Run a command on a task of the case, then answer with the task as it is now."""
    write(lambda session: service(session, actor(), task_id, case_id=case_id, **arguments))
    return answer(task_body(next(task for task in queries.tasks_of(db.session(), case_id)
                                 if task.id == task_id)))


@operation("/cases/<id:case_id>/tasks/<id:task_id>/claim", "POST", scope="write",
           answer=schemas.Task, tags=TAGS, action=permissions.WORK_TASK)
def claim_task(case_id: int, task_id: int):
    """Take an open task from the queue of your role."""
    return _task_command(case_id, task_id, tasks.claim)


@operation("/cases/<id:case_id>/tasks/<id:task_id>/unclaim", "POST", scope="write",
           answer=schemas.Task, tags=TAGS, action=permissions.WORK_TASK)
def unclaim_task(case_id: int, task_id: int):
    """Put your task back in its queue."""
    return _task_command(case_id, task_id, tasks.unclaim)


@operation("/cases/<id:case_id>/tasks/<id:task_id>/assign", "POST", scope="write",
           json=schemas.Assignment, answer=schemas.Task, tags=TAGS,
           action=permissions.MANAGE_TEAM)
def assign_task(case_id: int, task_id: int):
    """Give a task to someone on the team who holds its role (supervisors)."""
    return _task_command(case_id, task_id, tasks.assign, user_id=body().user_id)


@operation("/cases/<id:case_id>/tasks/<id:task_id>/complete", "POST", scope="write",
           json=schemas.Completion, answer=schemas.Task, tags=TAGS,
           action=permissions.WORK_TASK)
def complete_task(case_id: int, task_id: int):
    """Mark your task done, with a note."""
    return _task_command(case_id, task_id, tasks.complete, note=body().note)
