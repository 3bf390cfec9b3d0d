"""Alembic environment: runs on the app's connection, or on DATABASE_URL from the shell."""
from alembic import context

from config import load_settings
from models import Base
from models.database import WRITE, make_engine
from models.search import modelled

config = context.config


def run_migrations(connection) -> None:
    context.configure(connection=connection, target_metadata=Base.metadata,
                      render_as_batch=connection.dialect.name == "sqlite",
                      compare_type=True, include_name=modelled)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        run_migrations(connection)
        return
    engine = make_engine(load_settings().DATABASE_URL)
    with engine.connect() as connection:
        run_migrations(connection.execution_options(**WRITE))
    engine.dispose()


run_online()
