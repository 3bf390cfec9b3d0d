"""Personal access tokens: made and revoked on the account page, shown once, stored hashed,
acting with their user's current roles within their scopes, audited, throttled."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from apiclient import bearer, make_token
from sqlalchemy import func, select, text

from models import ApiToken, AuditEvent, User
from webclient import post
from workflow import accounts, audit, clock, tokens
from workflow.errors import Forbidden, Invalid

#: If-Match of any version: the scope is checked before the version.
ANY_CASE_VERSION = "*"
SECRET = re.compile(r"rst_[A-Za-z0-9_-]{20,}")


def events(db, event_type: str) -> list[AuditEvent]:
    with db.sessions() as session:
        return session.scalars(select(AuditEvent).where(AuditEvent.event_type == event_type)
                               .order_by(AuditEvent.seq)).all()


def test_a_token_is_made_on_the_account_page_shown_once_and_kept_hashed(client, auth, db, cast):
    auth.login("ivy")
    expires = (clock.today() + timedelta(days=90)).isoformat()
    page = post(client, "/account/tokens", {"name": "Lab system", "expires_on": expires,
                                            "scopes": ["read", "write"]})
    assert page.status_code == 200 and "Lab system" in page.get_data(as_text=True)  # listed already
    secret = SECRET.search(page.get_data(as_text=True)).group(0)
    with db.engine.connect() as connection:  # nowhere in the database, in any table
        dump = "\n".join(str(row) for table in ("api_tokens", "audit_events")
                         for row in connection.execute(text(f"SELECT * FROM {table}")))
    assert secret not in dump and tokens.digest(secret) in dump

    again = client.get("/account").get_data(as_text=True)
    assert secret not in again and secret[:tokens.PREFIX_LENGTH] in again and "Lab system" in again
    # The address the secret was shown at, opened again, leads to the tokens, not to an error.
    reopened = client.get("/account/tokens")
    assert reopened.status_code == 302 and reopened.headers["Location"] == "/account#tokens"
    me = client.get("/api/v1/me", headers=bearer(secret)).json
    assert me["username"] == "ivy" and me["scopes"] == ["read", "write"]
    created = events(db, "token_created")
    assert len(created) == 1 and created[0].actor_username == "ivy"


@pytest.mark.parametrize("form, field", [
    ({"name": "x", "expires_on": "2999-01-01", "scopes": ["read"]}, "expires"),
    ({"name": "x", "expires_on": "2000-01-01", "scopes": ["read"]}, "expires"),
    ({"name": "x", "expires_on": "next week", "scopes": ["read"]}, "Expires"),
    ({"name": "x", "expires_on": "2030-01-01", "scopes": []}, "scope"),
    ({"name": "x", "expires_on": "2030-01-01", "scopes": ["write"]}, "write needs read as well"),
    ({"name": "x", "expires_on": "2030-01-01", "scopes": ["read", "audit"]}, "audit is for the roles"),
    ({"name": "", "expires_on": "2030-01-01", "scopes": ["read"]}, "Name"),
])
def test_a_token_needs_a_name_scopes_and_an_expiry_within_a_year(client, auth, db, cast, form, field):
    auth.login("ivy")
    if form["expires_on"] == "2030-01-01":
        form["expires_on"] = (clock.today() + timedelta(days=30)).isoformat()
    page = post(client, "/account/tokens", form)
    assert page.status_code == 422 and field in page.get_data(as_text=True)
    with db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(ApiToken)) == 0


@pytest.mark.both_databases
def test_a_revoked_token_stops_at_once_and_the_revocation_is_audited(client, auth, db, cast):
    secret = make_token(db, cast["ivy"])
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 200
    auth.login("ivy")
    with db.sessions() as session:
        token_id = session.scalar(select(ApiToken.id))
    assert post(client, f"/account/tokens/{token_id}/revoke").status_code == 302
    refused = client.get("/api/v1/me", headers=bearer(secret))
    assert refused.status_code == 401 and "revoked" in refused.json["detail"]
    assert [e.actor_username for e in events(db, "token_revoked")] == ["ivy"]
    auth.logout()
    auth.login("ian")  # nobody revokes another's token
    assert post(client, f"/account/tokens/{token_id}/revoke").status_code == 404


def test_a_token_acts_with_its_users_roles_as_they_are_now(api, client, db, cast, make_case):
    case_id = make_case()
    secret = make_token(db, cast["sue"])
    assert client.get(f"/api/v1/cases/{case_id}", headers=bearer(secret)).status_code == 200
    with db.transaction() as session:  # sue is now an analyst on no team: the case is gone
        admin = accounts.create_user(session, audit.SYSTEM, "root", "correct horse battery staple",
                                     ["admin"])
        accounts.set_roles(session, audit.Actor.of(admin), session.get(User, cast["sue"].id),
                           ["analyst"])
    assert client.get(f"/api/v1/cases/{case_id}", headers=bearer(secret)).status_code == 404
    assert client.get("/api/v1/me", headers=bearer(secret)).json["roles"] == ["analyst"]
    with db.transaction() as session:
        accounts.set_active(session, audit.SYSTEM, session.get(User, cast["sue"].id), False)
    refused = client.get("/api/v1/me", headers=bearer(secret))
    assert refused.status_code == 401 and "deactivated" in refused.json["detail"]


def test_tokens_make_no_tokens_and_change_no_roles(db, cast, client, app):
    secret = make_token(db, cast["sue"])
    with db.sessions() as session:
        through_api = tokens.actor_of(session.scalar(select(ApiToken)))
    with db.transaction() as session, pytest.raises(Forbidden, match="never with a token"):
        tokens.create_token(session, through_api, name="x", scopes=["read"],
                            expires_on=clock.today() + timedelta(days=1))
    with db.transaction() as session, pytest.raises(Forbidden, match="never with a token"):
        accounts.set_roles(session, through_api, session.get(User, cast["ivy"].id), ["analyst"])
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert not [p for p in paths if "token" in p or "/users" in p or "role" in p]
    # …and the account page is not reachable with a token at all.
    assert client.post("/account/tokens", headers=bearer(secret)).status_code in (302, 400)


@pytest.mark.both_databases
def test_each_new_address_of_a_token_is_audited_once(client, db, cast):
    secret = make_token(db, cast["ivy"])
    for address in ("198.51.100.7", "198.51.100.7", "203.0.113.9", "198.51.100.7"):
        response = client.get("/api/v1/me", headers=bearer(secret),
                              environ_base={"REMOTE_ADDR": address})
        assert response.status_code == 200
    seen = events(db, "token_used_from_new_address")
    assert [e.payload.count(a) for e, a in zip(seen, ("198.51.100.7", "203.0.113.9"))] == [1, 1]
    assert len(seen) == 2 and {e.actor_username for e in seen} == {"ivy"}


@pytest.mark.both_databases
def test_guessing_at_a_token_is_throttled_per_token(app, client, db, cast):
    good = make_token(db, cast["ivy"])
    wrong = good[:tokens.PREFIX_LENGTH] + "x" * 20
    here = {"REMOTE_ADDR": "192.0.2.1"}
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert client.get("/api/v1/me", headers=bearer(wrong), environ_base=here).status_code == 401
    throttled = client.get("/api/v1/me", headers=bearer(wrong), environ_base=here)
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) > 0
    # Another token from the same address is counted on its own.
    other = make_token(db, cast["ian"])
    assert client.get("/api/v1/me", headers=bearer(other), environ_base=here).status_code == 200
    assert len(events(db, "token_refused")) == app.config["LOGIN_MAX_FAILURES"]


def test_expiry_is_checked_at_each_request(client, db, cast):
    secret = make_token(db, cast["ivy"], days=1)
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 200
    with db.transaction() as session:
        session.execute(text("UPDATE api_tokens SET created_at = :then, expires_at = :past"),
                        {"then": clock.utcnow() - timedelta(days=3),
                         "past": clock.utcnow() - timedelta(days=1)})
    assert client.get("/api/v1/me", headers=bearer(secret)).json["detail"].endswith("expired.")


def test_the_service_refuses_a_second_year(db, cast):
    with db.transaction() as session, pytest.raises(Invalid, match="365 days"):
        tokens.create_token(session, cast["ivy"], name="x", scopes=["read"],
                            expires_on=clock.today() + timedelta(days=366))


def test_a_change_answers_only_a_token_that_may_read_what_it_changed(client, db, cast, make_case):
    case_id = make_case()
    secret = make_token(db, cast["ivy"], scopes=("read", "write"))
    with db.transaction() as session:  # as a token made before write needed read
        session.execute(text("UPDATE api_tokens SET scopes = 'write'"))
    changed = client.patch(f"/api/v1/cases/{case_id}", json={},
                           headers=bearer(secret, version=ANY_CASE_VERSION))
    assert changed.status_code == 403 and "lacks the read scope" in changed.json["detail"]
    assert "reference" not in changed.json
