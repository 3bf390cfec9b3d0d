"""The list pages and the dashboard send as many SQL statements for 50 cases as for one."""
from __future__ import annotations

import pytest
from sqlalchemy import event

from workflow import reviews
from workflow.command import ANY_VERSION

#: Each page as each user reads it (the case page's own budget is tested elsewhere).
PAGES = {"sue": ("/", "/?country=Syria&year=2016", "/cases", "/cases?sort=date&dir=asc",
                 "/cases?country=syria&stage=investigation", "/reviews", "/tasks", "/audit"),
         "ivy": ("/", "/cases", "/cases?sort=title", "/tasks")}


def statements(db, client, url: str) -> int:
    """The statements one GET of `url` sends, counted as they go to the database."""
    sent = []
    listener = lambda *args: sent.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        response = client.get(url)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert response.status_code == 200, (url, response.status_code)
    return len(sent)


def census(db, client, auth) -> dict:
    counts = {}
    for username, urls in PAGES.items():
        assert auth.login(username).status_code == 302
        counts.update({(username, url): statements(db, client, url) for url in urls})
        auth.logout()
    return counts


def add_cases(db, cast, make_case, satisfy, count: int) -> None:
    """Cases in reported, every fifth with a pending request to enter investigation."""
    for n in range(count):
        case_id = make_case()
        if n % 5 == 0:
            satisfy(case_id, "investigation")
            with db.transaction() as session:
                reviews.request_gate(session, cast["ivy"], case_id, expected_version=ANY_VERSION,
                                     target="investigation")


@pytest.mark.both_databases
def test_list_pages_and_dashboard_cost_the_same_for_1_and_50_cases(db, client, auth, cast,
                                                                   make_case, move, satisfy):
    move(make_case(), "investigation")  # tasks in the queues, and a stay that ended
    add_cases(db, cast, make_case, satisfy, 1)
    one = census(db, client, auth)
    add_cases(db, cast, make_case, satisfy, 49)
    fifty = census(db, client, auth)
    assert fifty == one
