"""Signing in and out: credentials, deactivation, throttling, redirects, CSRF, deny by default."""
from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select
from webclient import PASSWORD, post

from models.audit import AuditEvent
from models.user import User
from workflow import accounts, audit, second_factor
from workflow.errors import Forbidden

INVALID = "Invalid username or password"


def events(db, event_type: str) -> list[AuditEvent]:
    with db.sessions() as session:
        return session.scalars(select(AuditEvent).where(AuditEvent.event_type == event_type)
                               .order_by(AuditEvent.seq)).all()


def test_sign_in_reaches_the_dashboard_and_is_audited(client, auth, make_user, db):
    user_id = make_user("sam", "supervisor")
    response = auth.login("sam")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert "Dashboard" in page and "supervisor" in page
    [login] = events(db, "login")
    assert (login.actor_id, login.actor_username, login.actor_roles) == (user_id, "sam", "supervisor")
    with db.sessions() as session:
        assert session.get(User, user_id).last_login_at is not None


@pytest.mark.parametrize("username, password, reason", [
    ("sam", "wrong password entirely", "wrong password"),
    ("nobody", PASSWORD, "unknown user"),
])
def test_bad_credentials_get_one_generic_message(client, auth, make_user, db, username, password,
                                                 reason):
    make_user("sam", "supervisor")
    response = auth.login(username, password)
    assert response.status_code == 200
    assert INVALID in response.get_data(as_text=True)
    assert client.get("/").status_code == 302  # still signed out
    [failed] = events(db, "login_failed")
    assert failed.actor_id is None
    assert f'"username_tried":"{username}"' in failed.payload
    assert f'"reason":"{reason}"' in failed.payload


def test_deactivated_user_cannot_sign_in_and_loses_open_session(client, auth, make_user, db):
    user_id = auth.login_as("investigator", "ivy")
    assert client.get("/").status_code == 200
    with db.transaction() as session:
        accounts.set_active(session, audit.SYSTEM, session.get(User, user_id), False)
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    response = auth.login("ivy")
    assert INVALID in response.get_data(as_text=True)
    assert '"reason":"deactivated"' in events(db, "login_failed")[0].payload


def test_throttling_after_five_failures_refuses_even_the_right_password(client, auth, make_user,
                                                                       app, db):
    make_user("sam", "supervisor")
    for _ in range(5):
        assert INVALID in auth.login("sam", "not the password").get_data(as_text=True)
    response = auth.login("sam")
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302
    # The window passes: the counted failures age out, and the right password works again.
    app.config["LOGIN_WINDOW_SECONDS"] = 0
    assert auth.login("sam").status_code == 302


def test_a_password_given_again_is_audited_when_wrong_and_throttled_as_a_sign_in(
        client, auth, make_user, app, db):
    """Changing one's password asks for the current one: guessing it from an open session
    meets the sign-in's limit, and each wrong guess is in the log."""
    make_user("sam", "supervisor")
    auth.login("sam")
    with db.sessions() as session:
        before = session.scalar(select(User.password_hash).where(User.username == "sam"))
    change = {"new_password": "a fine new passphrase", "confirm": "a fine new passphrase"}
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        wrong = post(client, "/account/password", {"current_password": "a guess", **change})
        assert wrong.status_code == 422 and "not your current password" in wrong.get_data(as_text=True)
    refused = post(client, "/account/password", {"current_password": PASSWORD, **change})
    assert refused.status_code == 422
    assert "too many wrong passwords; wait 15 minutes" in refused.get_data(as_text=True)
    failed = [json.loads(e.payload)["details"]["reason"] for e in events(db, "reauthentication_failed")]
    assert failed == ["wrong password"] * app.config["LOGIN_MAX_FAILURES"] + ["throttled"]
    assert events(db, "reauthentication_failed")[0].entity_id is not None
    with db.sessions() as session:
        assert session.scalar(select(User.password_hash).where(User.username == "sam")) == before
    # The same count guards the sign-in form from this address.
    assert auth.login("sam").status_code == 429
    app.config["LOGIN_WINDOW_SECONDS"] = 0
    changed = post(client, "/account/password", {"current_password": PASSWORD, **change})
    assert changed.status_code == 302 and changed.headers["Location"] == "/account"
    with db.sessions() as session:
        assert session.scalar(select(User.password_hash).where(User.username == "sam")) != before


def test_a_change_of_ones_own_sign_in_needs_the_password_given_again(db, make_user):
    """No proof, another user's, or one made before the password was reset: refused."""
    user_id = make_user("sam", "supervisor")
    proof = accounts.reauthenticate(db.transaction, user_id, PASSWORD, "203.0.113.5",
                                    accounts.Throttle(5, 900))
    with db.transaction() as session:
        accounts.reset_password(session, audit.SYSTEM, session.get(User, user_id), "an admin's new one")
    with db.transaction() as session:
        user = session.get(User, user_id)
        for stale in (None, accounts.Reauthenticated(user_id + 1, user.password_hash), proof):
            with pytest.raises(Forbidden):
                accounts.change_password(session, user, stale, "a fine new passphrase")
            with pytest.raises(Forbidden):
                second_factor.new_recovery_codes(session, user, stale)



def test_throttling_counts_failures_per_address_across_usernames(auth, make_user, app):
    make_user("sam", "supervisor")
    for n in range(app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"]):
        auth.login(f"guess{n}", "not the password")
    assert auth.login("sam").status_code == 429


def test_success_clears_the_accounts_failures(auth, make_user, db):
    make_user("sam", "supervisor")
    for _ in range(4):
        auth.login("sam", "not the password")
    assert auth.login("sam").status_code == 302
    auth.logout()
    # Failures of the address still count, so stay under the limit from there too.
    assert INVALID in auth.login("sam", "wrong again").get_data(as_text=True)


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/", "/\\evil.example", "http:/evil", "javascript:alert(1)",
])
def test_next_is_followed_only_to_local_paths(auth, make_user, target):
    make_user("sam", "supervisor")
    response = auth.login("sam", next_url=target)
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_next_local_path_is_followed(auth, make_user):
    make_user("ada", "admin")
    response = auth.login("ada", next_url="/admin/users")
    assert response.headers["Location"] == "/admin/users"


def test_logout_by_get_is_refused_and_post_signs_out(client, auth, db):
    auth.login_as("analyst")
    assert client.get("/logout").status_code == 405
    assert client.get("/").status_code == 200
    assert auth.logout().status_code == 302
    assert client.get("/").status_code == 302
    assert len(events(db, "logout")) == 1


def test_missing_csrf_token_is_refused_with_nothing_changed(client, auth, make_user, db):
    make_user("sam", "supervisor")
    response = client.post("/login", data={"username": "sam", "password": PASSWORD})
    assert response.status_code == 400
    assert "security token" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302
    assert events(db, "login") == [] and events(db, "login_failed") == []


def test_missing_csrf_on_an_admin_form_creates_nobody(client, auth, db):
    auth.login_as("admin")
    response = client.post("/admin/users/new", data={
        "username": "eve", "password": PASSWORD, "roles": ["analyst"]})
    assert response.status_code == 400
    with db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(User).where(User.username == "eve")) == 0


def test_session_is_cleared_on_sign_in(client, auth, make_user):
    make_user("sam", "supervisor")
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    auth.login("sam")
    with client.session_transaction() as session:
        assert "planted" not in session


def test_every_view_but_login_static_and_the_public_log_requires_sign_in(app, client):
    """Deny by default, checked over the whole URL map, so new views are covered too."""
    checked = 0
    public = {"auth.login", "static", "bootstrap.static", "favicon", "transparency.checkpoint",
              "transparency.consistency", "transparency.cosign"}
    for rule in app.url_map.iter_rules():
        if rule.endpoint in public or rule.endpoint.startswith(("api.", "api_docs.")):
            continue  # the API answers 401 to anyone without a token (tests/test_access_sweep.py)
        url = rule.rule.replace("<int:", "<").replace("<", "").replace(">", "")
        url = "/".join("1" if part in {a for a in rule.arguments} else part
                       for part in url.split("/"))
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            assert response.status_code in (302, 400), (method, url, response.status_code)
            if response.status_code == 302:
                assert response.headers["Location"].startswith("/login"), url
            checked += 1
    assert checked >= 5


def test_login_page_and_assets_are_public(client):
    assert client.get("/login").status_code == 200
    with client.get("/static/restraint.css") as response:
        assert response.status_code == 200
    page = client.get("/login").get_data(as_text=True)
    assert "cdn" not in page.lower()
    css = [line for line in page.splitlines() if "bootstrap" in line and "stylesheet" in line]
    assert css and all('href="/' in line for line in css)
    href = re.search(r'href="([^"]+)"', css[0]).group(1)
    with client.get(href) as response:
        assert response.status_code == 200 and b".btn" in response.data
