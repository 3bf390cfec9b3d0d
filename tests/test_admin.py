"""Admin pages: accounts and roles, for admins only."""
from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from webclient import PASSWORD, post

from models.audit import AuditEvent
from models.user import User
from workflow.roles import ROLES


def user_named(db, username: str) -> User | None:
    with db.sessions() as session:
        return session.scalar(select(User).options(selectinload(User.role_rows))
                              .where(User.username == username))


def event_types(db) -> list[str]:
    with db.sessions() as session:
        return session.scalars(select(AuditEvent.event_type).order_by(AuditEvent.seq)).all()


@pytest.mark.parametrize("role", [role for role in ROLES if role != "admin"])
def test_non_admins_get_403_naming_the_role(client, auth, role):
    auth.login_as(role)
    for url in ("/admin/users", "/admin/users/new"):
        response = client.get(url)
        assert response.status_code == 403
        assert "needs the admin role" in response.get_data(as_text=True)
    assert post(client, "/admin/users/new", {"username": "x", "password": PASSWORD,
                                              "roles": ["admin"]}).status_code == 403


def test_admin_creates_user_sets_roles_and_deactivates(client, auth, db):
    auth.login_as("admin", "ada")
    response = post(client, "/admin/users/new", {
        "username": "Lena", "full_name": "Lena Legal", "email": "lena@example.org",
        "password": PASSWORD, "roles": ["legal_officer", "analyst"]})
    assert response.status_code == 302
    lena = user_named(db, "lena")
    assert lena.roles == ("analyst", "legal_officer") and lena.password_hash.startswith("scrypt:")
    assert "Lena Legal" in client.get("/admin/users").get_data(as_text=True)

    assert post(client, f"/admin/users/{lena.id}/roles", {"roles": ["investigator"]}).status_code == 302
    assert user_named(db, "lena").roles == ("investigator",)
    assert post(client, f"/admin/users/{lena.id}/deactivate").status_code == 302
    assert not user_named(db, "lena").active
    assert post(client, f"/admin/users/{lena.id}/activate").status_code == 302
    assert user_named(db, "lena").active
    assert event_types(db)[-4:] == ["user_created", "user_roles_changed", "user_deactivated",
                                    "user_activated"]


@pytest.mark.parametrize("form, message", [
    ({"username": "", "password": PASSWORD, "roles": ["analyst"]}, "Username: This field is required"),
    ({"username": "bad name!", "password": PASSWORD, "roles": ["analyst"]}, "Username: 2 to 64"),
    ({"username": "ok", "password": "short", "roles": ["analyst"]}, "Initial password: Field must be"),
    ({"username": "ok", "password": PASSWORD}, "Roles: Choose at least one role"),
    ({"username": "ok", "password": PASSWORD, "roles": ["wizard"]}, "Roles: &#39;wizard&#39; is not a valid choice"),
    ({"username": "ok", "password": PASSWORD, "roles": ["analyst"], "email": "nope"}, "Email: Invalid email"),
    ({"username": "ada", "password": PASSWORD, "roles": ["analyst"]}, "the username &#39;ada&#39; is taken"),
])
def test_bad_user_form_names_the_field_and_creates_nobody(client, auth, db, form, message):
    auth.login_as("admin", "ada")
    before = event_types(db)
    response = post(client, "/admin/users/new", form)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert event_types(db) == before


def test_admin_cannot_deactivate_themselves(client, auth, db):
    admin_id = auth.login_as("admin", "ada")
    response = post(client, f"/admin/users/{admin_id}/deactivate")
    assert response.status_code == 422
    assert "cannot deactivate your own account" in response.get_data(as_text=True)
    assert user_named(db, "ada").active


def test_unknown_user_is_404(client, auth):
    auth.login_as("admin")
    assert client.get("/admin/users/999/roles").status_code == 404
    assert post(client, "/admin/users/999/deactivate").status_code == 404


def test_nobody_changes_their_own_roles(client, auth, db):
    admin_id = auth.login_as("admin", "ada")
    before = event_types(db)
    # The form is not offered: its page says why, with no Save to press.
    offered = client.get(f"/admin/users/{admin_id}/roles")
    assert offered.status_code == 403 and "Save</button>" not in offered.get_data(as_text=True)
    assert "Nobody changes their own roles" in offered.get_data(as_text=True)
    response = post(client, f"/admin/users/{admin_id}/roles", {"roles": ["auditor"]})
    assert response.status_code == 403
    assert "Nobody changes their own roles" in response.get_data(as_text=True)
    assert user_named(db, "ada").roles == ("admin",) and event_types(db) == before
    assert client.get("/admin/users").status_code == 200


@pytest.mark.both_databases
def test_the_accounts_come_a_page_at_a_time_and_are_found_by_name(client, auth, db):
    auth.login_as("admin", "ada")
    with db.transaction() as session:
        session.add_all(User(username=f"user{n:03}", full_name=f"Person {n}", password_hash="-")
                        for n in range(60))
    page = BeautifulSoup(client.get("/admin/users").get_data(as_text=True), "html.parser")
    rows = page.select('[data-testid="users"] tbody tr')
    assert len(rows) == 50 and rows[0].bdi.get_text() == "ada"
    assert not rows[0].select("form, a") and rows[1].select_one('form[action$="/deactivate"]')
    assert page.select_one('a[rel="next"]')["href"] == "/admin/users?page=2"
    second = BeautifulSoup(client.get("/admin/users?page=2").get_data(as_text=True), "html.parser")
    shown = [row.bdi.get_text() for row in second.select('[data-testid="users"] tbody tr')]
    assert len(shown) == 11 and shown[-1] == "user059"
    found = BeautifulSoup(client.get("/admin/users?q=PERSON+5").get_data(as_text=True), "html.parser")
    assert [row.bdi.get_text() for row in found.select('[data-testid="users"] tbody tr')] == [
        "user005", *(f"user{n:03}" for n in range(50, 60))]
    assert "Nobody has that name." in client.get("/admin/users?q=zz").get_data(as_text=True)
    with db.transaction() as session:
        session.add(User(username="emile", full_name="Émile Zola", password_hash="-"))
    found = BeautifulSoup(client.get("/admin/users?q=%C3%A9mile+z").get_data(as_text=True),
                          "html.parser")  # "émile z"
    assert [row.bdi.get_text() for row in found.select('[data-testid="users"] tbody tr')] == ["emile"]
    # The pages of a search keep it; a page past the last shows the last.
    found = BeautifulSoup(client.get("/admin/users?q=user").get_data(as_text=True), "html.parser")
    assert found.select_one('a[rel="next"]')["href"] == "/admin/users?q=user&page=2"
    last = BeautifulSoup(client.get("/admin/users?page=99").get_data(as_text=True), "html.parser")
    assert last.select('[data-testid="users"] tbody tr')[-1].bdi.get_text() == "user059"
