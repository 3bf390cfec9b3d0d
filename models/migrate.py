"""Running the Alembic migrations from code (CLI and tests)."""
from __future__ import annotations

from alembic import command
from alembic.config import Config

from config import PROJECT_ROOT
from models.database import WRITE, Database


def alembic_config(connection=None) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.attributes["connection"] = connection
    return config


def upgrade(database: Database, revision: str = "head") -> None:
    """Migrate the database up to `revision`."""
    with database.engine.connect() as connection:
        command.upgrade(alembic_config(connection.execution_options(**WRITE)), revision)
        connection.commit()


def downgrade(database: Database, revision: str = "-1") -> None:
    """Migrate the database down to `revision`."""
    with database.engine.connect() as connection:
        command.downgrade(alembic_config(connection.execution_options(**WRITE)), revision)
        connection.commit()


def current(database: Database) -> str | None:
    from alembic.runtime.migration import MigrationContext
    with database.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
