"""Migrations: the migrated schema equals the models; every revision goes down and up again."""
from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, inspect, select

from models import AuditEvent, AuditTreeLeaf, Base, migrate
from models.audit_schema import AuditLossRefused
from workflow import audit, transparency


def schema_diff(db) -> list:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)


@pytest.mark.both_databases
def test_migrated_schema_equals_the_models(db):
    assert schema_diff(db) == []


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
