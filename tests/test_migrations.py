"""Migrations: the migrated schema equals the models; every revision goes down and up again."""
from __future__ import annotations

import itertools
import os
import re

import conftest
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, inspect, make_url, select, text

from models import AuditEvent, AuditTreeLeaf, Base, migrate
from models.audit_schema import (APPEND_ONLY_TABLES, POSTGRESQL_FUNCTION, AuditLossRefused,
                                 append_only)
from models.database import Database
from models.migrate import UpgradeRefused
from models.search import modelled
from test_database_rules import BROKEN
from workflow import audit, transparency

_names = itertools.count()


def schema_diff(db) -> list:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                               "include_name": modelled})
        return compare_metadata(context, Base.metadata)


@pytest.mark.both_databases
def test_migrated_schema_equals_the_models(db):
    assert schema_diff(db) == []


# --- what compare_metadata does not see: CHECKs, triggers, partial-index predicates ------

@pytest.fixture
def models_db(db, backend, tmp_path):
    """A database built from the models' metadata and the append-only triggers, never migrated."""
    if backend == "sqlite":
        database = Database(f"sqlite:///{tmp_path / 'models.db'}")
        yield _build_from_models(database)
        database.dispose()
        return
    name = f"restraint_models_{os.getpid()}_{next(_names)}"
    admin = conftest._pg_admin_engine()
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    database = Database(make_url(conftest.TEST_DATABASE_URL).set(database=name)
                        .render_as_string(hide_password=False))
    yield _build_from_models(database)
    database.dispose()
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _build_from_models(database: Database) -> Database:
    Base.metadata.create_all(database.engine)
    dialect = database.engine.dialect.name
    with database.engine.begin() as connection:
        if dialect == "postgresql":
            connection.execute(text(POSTGRESQL_FUNCTION))
        for table in APPEND_ONLY_TABLES:
            for statement in append_only(dialect, table):
                connection.execute(text(statement))
    return database


def _normal(sql: str | None) -> str | None:
    """SQL text without case or spacing differences, and without redundant outer parentheses."""
    if sql is None:
        return None
    sql = re.sub(r"\s+", " ", sql.strip().lower())
    while sql.startswith("(") and sql.endswith(")") and _balanced(sql[1:-1]):
        sql = sql[1:-1].strip()
    return sql


def _balanced(sql: str) -> bool:
    depth = 0
    for char in sql:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def _predicate(definition: str) -> str | None:
    _, where, predicate = definition.partition(" WHERE ")
    return _normal(predicate) if where else None


def schema_rules(database: Database) -> dict[str, dict]:
    """The CHECK constraints, triggers and index predicates of a database, comparable across builds."""
    inspector = inspect(database.engine)
    tables = [name for name in inspector.get_table_names() if name != "alembic_version"]
    checks = {(table, check["name"]): _normal(check["sqltext"])
              for table in tables for check in inspector.get_check_constraints(table)}
    with database.engine.connect() as connection:
        if database.is_postgresql:
            triggers = {(table, name): kind for table, name, kind in connection.execute(text(
                "SELECT c.relname, t.tgname, t.tgtype FROM pg_trigger t "
                "JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal"))}
            indexes = {(table, name): _predicate(definition) for table, name, definition in
                       connection.execute(text("SELECT tablename, indexname, indexdef FROM pg_indexes "
                                               "WHERE schemaname = 'public'"))}
        else:
            triggers = {(table, name): re.search(r"(BEFORE|AFTER|INSTEAD OF) (\w+)", sql).groups()
                        for table, name, sql in connection.execute(text(
                            "SELECT tbl_name, name, sql FROM sqlite_master WHERE type = 'trigger'"))}
            indexes = {(table, name): _predicate(sql) for table, name, sql in connection.execute(text(
                "SELECT tbl_name, name, sql FROM sqlite_master "
                "WHERE type = 'index' AND sql IS NOT NULL"))}
    return {"checks": checks, "triggers": triggers,
            "indexes": {key: value for key, value in indexes.items() if key[0] in tables}}


@pytest.mark.both_databases
def test_migrated_checks_triggers_and_index_predicates_equal_the_models(db, models_db):
    migrated, modelled = schema_rules(db), schema_rules(models_db)
    for part in ("checks", "triggers", "indexes"):
        assert migrated[part] == modelled[part], part
    # The comparison sees what it is meant to: the rules of the latest revision among them.
    assert {("findings", "ck_findings_agent"), ("findings", "ck_findings_kind_conclusion"),
            ("gate_requests", "ck_gate_requests_rejected_has_reason")} <= set(migrated["checks"])
    assert "pending" in migrated["indexes"][("gate_requests", "uq_gate_requests_one_pending")]
    assert len(migrated["triggers"]) >= 2 * len(APPEND_ONLY_TABLES)


@pytest.mark.both_databases
def test_upgrade_downgrade_upgrade(db, runner):
    head = ScriptDirectory.from_config(migrate.alembic_config()).get_current_head()
    assert migrate.current(db) == head
    result = runner.invoke(args=["db", "downgrade", "base"])
    assert result.exit_code == 0, result.output
    assert migrate.current(db) is None
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0 and head in result.output
    assert schema_diff(db) == []


@pytest.mark.both_databases
def test_each_revision_steps_down_and_up(db):
    script = ScriptDirectory.from_config(migrate.alembic_config())
    revisions = [rev.revision for rev in script.walk_revisions()]
    for revision in revisions:
        migrate.downgrade(db, "-1")
        migrate.upgrade(db, revision)
        migrate.downgrade(db, "-1")
    migrate.upgrade(db)
    assert schema_diff(db) == []


def _log_with_events(db, count: int = 5) -> None:
    with db.transaction() as session:
        for n in range(count):
            audit.append(session, "note", audit.SYSTEM, case_id=n % 2 + 1, details={"n": n})


@pytest.mark.both_databases
@pytest.mark.parametrize("target", ["625e0ab58772", "fa77edef31e1", "base"])
def test_a_downgrade_that_would_lose_audit_rows_refuses_and_changes_nothing(db, runner, target):
    _log_with_events(db)
    head = migrate.current(db)
    result = runner.invoke(args=["db", "downgrade", target])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "Error: refusing to downgrade: audit_tree holds 5 rows that would be lost "
        "(set RESTRAINT_ALLOW_AUDIT_LOSS=1 to allow it)"]
    assert migrate.current(db) == head
    with db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(AuditTreeLeaf)) == 5
        assert audit.verify_chain(session).ok


@pytest.mark.both_databases
def test_the_upgrade_builds_the_tree_over_an_existing_log(db, monkeypatch):
    _log_with_events(db, 37)
    with db.sessions() as session:
        before = transparency.root_at(session, 37)
    monkeypatch.setenv("RESTRAINT_ALLOW_AUDIT_LOSS", "1")
    migrate.downgrade(db, "625e0ab58772")
    monkeypatch.delenv("RESTRAINT_ALLOW_AUDIT_LOSS")
    migrate.upgrade(db)
    with db.sessions() as session:
        assert transparency.root_at(session, 37) == before
        assert audit.verify_chain(session).ok
    # Past the tree, the first revision guards the events themselves.
    monkeypatch.setenv("RESTRAINT_ALLOW_AUDIT_LOSS", "1")
    migrate.downgrade(db, "625e0ab58772")
    monkeypatch.delenv("RESTRAINT_ALLOW_AUDIT_LOSS")
    with db.sessions() as session:  # checkpoints and verifications are empty here
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == 37
    with pytest.raises(AuditLossRefused, match="audit_events holds 37 rows"):
        migrate.downgrade(db, "base")
    assert migrate.current(db) == "625e0ab58772"


# --- the revision that adds the finding and gate request rules, over existing rows --------

BEFORE_RULES = "747c0d859474"
CITATIONS = "SELECT finding_id, evidence_id FROM finding_citations ORDER BY finding_id, evidence_id"


@pytest.mark.both_databases
def test_the_rules_upgrade_keeps_rows_that_keep_the_rules(db, full_case):
    with db.sessions() as session:
        cited = session.execute(text(CITATIONS)).all()
        requests = session.execute(text("SELECT id, decision FROM gate_requests ORDER BY id")).all()
    migrate.downgrade(db, BEFORE_RULES)
    with db.sessions() as session:
        assert session.execute(text(CITATIONS)).all() == cited
    migrate.upgrade(db)
    assert schema_diff(db) == []
    with db.sessions() as session:
        assert cited and session.execute(text(CITATIONS)).all() == cited
        assert session.execute(text("SELECT id, decision FROM gate_requests ORDER BY id")).all() == requests
        assert session.scalar(text(
            "SELECT count(*) FROM finding_citations c JOIN findings f ON f.id = c.finding_id "
            "WHERE c.case_id <> f.case_id")) == 0


CROSS_CASE = ("that a finding cites evidence of its own case only",
              "INSERT INTO finding_citations (finding_id, evidence_id) "
              "SELECT min(id), (SELECT max(id) FROM evidence_items) FROM findings")
ONE_PER_RULE = list({rule: (rule, statement) for rule, statement in reversed(BROKEN)}.values())


@pytest.mark.both_databases
@pytest.mark.parametrize("rule, statement", [*ONE_PER_RULE, CROSS_CASE])
def test_the_rules_upgrade_refuses_rows_that_break_a_rule(app, db, cast, make_case, full_case,
                                                          rule, statement):
    conftest.add_evidence_with_file(app, db, cast["ivy"], make_case())  # the newest item: another case's
    migrate.downgrade(db, BEFORE_RULES)
    with db.engine.begin() as connection:
        assert connection.execute(text(statement)).rowcount >= 1
    with pytest.raises(UpgradeRefused) as refusal:
        migrate.upgrade(db)
    message = str(refusal.value)
    assert message.startswith("refusing to upgrade: ") and rule in message and "\n" not in message
    assert migrate.current(db) == BEFORE_RULES
    assert "case_id" not in {column["name"] for column in inspect(db.engine).get_columns("finding_citations")}


def test_flask_db_upgrade_refuses_in_one_line(app, db, runner, cast, make_case, full_case):
    conftest.add_evidence_with_file(app, db, cast["ivy"], make_case())
    migrate.downgrade(db, BEFORE_RULES)
    with db.engine.begin() as connection:
        connection.execute(text(CROSS_CASE[1]))
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: refusing to upgrade: ")
    assert migrate.current(db) == BEFORE_RULES
