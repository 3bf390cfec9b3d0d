"""Long lists: pages of a bounded size with a bounded window of links, and the list pages and
the dashboard sending as many SQL statements for 50 cases as for one."""
from __future__ import annotations

import re

import pytest
from plans import page_plans, page_statements

from workflow import reviews, tasks
from workflow.command import ANY_VERSION

#: Each page as each user reads it (the case page's own budget is tested elsewhere).
PAGES = {"sue": ("/", "/?country=Syria&year=2016", "/cases", "/cases?sort=date&dir=asc",
                 "/cases?country=syria&stage=investigation", "/reviews", "/reviews?tab=decided",
                 "/tasks", "/audit", "/account/notifications"),
         "ivy": ("/", "/cases", "/cases?sort=title", "/tasks")}


def statements(db, client, url: str) -> int:
    """The statements one GET of `url` sends, counted as they go to the database."""
    return len(page_statements(db, client, url))


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


def test_a_long_queue_is_paged_with_a_window_of_links(db, client, auth, cast, make_case):
    """273 tasks in the investigators' queue: 50 a page, links to a few pages either side."""
    case_id = make_case()
    with db.transaction() as session:
        for n in range(273):
            tasks.add_task(session, cast["sue"], case_id, title=f"Task {n:03d}", role="investigator")
    assert auth.login("ivy").status_code == 302
    first = client.get("/tasks").get_data(as_text=True)
    queue = first[first.index('data-testid="my-queues"'):]
    assert queue.count("Task ") == 50 and "Task 000" in queue and "Task 050" not in queue
    assert re.findall(r'queue=(\d+)"[^>]*>\d+<', queue) == ["1", "2", "3"] and 'rel="next"' in queue
    fourth = client.get("/tasks?queue=4").get_data(as_text=True)
    queue = fourth[fourth.index('data-testid="my-queues"'):]
    assert "Task 150" in queue and "Task 149" not in queue
    assert re.findall(r'queue=(\d+)"[^>]*>\d+<', queue) == ["2", "3", "4", "5", "6"]
    last = client.get("/tasks?queue=99").get_data(as_text=True)  # past the end: the last page
    queue = last[last.index('data-testid="my-queues"'):]
    assert "Task 272" in queue and queue.count("Task ") == 23 and 'rel="next"' not in queue


@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_a_later_page_of_the_case_list_is_sought_in_its_sort_index(db, client, auth, cast, make_case,
                                                                     direction):
    """By SQLite's plan: the page after a case starts at that case in the index of the sort,
    (title, id), instead of reading the index from its start up to the case."""
    for n in range(3):
        make_case(title=f"Case {n}")
    assert auth.login("sue").status_code == 302
    plan = next(plan for statement, plan in page_plans(db, client, f"/cases?sort=title&dir={direction}&after=2")
                if statement.startswith("SELECT cases.id, cases.reference"))
    assert any(step.startswith("SEARCH cases USING INDEX ix_cases_title_id") for step in plan), plan
