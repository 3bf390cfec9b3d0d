"""Separation of duties for admins: nobody changes their own roles, admin is never combined
with a case role or auditor, supervisor, auditor and admin take two admins; an admin sees no case."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from urlmap import get_routes, page_ids, url
from webclient import PASSWORD, post

from models.audit import AuditEvent
from models.user import RoleGrant, User
from workflow import accounts, audit
from workflow.errors import Forbidden
from workflow.roles import ROLES


def roles_of(db, username: str) -> tuple:
    with db.sessions() as session:
        return session.scalar(select(User).options(selectinload(User.role_rows))
                              .where(User.username == username)).roles


def snapshot(db) -> tuple:
    with db.sessions() as session:
        return (session.scalar(select(func.count()).select_from(AuditEvent)),
                session.scalar(select(func.count()).select_from(RoleGrant)),
                tuple((u.username, u.roles) for u in session.scalars(
                    select(User).options(selectinload(User.role_rows)).order_by(User.id))))


@pytest.fixture
def admins(client, auth, make_user):
    """ada (signed in) and bob are admins; ivy investigates."""
    ids = {"ada": auth.login_as("admin", "ada"), "bob": make_user("bob", "admin"),
           "ivy": make_user("ivy", "investigator")}
    return ids


def refused(response, sentence: str) -> None:
    assert response.status_code == 403, response.status_code
    assert sentence in response.get_data(as_text=True)


@pytest.mark.parametrize("roles", [["supervisor"], ["auditor"], ["admin", "auditor"], ["investigator"]])
def test_self_grant_is_refused_and_nothing_changes(client, db, admins, roles):
    before = snapshot(db)
    refused(post(client, f"/admin/users/{admins['ada']}/roles", {"roles": roles}),
            "Nobody changes their own roles")
    assert snapshot(db) == before


@pytest.mark.parametrize("other", [role for role in ROLES if role != "admin"])
def test_admin_is_never_combined_with_another_role(client, db, admins, other):
    before = snapshot(db)
    sentence = "The admin role is never combined with a case role or the auditor role"
    refused(post(client, f"/admin/users/{admins['bob']}/roles", {"roles": ["admin", other]}), sentence)
    refused(post(client, f"/admin/users/{admins['ivy']}/roles", {"roles": ["admin", other]}), sentence)
    created = post(client, "/admin/users/new", {"username": "eve", "password": PASSWORD,
                                                "roles": ["admin", other]})
    refused(created, sentence)
    assert 'value="eve"' in created.get_data(as_text=True)  # the form again, as typed
    assert snapshot(db) == before


def test_the_command_line_keeps_admin_apart_too(runner, db, admins):
    result = runner.invoke(args=["users", "set-roles", "bob", "--role", "admin", "--role", "supervisor"])
    assert result.exit_code == 1 and "never combined" in result.output
    assert roles_of(db, "bob") == ("admin",)


@pytest.mark.parametrize("role", ["supervisor", "auditor"])
def test_supervisor_and_auditor_need_a_second_admin(app, client, db, admins, role):
    response = post(client, f"/admin/users/{admins['ivy']}/roles", {"roles": ["investigator", role]})
    assert response.status_code == 302
    assert roles_of(db, "ivy") == ("investigator",)  # not yet
    page = client.get("/admin/users").get_data(as_text=True)
    assert "waiting for a second admin" in page
    with db.sessions() as session:
        grant = session.scalar(select(RoleGrant).where(RoleGrant.decision == "pending"))
    before = snapshot(db)
    refused(post(client, f"/admin/grants/{grant.id}/approve"), "needs a second admin")
    assert snapshot(db) == before

    bob = app.test_client()
    assert post(bob, "/login", {"username": "bob", "password": PASSWORD}).status_code == 302
    assert post(bob, f"/admin/grants/{grant.id}/approve").status_code == 302
    assert roles_of(db, "ivy") == tuple(sorted(("investigator", role)))
    with db.sessions() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.event_type == "role_grant_approved")).one()
    assert '"proposed_by":"ada"' in event.payload and '"decided_by":"bob"' in event.payload


def test_a_new_supervisor_account_waits_for_the_second_admin(client, db, admins):
    response = post(client, "/admin/users/new", {"username": "sock", "password": PASSWORD,
                                                 "roles": ["supervisor"]})
    assert response.status_code == 302
    assert roles_of(db, "sock") == ()
    flash = client.get("/admin/users").get_data(as_text=True)
    assert "sock" in flash and "supervisor" in flash


def test_an_admin_cannot_make_a_second_admin_to_approve_their_own_proposals(app, client, db, admins):
    response = post(client, "/admin/users/new", {"username": "carl", "password": PASSWORD,
                                                 "roles": ["admin"]})
    assert response.status_code == 302 and roles_of(db, "carl") == ()
    with db.sessions() as session:
        grant = session.scalar(select(RoleGrant).where(RoleGrant.role == "admin"))
    refused(post(client, f"/admin/grants/{grant.id}/approve"), "needs a second admin")
    carl = app.test_client()  # a roleless account reaches no admin page
    assert post(carl, "/login", {"username": "carl", "password": PASSWORD}).status_code == 302
    assert carl.get("/admin/users").status_code == 403
    bob = app.test_client()
    assert post(bob, "/login", {"username": "bob", "password": PASSWORD}).status_code == 302
    assert post(bob, f"/admin/grants/{grant.id}/approve").status_code == 302
    assert roles_of(db, "carl") == ("admin",)


def test_a_grant_to_oneself_cannot_be_approved_by_oneself(db, admins):
    actors = {name: audit.Actor(admins[name], name, ("admin",)) for name in ("ada", "bob")}
    with db.transaction() as session:
        ivy = session.get(User, admins["ivy"])
        [grant] = accounts.set_roles(session, actors["bob"], ivy, ["investigator", "supervisor"])
        grant_id = grant.id
    with pytest.raises(Forbidden, match="second admin"):
        with db.transaction() as session:
            accounts.decide_grant(session, actors["bob"], grant_id, True)
    with db.transaction() as session:
        accounts.decide_grant(session, actors["ada"], grant_id, False)
    assert roles_of(db, "ivy") == ("investigator",)


def test_admins_still_see_no_case_content(app, client, auth, db, cast, full_case):
    """The URL-map sweep: every GET an admin may make shows no case reference, title or audit."""
    assert auth.login("adm").status_code == 302
    refused(post(client, f"/admin/users/{cast['adm'].id}/roles", {"roles": ["admin", "supervisor"]}),
            "Nobody changes their own roles")
    seen = 0
    for rule in get_routes(app):  # the API with a token: tests/test_access_sweep.py
        address = url(rule, page_ids(full_case, cast))
        response = client.get(address)
        body = response.get_data(as_text=True)
        assert response.status_code in (200, 302, 400, 403, 404), address
        assert "CW-" not in body and "Chlorine barrel bomb" not in body, address
        seen += 1
    assert seen >= 15
