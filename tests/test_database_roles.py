"""On PostgreSQL the app runs as a role that owns nothing: it may read and append to the log, no more."""
from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import ProgrammingError

from app import create_app
from models.audit_schema import APPEND_ONLY_TABLES
from workflow import accounts, audit

pytestmark = pytest.mark.postgres


@pytest.fixture
def app_role(database_url):
    """A login role of its own, dropped with everything granted to it."""
    name = f"restraint_app_{os.getpid()}"
    owner = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with owner.connect() as connection:
        connection.execute(text(f'DROP ROLE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE ROLE "{name}" LOGIN'))
    yield name
    with owner.connect() as connection:
        connection.execute(text(f'DROP OWNED BY "{name}"'))
        connection.execute(text(f'DROP ROLE "{name}"'))
    owner.dispose()


@pytest.fixture
def runtime_app(database_url, app_role, tmp_path):
    runtime_url = make_url(database_url).set(username=app_role).render_as_string(hide_password=False)
    app = create_app({"ENV": "test", "DATABASE_URL": runtime_url, "MIGRATION_DATABASE_URL": database_url,
                      "DATABASE_APP_ROLE": app_role, "EVIDENCE_DIR": str(tmp_path / "evidence")})
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    yield app
    app.extensions["database"].dispose()


TRIGGERS = {table: f"{table}_no_update_delete" for table in APPEND_ONLY_TABLES}
REFUSED = [
    "UPDATE {table} SET {column} = {column}",
    "DELETE FROM {table}",
    "TRUNCATE {table}",
    "ALTER TABLE {table} DISABLE TRIGGER ALL",
    "ALTER TABLE {table} DISABLE TRIGGER {trigger}",
    "DROP TRIGGER {trigger} ON {table}",
    "DROP TABLE {table}",
]
COLUMNS = {"audit_events": "payload", "audit_tree": "nodes", "audit_checkpoints": "note",
           "audit_cosignatures": "line", "audit_verifications": "reason", "comments": "body"}


def test_the_runtime_role_works_and_appends_to_the_log(runtime_app):
    database = runtime_app.extensions["database"]
    with database.transaction() as session:
        accounts.create_user(session, audit.SYSTEM, "ivy", "a long password 1", ["investigator"])
    with database.sessions() as session:
        assert audit.verify_chain(session).ok


@pytest.mark.parametrize("table", APPEND_ONLY_TABLES)
@pytest.mark.parametrize("statement", REFUSED)
def test_the_runtime_role_cannot_change_or_unprotect_the_log(runtime_app, table, statement):
    database = runtime_app.extensions["database"]
    with database.transaction() as session:  # rows to change, so only privilege can stop it
        accounts.create_user(session, audit.SYSTEM, "ivy", "a long password 1", ["investigator"])
    sql = statement.format(table=table, column=COLUMNS[table], trigger=TRIGGERS[table])
    with database.engine.connect() as connection:
        with pytest.raises(ProgrammingError, match="permission denied|must be owner"):
            connection.execute(text(sql))
        connection.rollback()
    with database.sessions() as session:
        assert audit.verify_chain(session).ok
