"""Notifications: each kind reaches exactly the people it concerns, and nobody off the case;
the inbox counts, opens and marks them read; the overdue sweep tells once a day."""
from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import event, func, select, update

from models import Case, Milestone, Notification, Response, Task, User
from webclient import post
from workflow import cases, comments, notifications, responses, reviews, tasks
from workflow.command import ANY_VERSION
from workflow.durations import DEFAULT_TARGET_DAYS

#: Who sees the case in these tests: its team (ivy leads, ian, ana, leo) and the supervisors
#: and auditor who see every case; `out` holds every working role but is on no team.
OFF_THE_TEAM = {"out", "adm"}


class Told:
    """The notifications written since the last look, as (username, kind) pairs."""

    def __init__(self, db):
        self.db, self.last = db, 0

    def __call__(self) -> Counter:
        with self.db.sessions() as session:
            rows = session.execute(select(Notification.id, User.username, Notification.kind)
                                   .join(User, User.id == Notification.user_id)
                                   .where(Notification.id > self.last)
                                   .order_by(Notification.id)).all()
        if rows:
            self.last = rows[-1].id
        return Counter((row.username, row.kind) for row in rows)


@pytest.fixture
def told(db) -> Told:
    return Told(db)


@pytest.fixture
def team_case(db, cast, make_case) -> int:
    """A case ivy leads, with ian (investigator), ana and leo on its team."""
    case_id = make_case()
    with db.transaction() as session:
        cases.set_member(session, cast["sue"], case_id, expected_version=ANY_VERSION,
                         user_id=cast["ian"].id, case_role="investigator")
    return case_id


def request(db, actor, case_id: int, target: str) -> int:
    with db.transaction() as session:
        return reviews.request_gate(session, actor, case_id, expected_version=ANY_VERSION,
                                    target=target).id


@pytest.mark.both_databases
def test_each_kind_reaches_exactly_the_people_it_concerns(db, cast, team_case, satisfy, told):
    case_id = team_case
    told()
    # A member added is told, and nobody else.
    with db.transaction() as session:
        cases.remove_member(session, cast["sue"], case_id, expected_version=ANY_VERSION,
                            user_id=cast["ana"].id)
        cases.set_member(session, cast["sue"], case_id, expected_version=ANY_VERSION,
                         user_id=cast["ana"].id, case_role="analyst")
    assert told() == {("ana", "team_added"): 1}

    # A request waits for the supervisors who may decide it (not the auditor, not the requester).
    satisfy(case_id, "investigation")
    told()
    request_id = request(db, cast["ana"], case_id, "investigation")
    assert told() == {("sue", "gate_requested"): 1, ("sam", "gate_requested"): 1}

    # A decision tells the requester and the lead (once each), not the one who decided.
    with db.transaction() as session:
        reviews.reject_gate(session, cast["sue"], request_id, expected_version=ANY_VERSION,
                            reason="The report is unsigned.")
    assert told() == {("ana", "gate_decided"): 1, ("ivy", "gate_decided"): 1}
    request_id = request(db, cast["ivy"], case_id, "investigation")
    told()
    with db.transaction() as session:
        reviews.approve_gate(session, cast["sam"], request_id, expected_version=ANY_VERSION)
    # ...and entering investigation puts its four investigator tasks in the queue of the
    # investigators on the team: ivy and ian (out, an investigator on no team, hears nothing).
    assert told() == {("ivy", "gate_decided"): 1, ("ivy", "task_queued"): 4,
                      ("ian", "task_queued"): 4}

    # A task assigned: the assignee; given back to the queue: the queue but the one who gave it.
    with db.sessions() as session:
        task_id = session.scalar(select(Task.id).where(Task.case_id == case_id,
                                                       Task.status == "open").order_by(Task.id))
    with db.transaction() as session:
        tasks.assign(session, cast["sue"], task_id, user_id=cast["ian"].id)
    assert told() == {("ian", "task_assigned"): 1}
    with db.transaction() as session:
        tasks.unclaim(session, cast["ian"], task_id)
    assert told() == {("ivy", "task_queued"): 1}
    # Claiming tells nobody.
    with db.transaction() as session:
        tasks.claim(session, cast["ivy"], task_id)
    assert told() == {}

    # A mention tells the people named, but not the author naming themselves.
    with db.transaction() as session:
        comments.add_comment(session, cast["ivy"], case_id,
                             body="@ana and @sue: the sample is sealed. (@ivy for the record)")
    assert told() == {("ana", "mentioned"): 1, ("sue", "mentioned"): 1}

    with db.sessions() as session:
        everyone = session.scalars(select(User.username).join(
            Notification, Notification.user_id == User.id).distinct()).all()
    assert not set(everyone) & (OFF_THE_TEAM | {"aud"})


def test_a_member_taken_off_the_team_is_told_no_more(db, cast, team_case, satisfy, told):
    with db.transaction() as session:
        cases.remove_member(session, cast["sue"], team_case, expected_version=ANY_VERSION,
                            user_id=cast["ian"].id)
    satisfy(team_case, "investigation")
    request_id = request(db, cast["ivy"], team_case, "investigation")
    told()
    with db.transaction() as session:
        reviews.approve_gate(session, cast["sue"], request_id, expected_version=ANY_VERSION)
    assert told() == {("ivy", "gate_decided"): 1, ("ivy", "task_queued"): 4}


def test_a_gate_command_writes_its_notifications_in_one_statement_per_kind_of_event(db, cast, team_case, satisfy):
    satisfy(team_case, "investigation")
    request_id = request(db, cast["ivy"], team_case, "investigation")
    statements = []

    def count(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("INSERT INTO NOTIFICATIONS"):
            statements.append(statement)
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        with db.transaction() as session:
            reviews.approve_gate(session, cast["sue"], request_id, expected_version=ANY_VERSION)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) == 2  # the decision's, and one for the four new tasks
    with db.sessions() as session:  # the decision and the four tasks, to two people
        assert session.scalar(select(func.count()).select_from(Notification)
                              .where(Notification.audit_seq.is_not(None),
                                     Notification.kind.in_(("gate_decided", "task_queued")))) == 9


def test_a_refused_command_tells_nobody(db, cast, team_case, told):
    told()
    with pytest.raises(Exception):
        request(db, cast["ivy"], team_case, "investigation")  # no evidence yet: refused
    assert told() == {}


# --- the overdue sweep ------------------------------------------------------------------------

def _past_due(db, model, row_id: int, days: int) -> None:
    """Set a due date in the past (as if the days had gone by)."""
    with db.transaction() as session:
        session.execute(update(model).where(model.id == row_id)
                        .values(due_on=date.today() - timedelta(days=days)))


@pytest.mark.both_databases
def test_the_sweep_tells_of_each_overdue_thing_once_a_day(db, cast, team_case, move, told):
    case_id = team_case
    move(case_id, "implementation")
    with db.transaction() as session:  # a second legal officer on the team
        cases.set_member(session, cast["sue"], case_id, expected_version=ANY_VERSION,
                         user_id=cast["out"].id, case_role="legal_officer")
    with db.sessions() as session:
        task_id = session.scalar(select(Task.id).where(Task.case_id == case_id,
                                                       Task.status == "open"))
        response_id = session.scalar(select(Response.id).where(Response.case_id == case_id,
                                                                Response.status == "adopted"))
    with db.transaction() as session:
        milestone = responses.add_milestone(session, cast["leo"], case_id,
                                            expected_version=ANY_VERSION, response_id=response_id,
                                            description="Listing", due_on=date(2030, 1, 1))
    _past_due(db, Milestone, milestone.id, 3)
    _past_due(db, Task, task_id, 2)
    told()
    today = date.today()
    targets = {**DEFAULT_TARGET_DAYS, "implementation": 1}

    def sweep(on: date) -> int:
        with db.transaction() as session:
            return notifications.sweep(session, on, targets)
    # Today: the task, unassigned, to its queue on the team (the legal officers), and the
    # milestone to those who track responses; the stage entered today is not overdue yet.
    assert sweep(today) == 4
    assert told() == {("leo", "task_overdue"): 1, ("out", "task_overdue"): 1,
                      ("leo", "milestone_overdue"): 1, ("out", "milestone_overdue"): 1}
    assert sweep(today) == 0 and told() == {}
    # Two days on: again, once, and the stage too, to the supervisors.
    later = today + timedelta(days=2)
    assert sweep(later) == 6
    assert told() == {("leo", "task_overdue"): 1, ("out", "task_overdue"): 1,
                      ("leo", "milestone_overdue"): 1, ("out", "milestone_overdue"): 1,
                      ("sue", "stage_overdue"): 1, ("sam", "stage_overdue"): 1}
    assert sweep(later) == 0
    # An assigned task tells its assignee only; a milestone done, nobody.
    with db.transaction() as session:
        tasks.assign(session, cast["sue"], task_id, user_id=cast["leo"].id)
        responses.update_milestone(session, cast["leo"], case_id, expected_version=ANY_VERSION,
                                   milestone_id=milestone.id, done_on=today, note="done")
    assert told() == {("leo", "task_assigned"): 1}
    sweep(later + timedelta(days=1))
    assert told() == {("leo", "task_overdue"): 1, ("sue", "stage_overdue"): 1,
                      ("sam", "stage_overdue"): 1}


def test_a_closed_case_is_never_overdue(db, cast, team_case, move, told):
    move(team_case, "closed")
    told()
    with db.transaction() as session:
        assert notifications.sweep(session, date.today() + timedelta(days=1000),
                                   DEFAULT_TARGET_DAYS) == 0


# --- the inbox in the web -------------------------------------------------------------------

def _soup(client, url: str) -> BeautifulSoup:
    response = client.get(url)
    assert response.status_code == 200, url
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def _unread(soup) -> int:
    badge = soup.select_one('[data-testid="unread-count"]')
    return int(badge.get_text()) if badge else 0


def test_the_inbox_counts_opens_and_marks_read(client, auth, db, cast, team_case, satisfy):
    satisfy(team_case, "investigation")
    request_id = request(db, cast["ana"], team_case, "investigation")
    with db.transaction() as session:
        reviews.reject_gate(session, cast["sue"], request_id, expected_version=ANY_VERSION,
                            reason="Attach the signed report.")
    assert auth.login("ivy").status_code == 302
    soup = _soup(client, "/account/notifications")
    assert _unread(soup) == 2  # the decision, and being named lead of the case
    item = soup.select_one('[data-kind="gate_decided"]')
    assert "sue rejected the request for the gate to Investigation" in " ".join(item.get_text(" ").split())
    assert item["data-read"] == "no"
    opened = client.get(f"/account/notifications/{item['data-notification']}")
    assert opened.status_code == 302
    assert opened.headers["Location"] == f"/cases/{team_case}#decisions"
    soup = _soup(client, "/account/notifications")
    assert _unread(soup) == 1 and soup.select_one('[data-kind="gate_decided"]')["data-read"] == "yes"
    # In Arabic: the same notification, in the reader's language, names and titles as written.
    with db.transaction() as session:
        session.execute(update(User).where(User.username == "ivy").values(locale="ar"))
    item = _soup(client, "/account/notifications").select_one('[data-kind="gate_decided"]')
    assert "رفض" in item.get_text(" ") and "rejected" not in item.get_text(" ")
    assert item.select_one("bdi").get_text() == "sue"
    # Someone else's notification is nobody's business: 404, and it stays unread.
    auth.logout()
    assert auth.login("ana").status_code == 302
    with db.sessions() as session:
        ivys = session.scalar(select(Notification.id).where(Notification.user_id == cast["ivy"].id))
        anas = session.scalars(select(Notification.id).where(
            Notification.user_id == cast["ana"].id)).all()
    assert client.get(f"/account/notifications/{ivys}").status_code == 404
    assert post(client, f"/account/notifications/{ivys}/read").status_code == 404
    assert _unread(_soup(client, "/cases")) == len(anas)
    assert post(client, f"/account/notifications/{anas[0]}/read").status_code == 302
    assert _unread(_soup(client, "/cases")) == len(anas) - 1
    assert post(client, "/account/notifications/read").status_code == 302
    assert _unread(_soup(client, "/cases")) == 0


def test_a_notification_about_a_case_one_no_longer_sees_says_nothing_of_it(
        client, auth, db, cast, team_case):
    with db.transaction() as session:
        comments.add_comment(session, cast["ivy"], team_case, body="@ian see the new photos")
        title = session.get(Case, team_case).title
    with db.transaction() as session:
        cases.remove_member(session, cast["sue"], team_case, expected_version=ANY_VERSION,
                            user_id=cast["ian"].id)
    assert auth.login("ian").status_code == 302
    page = client.get("/account/notifications").get_data(as_text=True)
    assert "a case you can no longer see" in page and title not in page and "CW-" not in page
    with db.sessions() as session:
        item = session.scalar(select(Notification.id).where(Notification.user_id == cast["ian"].id))
    opened = client.get(f"/account/notifications/{item}", follow_redirects=True)
    assert "about a case you can no longer see" in opened.get_data(as_text=True)


def test_email_choices_are_saved_per_kind_and_audited(client, auth, db, cast):
    assert auth.login("ivy").status_code == 302
    soup = _soup(client, "/account")
    boxes = soup.select('[data-testid="email-choices"] input[type="checkbox"]')
    assert {box["value"] for box in boxes} == set(notifications.KINDS)
    assert all(box.has_attr("checked") for box in boxes)
    response = post(client, "/account/notifications/email",
                    {"kinds": ["gate_decided", "mentioned"]})
    assert response.status_code == 302
    with db.sessions() as session:
        assert notifications.email_kinds(session, cast["ivy"].id) == {"gate_decided", "mentioned"}
    soup = _soup(client, "/account")
    checked = {box["value"] for box in soup.select('[data-testid="email-choices"] input[checked]')}
    assert checked == {"gate_decided", "mentioned"}
    assert post(client, "/account/notifications/email", {"kinds": ["nonsense"]}).status_code == 422
