"""Running the Alembic migrations from code (CLI and tests)."""
from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from config import PROJECT_ROOT
from models.audit_schema import APPEND_ONLY_TABLES
from models.database import WRITE, Database


class UpgradeRefused(RuntimeError):
    """An upgrade would add a rule that rows already in the database break: nothing is changed."""


def refuse_rows(connection, table: str, rule: str, where: str) -> None:
    """Stop an upgrade before it adds `rule` to `table` while rows matching `where` break it."""
    count = connection.execute(text(f"SELECT count(*) FROM {table} WHERE {where}")).scalar()
    if count:
        raise UpgradeRefused(f"refusing to upgrade: {count} rows of {table} break the rule "
                             f"{rule}; correct them, then upgrade again")


def alembic_config(connection=None) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.attributes["connection"] = connection
    return config


def upgrade(database: Database, revision: str = "head", app_role: str = "") -> None:
    """Migrate the database up to `revision`; on PostgreSQL, grant `app_role` what the app needs."""
    with database.engine.connect() as connection:
        command.upgrade(alembic_config(connection.execution_options(**WRITE)), revision)
        if app_role and connection.dialect.name == "postgresql":
            grant_runtime_role(connection, app_role)
        connection.commit()


def grant_runtime_role(connection, role: str) -> None:
    """The runtime role reads and writes case data, but may only read and append to the audit log
    (and to the notes on cases).

    It owns nothing, so it can neither disable nor drop the triggers that keep the log append-only.
    """
    audit = ", ".join(APPEND_ONLY_TABLES)
    for statement in (
            f'GRANT USAGE ON SCHEMA public TO "{role}"',
            f'REVOKE ALL ON ALL TABLES IN SCHEMA public FROM "{role}"',
            f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{role}"',
            f'REVOKE UPDATE, DELETE ON {audit}, alembic_version FROM "{role}"',
            f'REVOKE INSERT ON alembic_version FROM "{role}"',
            f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "{role}"'):
        connection.execute(text(statement))


def downgrade(database: Database, revision: str = "-1") -> None:
    """Migrate the database down to `revision`, refusing first if any step would lose audit rows.

    Every step is checked before the first runs: SQLite cannot roll back all of a downgrade.
    """
    with database.engine.connect() as connection:
        config = alembic_config(connection.execution_options(**WRITE))
        script = ScriptDirectory.from_config(config)
        head = MigrationContext.configure(connection).get_current_revision()
        target = script.get_revision(head).down_revision if revision == "-1" and head else revision
        for step in script.iterate_revisions(head, target if target != "base" else None):
            if step.revision != target and hasattr(step.module, "refuse_loss"):
                step.module.refuse_loss(connection)
        command.downgrade(config, revision)
        connection.commit()


def current(database: Database) -> str | None:
    with database.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
