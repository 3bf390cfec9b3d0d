"""The command line: users, demo accounts, audit verify."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from models.audit import AuditEvent
from models.user import User
from workflow.roles import ROLES


def test_users_create_list_set_roles_deactivate(runner, db):
    result = runner.invoke(args=["users", "create", "Rae", "--role", "analyst", "--role", "auditor",
                                 "--full-name", "Rae Analyst", "--password-stdin"],
                           input="a long enough password\n")
    assert result.exit_code == 0, result.output
    assert "created rae (analyst, auditor)" in result.output
    assert runner.invoke(args=["users", "list"]).output == "rae\tanalyst,auditor\tactive\n"
    assert runner.invoke(args=["users", "set-roles", "rae", "--role", "supervisor"]).exit_code == 0
    assert runner.invoke(args=["users", "deactivate", "rae"]).exit_code == 0
    assert runner.invoke(args=["users", "list"]).output == "rae\tsupervisor\tdeactivated\n"
    with db.sessions() as session:
        user = session.scalar(select(User))
        assert user.password_hash.startswith("scrypt:") and "long enough" not in user.password_hash
        kinds = session.scalars(select(AuditEvent.event_type).order_by(AuditEvent.seq)).all()
    assert kinds == ["user_created", "user_roles_changed", "user_deactivated"]


def test_cli_refusals_are_one_line_and_change_nothing(runner, db):
    cases = [
        (["users", "create", "bo", "--role", "analyst", "--password-stdin"], "short\n",
         "password: at least 12 characters"),
        (["users", "create", "bo", "--role", "wizard", "--password-stdin"], "a long enough password\n",
         "unknown role wizard"),
        (["users", "deactivate", "nobody"], None, "no user named 'nobody'"),
        (["users", "set-roles", "nobody", "--role", "analyst"], None, "no user named 'nobody'"),
    ]
    for args, stdin, message in cases:
        result = runner.invoke(args=args, input=stdin)
        assert result.exit_code == 1, result.output
        assert result.output.strip() == f"Error: {message}" or message in result.output
        assert len(result.output.strip().splitlines()) == 1
    with db.sessions() as session:
        assert session.scalar(select(User)) is None
        assert session.scalar(select(AuditEvent)) is None


def test_demo_accounts_only_on_an_empty_database(runner, db):
    result = runner.invoke(args=["users", "demo"])
    assert result.exit_code == 0
    lines = result.output.strip().splitlines()[1:]
    assert [line.split()[0] for line in lines] == list(ROLES)
    passwords = {line.split()[0]: line.split()[1] for line in lines}
    with db.sessions() as session:
        stored = {user.username: user for user in session.scalars(
            select(User).options(selectinload(User.role_rows)))}
    for role, password in passwords.items():
        assert stored[role].roles == (role,)
        assert password not in stored[role].password_hash
    again = runner.invoke(args=["users", "demo"])
    assert "no demo accounts created" in again.output
    with db.sessions() as session:
        assert len(session.scalars(select(User)).all()) == len(ROLES)


def test_demo_passwords_sign_in(runner, auth):
    lines = runner.invoke(args=["users", "demo"]).output.strip().splitlines()[1:]
    username, password = lines[3].split()
    assert username == "supervisor"
    assert auth.login(username, password).status_code == 302


def test_the_command_line_speaks_the_language_its_environment_names(runner, db, monkeypatch):
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "ar_SY.UTF-8")
    created = runner.invoke(args=["users", "create", "rae", "--role", "analyst", "--password-stdin"],
                            input="a long enough password\n")
    assert created.exit_code == 0, created.output
    assert created.output.strip() == "أُنشئ rae (analyst)"
    refused = runner.invoke(args=["users", "create", "bo", "--role", "analyst", "--password-stdin"],
                            input="short\n")
    assert refused.exit_code == 1
    assert "كلمة المرور" in refused.output and "password" not in refused.output
    # What scripts read stays as it is.
    assert runner.invoke(args=["users", "list"]).output == "rae\tanalyst\tactive\n"
    assert runner.invoke(args=["audit", "verify"]).output.startswith("OK ")
