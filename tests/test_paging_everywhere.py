"""Every list that can grow shows a bounded page, links to the page that holds the rest, and
keeps its filters in those links: decided reviews, a case's History and evidence register, the
audit log, search results, notifications, the task inbox, and the API's task lists."""
from __future__ import annotations

import re
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup

from workflow import evidence, reviews, tasks
from workflow.command import ANY_VERSION


def soup_of(client, url: str) -> BeautifulSoup:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def rel(soup: BeautifulSoup, name: str, within=None) -> str | None:
    """The address of the link with rel=`name` (in `within`, a part of the page), if any."""
    found = (within or soup).select_one(f'a[rel="{name}"]')
    return found["href"] if found else None


def query(url: str) -> dict:
    return parse_qs(urlsplit(url).query)


def cycle_requests(db, cast, case_id: int, count: int) -> None:
    """`count` gate requests on the case, each withdrawn by its requester: a decision and two
    audit events each."""
    for _ in range(count):
        with db.transaction() as session:
            request_id = reviews.request_gate(session, cast["ivy"], case_id,
                                              expected_version=ANY_VERSION, target="investigation").id
        with db.transaction() as session:
            reviews.withdraw_gate(session, cast["ivy"], request_id, expected_version=ANY_VERSION)


@pytest.fixture
def ready_case(make_case, satisfy):
    """A staffed case whose gate to investigation is open."""
    case_id = make_case()
    satisfy(case_id, "investigation")
    return case_id


def test_decided_reviews_are_paged_and_the_tab_survives_paging(db, client, auth, cast, ready_case):
    cycle_requests(db, cast, ready_case, 53)
    auth.login("sue")
    first = soup_of(client, "/reviews?tab=decided")
    assert len(first.select('section[data-testid^="decided-"]')) == 50
    following = rel(first, "next")
    assert following and query(following) == {"tab": ["decided"], "page": ["2"]}
    second = soup_of(client, following)
    assert len(second.select('section[data-testid^="decided-"]')) == 3 and rel(second, "next") is None
    seen = {s["data-testid"] for page in (first, second) for s in page.select('section[data-testid^="decided-"]')}
    assert len(seen) == 53


@pytest.mark.both_databases
def test_a_case_history_is_paged_newest_first(db, client, auth, cast, ready_case):
    cycle_requests(db, cast, ready_case, 15)  # 30 events more than the case had
    auth.login("ivy")
    first = soup_of(client, f"/cases/{ready_case}")
    history = first.select_one('[data-testid="history"]')
    rows = [int(tr.td.get_text()) for tr in history.select("tbody tr")]
    assert len(rows) == 20 and rows == sorted(rows, reverse=True)
    pages = history.find_next("nav")
    following = rel(first, "next", pages)
    assert following and query(following) == {"history": ["2"]} and following.endswith("#history")
    everything = rows
    while following:
        page = soup_of(client, following)
        part = page.select_one('[data-testid="history"]')
        everything += [int(tr.td.get_text()) for tr in part.select("tbody tr")]
        following = rel(page, "next", part.find_next("nav"))
    assert everything == sorted(set(everything), reverse=True) and len(everything) > 30
    assert re.search(r"Gate request withdrawn", str(history))


def test_a_case_evidence_register_is_paged_and_other_pages_stay_put(db, client, auth, cast,
                                                                    make_case):
    case_id = make_case()
    with db.transaction() as session:
        for n in range(45):
            evidence.add_evidence(session, cast["ivy"], case_id, expected_version=ANY_VERSION,
                                  kind="document", title=f"Witness list {n:02d}")
    auth.login("ivy")
    first = soup_of(client, f"/cases/{case_id}?history=1")
    register = first.select_one('[data-testid="evidence"]')
    titles = [a.get_text() for a in register.select("tbody a")]
    assert titles == [f"Witness list {n:02d}" for n in range(20)]
    following = rel(first, "next", register)
    assert query(following) == {"history": ["1"], "evidence": ["2"]}
    last = soup_of(client, f"/cases/{case_id}?evidence=3")
    titles = [a.get_text() for a in last.select_one('[data-testid="evidence"]').select("tbody a")]
    assert titles == [f"Witness list {n:02d}" for n in range(40, 45)]
    assert rel(last, "next", last.select_one('[data-testid="evidence"]')) is None


def test_the_audit_log_steps_older_and_newer_keeping_its_filters(db, client, auth, cast, make_case):
    case_id = make_case(staffed=False)
    with db.transaction() as session:
        for n in range(130):
            tasks.add_task(session, cast["sue"], case_id, title=f"Check {n}", role="investigator")
    auth.login("aud")
    first = soup_of(client, "/audit?actor=sue&type=task_created")
    seqs = [int(tr["data-seq"]) for tr in first.select("tr[data-seq]")]
    assert len(seqs) == 100 and rel(first, "prev") is None
    older = rel(first, "next")
    assert query(older)["actor"] == ["sue"] and query(older)["type"] == ["task_created"]
    second = soup_of(client, older)
    rest = [int(tr["data-seq"]) for tr in second.select("tr[data-seq]")]
    assert len(rest) == 30 and max(rest) < min(seqs) and rel(second, "next") is None
    newer = rel(second, "prev")
    assert query(newer)["actor"] == ["sue"] and "before" not in query(newer)
    back = soup_of(client, newer)
    assert [int(tr["data-seq"]) for tr in back.select("tr[data-seq]")] == seqs
    assert rel(second, "first") == "/audit?actor=sue&type=task_created"


def test_search_results_are_paged_with_a_window_that_keeps_every_filter(db, client, auth, make_case):
    for n in range(45):
        make_case(title=f"Brackenfold incident {n}", summary="Brackenfold again")
    auth.login("ivy")
    first = soup_of(client, "/search?q=brackenfold&kind=case&stage=reported")
    assert len(first.select('[data-testid="search-case"]')) == 20
    links = [a["href"] for a in first.select('nav[aria-label="Pages of results"] a')]
    assert [query(link)["page"] for link in links if "rel" not in link] == [["1"], ["2"], ["3"], ["2"]]
    following = rel(first, "next")
    assert query(following) == {"q": ["brackenfold"], "kind": ["case"], "stage": ["reported"],
                                "page": ["2"]}
    last = soup_of(client, following.replace("page=2", "page=3"))
    assert len(last.select('[data-testid="search-case"]')) == 5 and rel(last, "next") is None
    shown = {s["data-case"] for page in (first, soup_of(client, following), last)
             for s in page.select('[data-testid="search-case"]')}
    assert len(shown) == 45
    beyond = client.get("/search?q=brackenfold&kind=case&stage=reported&page=99")
    assert beyond.status_code == 302
    assert query(beyond.headers["Location"]) == {"q": ["brackenfold"], "kind": ["case"],
                                                 "stage": ["reported"], "page": ["3"]}
    # Parameters named as url_for's own options stay parameters of the links and the redirect.
    odd = "/search?q=brackenfold&kind=case&stage=reported&_anchor=x&_method=POST&_external=1"
    assert query(rel(soup_of(client, odd), "next"))["_anchor"] == ["x"]
    moved = client.get(odd + "&page=99")
    assert moved.status_code == 302 and moved.headers["Location"].startswith("/search?")
    assert query(moved.headers["Location"])["_external"] == ["1"]


def test_notifications_step_older_and_back_to_newer(db, client, auth, cast, make_case):
    case_id = make_case()
    with db.transaction() as session:
        for n in range(60):
            tasks.add_task(session, cast["sue"], case_id, title=f"Survey {n}", role="investigator")
    auth.login("ivy")
    first = soup_of(client, "/account/notifications")
    ids = [int(li["data-notification"]) for li in first.select("[data-notification]")]
    assert len(ids) == 50 and ids == sorted(ids, reverse=True)
    second = soup_of(client, rel(first, "next"))
    rest = [int(li["data-notification"]) for li in second.select("[data-notification]")]
    assert rest and max(rest) < min(ids) and len(ids) + len(rest) >= 60
    assert rel(second, "next") is None
    back = soup_of(client, rel(second, "prev"))
    assert [int(li["data-notification"]) for li in back.select("[data-notification]")] == ids


def test_my_tasks_are_paged_in_the_inbox(db, client, auth, cast, make_case):
    case_id = make_case()
    with db.transaction() as session:
        for n in range(57):
            task = tasks.add_task(session, cast["sue"], case_id, title=f"Mine {n:02d}",
                                  role="investigator")
            tasks.assign(session, cast["sue"], task.id, case_id=case_id, user_id=cast["ivy"].id)
    auth.login("ivy")
    first = soup_of(client, "/tasks")
    mine = first.select_one('[data-testid="my-tasks"]')
    assert len(mine.select("tr[data-task]")) == 50
    following = rel(first, "next", mine.find_next("nav"))
    assert query(following) == {"mine": ["2"]}
    second = soup_of(client, following).select_one('[data-testid="my-tasks"]')
    assert len(second.select("tr[data-task]")) == 7


@pytest.mark.both_databases
@pytest.mark.parametrize("path, assign", [("/tasks/queues", False), ("/tasks/mine", True)])
def test_the_api_task_lists_give_every_task_once_by_cursor(db, api, cast, make_case, path, assign):
    case_id = make_case()
    with db.transaction() as session:
        for n in range(123):
            task = tasks.add_task(session, cast["sue"], case_id, title=f"Task {n:03d}",
                                  role="investigator",
                                  due_on=None if n % 4 == 0 else date(2030, 1, 1 + n % 9))
            if assign:
                tasks.assign(session, cast["sue"], task.id, case_id=case_id, user_id=cast["ivy"].id)
    ivy = api("ivy")
    seen, url, pages = [], f"{path}?limit=50", 0
    while url:
        page = ivy.get(url)
        assert page.status_code == 200, page.json
        assert len(page.json["items"]) <= 50
        seen += [item["id"] for item in page.json["items"]]
        link = page.headers.get("Link")
        assert (link is None) == (page.json["next_cursor"] is None)
        url = (path + "?" + urlsplit(re.search(r"<([^>]+)>", link).group(1)).query) if link else None
        pages += 1
    assert pages == 3 and len(seen) == len(set(seen)) == 123
    everything = ivy.get(f"{path}?limit=100").json["items"] + []
    due = [(item["due_on"] is None, item["due_on"] or "", item["id"]) for item in everything]
    assert due == sorted(due)
    assert ivy.get(f"{path}?cursor=bm9wZQ").status_code == 400
