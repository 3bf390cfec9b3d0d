"""The statements a page sends, and SQLite's plans of them for tests that check an index is sought."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event


@contextmanager
def sent_statements(db) -> Iterator[list[tuple[str, object]]]:
    """Each statement sent while the block runs, with its values, as it goes to the database."""
    sent = []
    listener = lambda _c, _cur, statement, values, *_: sent.append((statement, values))  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        yield sent
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)


def sql(sent: list[tuple[str, object]]) -> list[str]:
    """The statements of `sent` but BEGIN (SQLite's; PostgreSQL begins without one)."""
    return [statement for statement, _values in sent if not statement.startswith("BEGIN")]


def page_statements(db, client, url: str) -> list[tuple[str, object]]:
    """Each statement one GET of `url` sends, with its values."""
    with sent_statements(db) as sent:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return sent


def page_plans(db, client, url: str) -> list[tuple[str, list[str]]]:
    """Each statement one GET of `url` sends (BEGIN aside), with the steps of SQLite's plan of it."""
    return plans(db, page_statements(db, client, url))


def plans(db, sent: list[tuple[str, object]]) -> list[tuple[str, list[str]]]:
    """Each statement of `sent` (BEGIN aside), with the steps of SQLite's plan of it (of its
    first row of values, if it ran for many)."""
    with db.engine.connect() as connection:
        return [(statement, [step for *_ids, step in connection.exec_driver_sql(
                    f"EXPLAIN QUERY PLAN {statement}", _first(values))])
                for statement, values in sent if not statement.startswith("BEGIN")]


def _first(values):
    many = isinstance(values, list) and values and isinstance(values[0], (tuple, list, dict))
    return values[0] if many else values
