"""Revocable sessions: a cookie copied before sign-out, deactivation, a role change, a password
change, sign-out everywhere, the idle timeout or the absolute lifetime opens nothing after it."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select
from webclient import CSRF_META, PASSWORD, post

import views.auth
from models import Case
from models.user import User
from workflow import accounts, audit

NEW_PASSWORD = "a different long passphrase"


def case_count(db) -> int:
    with db.sessions() as session:
        return session.scalar(select(func.count()).select_from(Case))


class Stolen:
    """A copy of a signed-in browser's cookie and CSRF token, as a thief would hold them."""

    def __init__(self, app, client):
        self.app = app
        self.cookie = client.get_cookie("session").value
        self.token = CSRF_META.search(client.get("/").get_data(as_text=True)).group(1)
        self.cookie = client.get_cookie("session").value

    def client(self):
        thief = self.app.test_client()
        thief.set_cookie("session", self.cookie)
        return thief

    def works(self, db) -> bool:
        """Whether the copy still reads a page or writes a case; asserts nothing was written."""
        before = case_count(db)
        read = self.client().get("/cases")
        write = self.client().post("/cases/new", data={"csrf_token": self.token, "title": "Planted case"})
        if read.status_code == 200 or write.status_code != 302 or "/login" not in write.headers["Location"]:
            return True
        assert read.headers["Location"].startswith("/login")
        assert case_count(db) == before
        return False


@pytest.fixture
def signed_in(app, client, auth, make_user):
    """ivy, an investigator, signed in; and a copy of her cookie."""
    user_id = auth.login_as("investigator", "ivy")
    stolen = Stolen(app, client)
    return user_id, stolen


def test_the_copy_works_while_the_session_lives(signed_in, db):
    _, stolen = signed_in
    thief = stolen.client()
    assert thief.get("/cases").status_code == 200


def test_replay_after_sign_out(signed_in, auth, db):
    _, stolen = signed_in
    auth.logout()
    assert not stolen.works(db)


def test_replay_after_deactivation(signed_in, db):
    user_id, stolen = signed_in
    with db.transaction() as session:
        accounts.set_active(session, audit.SYSTEM, session.get(User, user_id), False)
    with db.transaction() as session:
        accounts.set_active(session, audit.SYSTEM, session.get(User, user_id), True)
    assert not stolen.works(db)  # reactivated, but the old session stays ended


def test_replay_after_role_change(signed_in, db):
    user_id, stolen = signed_in
    with db.transaction() as session:
        accounts.set_roles(session, audit.SYSTEM, session.get(User, user_id), ["investigator", "analyst"])
    assert not stolen.works(db)


def test_replay_after_password_change_keeps_the_changing_browser(signed_in, client, db):
    _, stolen = signed_in
    response = post(client, "/account/password", {"current_password": PASSWORD,
                                                   "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert not stolen.works(db)
    assert client.get("/cases").status_code == 200  # the browser that changed it goes on


def test_replay_after_admin_password_reset(signed_in, db):
    user_id, stolen = signed_in
    with db.transaction() as session:
        accounts.reset_password(session, audit.SYSTEM, session.get(User, user_id), NEW_PASSWORD)
    assert not stolen.works(db)


def test_sign_out_everywhere_ends_every_browser(signed_in, app, client, auth, db):
    _, stolen = signed_in
    second = app.test_client()
    assert post(second, "/login", {"username": "ivy", "password": PASSWORD}).status_code == 302
    response = post(second, "/account/sign-out-everywhere")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert not stolen.works(db)
    assert client.get("/cases").headers["Location"].startswith("/login")
    assert second.get("/cases").headers["Location"].startswith("/login")
    with db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(audit.AuditEvent)
                              .where(audit.AuditEvent.event_type == "sessions_ended")) == 1


def test_replay_after_idle_timeout(signed_in, app, db, monkeypatch):
    _, stolen = signed_in
    later = views.auth._now() + app.config["SESSION_IDLE_MINUTES"] * 60 + 1
    monkeypatch.setattr(views.auth, "_now", lambda: later)
    assert not stolen.works(db)


def test_activity_keeps_the_session_until_its_absolute_lifetime(signed_in, app, client, db,
                                                                monkeypatch):
    _, stolen = signed_in
    start, idle = views.auth._now(), app.config["SESSION_IDLE_MINUTES"] * 60
    clock = {"now": start}
    monkeypatch.setattr(views.auth, "_now", lambda: clock["now"])
    while clock["now"] - start < app.config["SESSION_MAX_HOURS"] * 3600 - idle:
        clock["now"] += idle - 60  # a request just inside the idle timeout, again and again
        assert client.get("/").status_code == 200
    clock["now"] = start + app.config["SESSION_MAX_HOURS"] * 3600 + 1
    assert client.get("/").headers["Location"].startswith("/login")


def test_a_session_without_its_generation_is_refused(app, client, auth, make_user):
    auth.login_as("analyst", "ana")
    with client.session_transaction() as session:
        del session["generation"]
    assert client.get("/").headers["Location"].startswith("/login")


def test_sign_in_issues_a_new_cookie(app, client, auth, make_user):
    make_user("sam", "supervisor")
    client.get("/login")
    before = client.get_cookie("session").value
    auth.login("sam")
    assert client.get_cookie("session").value != before
