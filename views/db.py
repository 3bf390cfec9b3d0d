"""The database as views see it: a request-scoped session for reading, transactions for writing."""
from __future__ import annotations

from flask import current_app, g
from sqlalchemy.orm import Session

from models.database import Database


def database() -> Database:
    return current_app.extensions["database"]


def session() -> Session:
    """The session of this request, closed at teardown."""
    if "db_session" not in g:
        g.db_session = database().sessions()
    return g.db_session


def transaction():
    """A write transaction for one service call: commit or rollback happen here."""
    return database().transaction()


def close_session(_error=None) -> None:
    db_session = g.pop("db_session", None)
    if db_session is not None:
        db_session.close()
