"""The case page reads a fixed, small number of statements, whatever the case holds."""
from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import event

from tests.test_case_pages import sign_in

#: The most statements the case page may send (the sign-in's user lookup included).
CASE_PAGE_STATEMENTS = 12


@contextmanager
def statements(db):
    """The SQL statements sent while the block runs."""
    sent: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        sent.append(statement)
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


@pytest.mark.both_databases
@pytest.mark.parametrize("username", ["sue", "ivy"])
def test_the_case_page_sends_at_most_twelve_statements(client, auth, cast, db, full_case, username):
    sign_in(auth, cast, username)
    with statements(db) as sent:
        response = client.get(f"/cases/{full_case['case_id']}")
    assert response.status_code == 200
    assert len(sent) <= CASE_PAGE_STATEMENTS, "\n".join(s.split("\n")[0][:120] for s in sent)


@pytest.mark.both_databases
def test_the_case_page_reads_as_many_statements_for_a_new_case_as_for_a_full_one(
        client, auth, cast, db, full_case, make_case):
    sign_in(auth, cast, "sue")
    counts = []
    for case_id in (make_case(), full_case["case_id"]):
        with statements(db) as sent:
            assert client.get(f"/cases/{case_id}").status_code == 200
        counts.append(len(sent))
    assert counts[0] == counts[1]
