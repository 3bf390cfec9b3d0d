"""Tasks: created on entering a stage, worked from queues, and holding gates until done."""
from __future__ import annotations

import re
import threading
from datetime import date, timedelta

import pytest
from plans import page_plans
from sqlalchemy import func, select
from webclient import post

from models.audit import AuditEvent
from models.task import Task
from workflow import cases, clock, reviews, tasks
from workflow.errors import Conflict, Forbidden, GateUnmet, Invalid
from workflow.pathway import STAGES
from workflow.tasks import TEMPLATES
from workflow.command import ANY_VERSION


def stage_tasks(db, case_id: int, stage: str) -> list[Task]:
    with db.sessions() as session:
        return session.scalars(select(Task).where(Task.case_id == case_id, Task.stage == stage)
                               .order_by(Task.id)).all()


def run(db, command, *args, **kwargs):
    with db.transaction() as session:
        return command(session, *args, **kwargs)


@pytest.mark.parametrize("stage", STAGES[1:])
def test_entering_a_stage_creates_exactly_its_templates_tasks(db, make_case, move, stage):
    case_id = make_case()
    move(case_id, stage)
    created = stage_tasks(db, case_id, stage)
    assert [(t.title, t.role, t.required, t.status) for t in created] == [
        (t.title, t.role, t.required, "open") for t in TEMPLATES.get(stage, ())]
    assert all(t.due_on and t.due_on > date.today() for t in created)
    with db.sessions() as session:
        events = session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.case_id == case_id, AuditEvent.event_type == "task_created",
            AuditEvent.entity_id.in_([str(t.id) for t in created])))
    assert events == len(created)


def test_reopening_creates_the_stage_tasks_again_and_keeps_the_old(db, cast, make_case, move):
    case_id = make_case()
    move(case_id, "legal_consequence")
    run(db, reviews.reopen, cast["sue"], case_id, expected_version=ANY_VERSION,
        target="investigation", reason="new evidence")
    investigation = stage_tasks(db, case_id, "investigation")
    assert len(investigation) == 2 * len(TEMPLATES["investigation"])
    assert [t.status for t in investigation[:4]].count("done") == 1  # the first visit's, kept
    assert all(t.status == "open" for t in investigation[4:])


def test_open_required_task_refuses_the_gate_naming_it(db, cast, make_case, move, satisfy):
    case_id = make_case()
    move(case_id, "investigation")
    satisfy(case_id, "attribution")
    required = run(db, tasks.add_task, cast["sue"], case_id, title="Check the second crater",
                   role="investigator", required=True)
    with pytest.raises(GateUnmet) as refused:
        run(db, reviews.request_gate, cast["ivy"], case_id, expected_version=ANY_VERSION,
            target="attribution")
    assert f"#{required.id} Check the second crater (investigator queue)" in str(refused.value)
    run(db, cases.set_member, cast["sue"], case_id, expected_version=ANY_VERSION,
        user_id=cast["ian"].id, case_role="investigator")
    run(db, tasks.claim, cast["ian"], required.id)
    with pytest.raises(GateUnmet, match=rf"#{required.id} Check the second crater \(ian\)"):
        run(db, reviews.request_gate, cast["ivy"], case_id, expected_version=ANY_VERSION,
            target="attribution")


def test_task_commands_and_their_rules(db, cast, make_case, move):
    case_id = make_case()
    move(case_id, "investigation")
    run(db, cases.set_member, cast["sue"], case_id, expected_version=ANY_VERSION,
        user_id=cast["ian"].id, case_role="investigator")
    task = stage_tasks(db, case_id, "investigation")[0]
    with pytest.raises(Forbidden, match="investigator queue"):
        run(db, tasks.claim, cast["ana"], task.id)  # an analyst, not an investigator
    with pytest.raises(Exception, match="No such case"):
        run(db, tasks.claim, cast["out"], task.id)  # off the team
    run(db, tasks.claim, cast["ivy"], task.id)
    with pytest.raises(Conflict, match="in progress \\(assigned to ivy\\)"):
        run(db, tasks.claim, cast["ian"], task.id)
    with pytest.raises(Forbidden, match="claim it first"):
        run(db, tasks.complete, cast["ian"], task.id, note="done")
    run(db, tasks.unclaim, cast["ivy"], task.id)
    with pytest.raises(Forbidden, match="needs the supervisor role"):
        run(db, tasks.assign, cast["ivy"], task.id, user_id=cast["ivy"].id)
    with pytest.raises(Invalid, match="assignee: must be active, hold the investigator role"):
        run(db, tasks.assign, cast["sue"], task.id, user_id=cast["ana"].id)
    run(db, tasks.assign, cast["sue"], task.id, user_id=cast["ivy"].id)
    run(db, tasks.complete, cast["ivy"], task.id, note="three witnesses heard")
    with pytest.raises(Conflict, match="done already"):
        run(db, tasks.cancel, cast["sue"], task.id, reason="no longer needed")
    other = stage_tasks(db, case_id, "investigation")[1]
    with pytest.raises(Invalid, match="reason: required"):
        run(db, tasks.cancel, cast["sue"], other.id, reason="")
    run(db, tasks.cancel, cast["sue"], other.id, reason="samples came from the lab directly")
    with pytest.raises(Invalid, match="due on: cannot be in the past"):
        run(db, tasks.add_task, cast["sue"], case_id, title="Late", role="investigator",
            due_on=clock.today() - timedelta(days=2))  # yesterday is today west of Greenwich
    assert run(db, tasks.add_task, cast["sue"], case_id, title="Today", role="investigator",
               due_on=clock.today()).due_on == clock.today()
    with db.sessions() as session:
        kinds = session.scalars(select(AuditEvent.event_type).where(
            AuditEvent.entity_type == "task", AuditEvent.entity_id.in_((str(task.id), str(other.id))),
            AuditEvent.event_type != "task_created").order_by(AuditEvent.seq)).all()
        done = session.get(Task, task.id)
    assert kinds == ["task_claimed", "task_unclaimed", "task_assigned", "task_completed", "task_cancelled"]
    assert (done.status, done.completed_by_id, done.note) == ("done", cast["ivy"].id, "three witnesses heard")


def test_inbox_queues_and_counts(db, client, auth, cast, make_case, move):
    first, second, hidden = make_case(), make_case(), make_case(staffed=False)
    for case_id in (first, second, hidden):
        move(case_id, "investigation") if case_id != hidden else None
    mine = stage_tasks(db, second, "investigation")
    run(db, tasks.claim, cast["ivy"], mine[0].id)
    run(db, tasks.claim, cast["ivy"], mine[1].id)
    with db.transaction() as session:  # make the second one overdue
        session.get(Task, mine[1].id).due_on = date.today() - timedelta(days=2)
    auth.login("ivy")
    page = client.get("/tasks").get_data(as_text=True)
    my_part = page[page.index('data-testid="my-tasks"'):page.index('data-testid="my-queues"')]
    assert re.findall(r'data-task="(\d+)"', my_part) == [str(mine[1].id), str(mine[0].id)]
    assert "overdue" in my_part
    queue_part = page[page.index('data-testid="my-queues"'):]
    queued = {int(i) for i in re.findall(r'data-task="(\d+)"', queue_part)}
    expected = {t.id for c in (first, second) for t in stage_tasks(db, c, "investigation")
                if t.status == "open" and t.assignee_id is None}
    assert queued == expected
    assert 'data-testid="task-count">2<' in page
    auth.logout()
    auth.login("ana")  # an analyst: no investigator tasks in their queues
    assert re.findall(r'data-task="(\d+)"', client.get("/tasks").get_data(as_text=True)) == []
    auth.logout()
    auth.login("sam")
    assert 'data-testid="review-count"' not in client.get("/").get_data(as_text=True)


def test_the_task_count_leaves_out_cases_the_user_no_longer_sees(db, client, auth, cast, make_case, move):
    kept, left = make_case(), make_case()
    for case_id in (kept, left):
        move(case_id, "investigation")
        run(db, tasks.claim, cast["ivy"], stage_tasks(db, case_id, "investigation")[0].id)
    auth.login("ivy")
    assert 'data-testid="task-count">2<' in client.get("/tasks").get_data(as_text=True)
    run(db, cases.remove_member, cast["sue"], left, expected_version=ANY_VERSION, user_id=cast["ivy"].id)
    page = client.get("/tasks").get_data(as_text=True)
    my_part = page[page.index('data-testid="my-tasks"'):page.index('data-testid="my-queues"')]
    assert len(re.findall(r'data-task="(\d+)"', my_part)) == 1
    assert 'data-testid="task-count">1<' in page  # the count says what the list shows


def test_claim_complete_from_the_inbox_through_forms(db, client, auth, cast, make_case, move):
    case_id = make_case()
    move(case_id, "investigation")
    task = stage_tasks(db, case_id, "investigation")[3]
    auth.login("ivy")
    assert post(client, f"/cases/{case_id}/tasks/{task.id}/claim", {"back": "inbox"}).headers["Location"] == "/tasks"
    response = post(client, f"/cases/{case_id}/tasks/{task.id}/complete", {"note": "drafted"})
    assert response.status_code == 302
    with db.sessions() as session:
        assert session.get(Task, task.id).status == "done"
    again = post(client, f"/cases/{case_id}/tasks/{task.id}/complete", {"note": "again"})
    assert again.status_code == 409 and "done already" in again.get_data(as_text=True)


@pytest.mark.both_databases
@pytest.mark.parametrize("round_", range(3))
def test_two_people_claiming_one_task_at_once_make_one_owner(db, cast, make_case, move, round_):
    case_id = make_case()
    move(case_id, "investigation")
    run(db, cases.set_member, cast["sue"], case_id, expected_version=ANY_VERSION,
        user_id=cast["ian"].id, case_role="investigator")
    task = stage_tasks(db, case_id, "investigation")[0]
    barrier, outcomes = threading.Barrier(2), {}

    def claim_as(name: str):
        barrier.wait()
        try:
            run(db, tasks.claim, cast[name], task.id)
            outcomes[name] = "ok"
        except Conflict as error:
            outcomes[name] = str(error)
    threads = [threading.Thread(target=claim_as, args=(name,)) for name in ("ivy", "ian")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [name for name, outcome in outcomes.items() if outcome == "ok"]
    assert len(winners) == 1
    with db.sessions() as session:
        owner = session.get(Task, task.id).assignee_id
        claims = session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.event_type == "task_claimed", AuditEvent.entity_id == str(task.id)))
    assert owner == cast[winners[0]].id and claims == 1


def test_a_team_members_queue_is_read_through_their_cases_not_every_open_task(db, client, auth, cast):
    """SQLite has no statistics of its own: without those the migrations give it, it reads a
    team member's queue through the index every open task of the role shares (6× slower at
    100,000 cases than at 1,000), instead of through the few cases of their team."""
    auth.login("ivy")
    plan = next(plan for statement, plan in page_plans(db, client, "/tasks")
                if "tasks.assignee_id IS NULL" in statement and statement.startswith("SELECT cases.id"))
    assert not any("ix_tasks_queue" in step or "ix_tasks_assignee_status" in step for step in plan), plan


def test_the_count_of_a_users_tasks_seeks_them_after_sqlite_has_analyzed_the_tasks(
        db, client, auth, cast, make_case, move):
    """By SQLite's plan: the navigation's count of a user's open tasks (every page runs it)
    seeks them in the index of assigned tasks even once ANALYZE has counted queues in which
    nobody has claimed a task yet (imported cases, say). Over every task, the unassigned ones
    made one assignee matching every row, and the count scanned the table: 21 ms a page at
    100,000 cases, against 0.05."""
    move(make_case(), "investigation")
    with db.engine.begin() as connection:
        # Copies of the stage's unassigned tasks, as the queues of many cases hold them.
        connection.exec_driver_sql(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000) "
            "INSERT INTO tasks (case_id, stage, title, description, required, role, status, "
            "template, created_at, note) SELECT case_id, stage, title, description, required, "
            "role, status, template, created_at, note FROM tasks, n WHERE assignee_id IS NULL")
        connection.exec_driver_sql("ANALYZE")
    auth.login("ivy")
    plan = next(plan for statement, plan in page_plans(db, client, "/cases")
                if "tasks.assignee_id = users.id" in statement)
    assert any("USING INDEX ix_tasks_assignee_status" in step for step in plan), plan


def test_a_form_sent_back_with_its_errors_still_shows_the_counts(db, client, auth, cast, make_case, move):
    case_id = make_case()
    move(case_id, "investigation")
    run(db, tasks.claim, cast["ivy"], stage_tasks(db, case_id, "investigation")[0].id)
    auth.login("ivy")
    response = post(client, "/cases/new", {"title": "", "country": "SY"})
    assert response.status_code == 422 and 'aria-invalid="true"' in response.get_data(as_text=True)
    assert 'data-testid="task-count">1<' in response.get_data(as_text=True)
