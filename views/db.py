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
        g.db_session.info["remembered"] = {}  # see workflow.queries.remembered
    return g.db_session


def transaction():
    """A write transaction for one service call: commit or rollback happen here.

    The request's read transaction ends first and gives its connection back, so that no
    request ever holds two connections of the pool (threads waiting on each other's second
    connection would stall until the pool's timeout). What it read stays loaded.
    """
    reading = g.get("db_session")
    if reading is not None and reading.in_transaction():
        if _unsaved(reading):
            raise RuntimeError("the request's read session holds unsaved changes; "
                               "changes go through a workflow service in a transaction")
        reading.commit()
        reading.info["remembered"] = {}  # what was read before the write may have changed
    return database().transaction()


def close_session(error=None) -> None:
    """End the request's read transaction by a commit, which writes nothing here: psycopg
    forgets every statement it has prepared on a connection at each ROLLBACK, and PostgreSQL
    would plan every query of every page afresh (a millisecond or more for the case's)."""
    db_session = g.pop("db_session", None)
    if db_session is None:
        return
    if error is None and db_session.in_transaction() and not _unsaved(db_session):
        db_session.commit()
    db_session.close()


def _unsaved(session: Session) -> bool:
    return bool(session.new or session.dirty or session.deleted)
