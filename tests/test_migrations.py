"""Migrations: the migrated schema equals the models; every revision goes down and up again."""
from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from models import Base, migrate


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
