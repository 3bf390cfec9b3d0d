"""The statements a page sends, and SQLite's plans of them for tests that check an index is sought."""
from __future__ import annotations

from sqlalchemy import event


def page_statements(db, client, url: str) -> list[tuple[str, object]]:
    """Each statement one GET of `url` sends, with its values, as it goes to the database."""
    sent = []
    listener = lambda _c, _cur, statement, values, *_: sent.append((statement, values))  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        response = client.get(url)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert response.status_code == 200, (url, response.status_code)
    return sent


def page_plans(db, client, url: str) -> list[tuple[str, list[str]]]:
    """Each statement one GET of `url` sends (BEGIN aside), with the steps of SQLite's plan of it."""
    sent = page_statements(db, client, url)
    with db.engine.connect() as connection:
        return [(statement, [step for *_ids, step in connection.exec_driver_sql(
                    f"EXPLAIN QUERY PLAN {statement}", values)])
                for statement, values in sent if not statement.startswith("BEGIN")]
