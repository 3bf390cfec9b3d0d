"""Case pages through the test client, as the forms post them."""
from __future__ import annotations

import re
from datetime import date

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select
from webclient import csrf_token, post

from models.audit import AuditEvent
from models.case import Case
from models.gate_request import GateRequest
from workflow import cases, reviews
from workflow.command import ANY_VERSION

NEW_CASE = {"title": "Sarin attack on Khan Shaykhun", "occurred_on": "2017-04-04",
            "occurred_precision": "day", "country": "Syria", "place": "Khan Shaykhun",
            "latitude": "35.44", "longitude": "36.65", "suspected_agent": "sarin",
            "delivery_means": "aerial bomb", "deaths": "89", "injured": "541", "summary": "…"}


def state_of_db(db) -> tuple:
    """Everything a refused command must leave as it was."""
    with db.sessions() as session:
        return (session.scalars(select(Case.version).order_by(Case.id)).all(),
                session.scalars(select(Case.state).order_by(Case.id)).all(),
                session.scalar(select(func.count()).select_from(GateRequest)),
                session.scalar(select(func.count()).select_from(AuditEvent)))


def sign_in(auth, cast, username):
    response = auth.login(username)
    assert response.status_code == 302


def test_investigator_opens_a_case_and_sees_why_the_gate_is_closed(client, auth, cast, db):
    sign_in(auth, cast, "ivy")
    response = post(client, "/cases/new", NEW_CASE)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Sarin attack on Khan Shaykhun" in page and 'aria-current="step">Reported' in page
    assert re.search(r'class="unmet" data-code="lead_investigator"', page)
    assert "no lead investigator on the team" in page
    assert re.search(r'class="met" data-code="case_details"', page)
    assert "disabled>Request gate to Investigation" in page


def test_new_case_form_errors_name_the_field(client, auth, cast, db):
    sign_in(auth, cast, "ivy")
    before = state_of_db(db)
    for field, value, message in [("latitude", "91", "Latitude: between -90 and 90"),
                                  ("deaths", "-3", "Deaths: Number must be between 0 and 10000000"),
                                  ("title", "", "Title: This field is required"),
                                  ("occurred_on", "2017-13-40", "Date of the incident: Not a valid date"),
                                  ("occurred_on", "2099-01-01", "date: cannot be in the future")]:
        response = post(client, "/cases/new", {**NEW_CASE, field: value})
        assert response.status_code == 422, field
        assert message in response.get_data(as_text=True), field
    assert state_of_db(db) == before


def test_only_openers_roles_may_open(client, auth, cast):
    for username, message in (("ana", "Opening a case needs the investigator or supervisor role."),
                              ("aud", "Opening a case needs the investigator or supervisor role."),
                              ("adm", "Seeing cases needs the investigator, analyst, legal "
                                      "officer, supervisor or auditor role.")):
        sign_in(auth, cast, username)
        response = client.get("/cases/new")
        assert response.status_code == 403
        assert message in response.get_data(as_text=True)
        auth.logout()


def test_refused_gate_request_lists_the_unmet_requirements(client, auth, cast, make_case, db):
    case_id = make_case(staffed=False, place="")
    sign_in(auth, cast, "ivy")
    before = state_of_db(db)
    response = post(client, f"/cases/{case_id}/gate", {"target": "investigation", "version": "1"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    refusal = page[page.index('data-testid="refusal"'):]
    assert "Title, date, country and place are set.</strong> — <span dir=\"auto\">missing: place" in refusal
    assert "A lead investigator is on the team.</strong> — <span dir=\"auto\">no lead investigator" in refusal
    assert state_of_db(db) == before


def test_a_note_refused_because_the_case_changed_is_offered_again_as_typed(
        client, auth, cast, make_case, satisfy, db):
    case_id = make_case()
    satisfy(case_id, "investigation")
    sign_in(auth, cast, "ivy")
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    version = re.search(r'type="hidden" name="version" value="(\d+)"', page).group(1)
    with db.transaction() as session:  # someone else saves first
        cases.update_case(session, cast["ivy"], case_id, expected_version=ANY_VERSION,
                          place="Idlib")
    note = "Three witnesses describe the same smell; see items 1 and 2."
    response = post(client, f"/cases/{case_id}/gate",
                    {"target": "investigation", "version": version, "note": note})
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "changed since you loaded the page" in page and "What you wrote is kept below" in page
    assert note in page  # in the note's box, as typed
    now = re.search(r'type="hidden" name="version" value="(\d+)"', page).group(1)
    assert int(now) == int(version) + 1
    with db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(GateRequest)) == 0
    response = post(client, f"/cases/{case_id}/gate",
                    {"target": "investigation", "version": now, "note": note})
    assert response.status_code == 302
    with db.sessions() as session:
        assert session.scalar(select(GateRequest.note)) == note


def test_an_edit_refused_because_the_case_changed_is_not_offered_again(
        client, auth, cast, make_case, db):
    """Sent again as typed, an edit would undo the other change unseen: a link back instead."""
    case_id = make_case()
    sign_in(auth, cast, "ivy")
    page = client.get(f"/cases/{case_id}/edit").get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    with db.transaction() as session:
        cases.update_case(session, cast["ivy"], case_id, expected_version=ANY_VERSION,
                          place="Idlib")
    response = post(client, f"/cases/{case_id}/edit", {**NEW_CASE, "version": version})
    page = response.get_data(as_text=True)
    assert response.status_code == 409 and "Reload the case and try again" in page
    assert "What you wrote is kept" not in page and NEW_CASE["title"] not in page


def test_stale_form_is_409_with_a_link_back_and_no_change(client, auth, cast, make_case, db):
    case_id = make_case()
    sign_in(auth, cast, "ivy")
    page = client.get(f"/cases/{case_id}/edit").get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    with db.transaction() as session:  # someone else saves first
        cases.update_case(session, cast["ivy"], case_id, expected_version=int(version),
                          place="Idlib")
    before = state_of_db(db)
    response = post(client, f"/cases/{case_id}/edit", {**NEW_CASE, "version": version})
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "changed since you loaded the page" in page and f'href="/cases/{case_id}"' in page
    response = post(client, f"/cases/{case_id}/gate", {"target": "investigation", "version": version})
    assert response.status_code == 409
    assert state_of_db(db) == before


def test_admin_sees_no_case_and_auditor_changes_nothing(app, client, auth, cast, make_case, db):
    case_id = make_case()
    sign_in(auth, cast, "adm")
    for url in (f"/cases/{case_id}", "/cases", "/cases/new", "/reviews"):
        assert client.get(url).status_code == 403
    auth.logout()
    sign_in(auth, cast, "aud")
    assert client.get(f"/cases/{case_id}").status_code == 200
    before = state_of_db(db)
    response = post(client, f"/cases/{case_id}/gate", {"target": "investigation", "version": "4"})
    assert response.status_code == 403
    assert "Requesting a gate needs the investigator, analyst or legal officer role." in response.get_data(as_text=True)
    for url in (f"/cases/{case_id}/reopen", f"/cases/{case_id}/team", f"/cases/{case_id}/edit"):
        assert post(client, url, {"target": "investigation", "reason": "x", "version": "4"}).status_code == 403
    assert state_of_db(db) == before


def page_version(client, url: str) -> str:
    return re.search(r'name="version" value="(\d+)"', client.get(url).get_data(as_text=True)).group(1)


def test_request_approve_through_the_review_queue(client, auth, cast, make_case, satisfy, db):
    case_id = make_case()
    satisfy(case_id, "investigation")
    sign_in(auth, cast, "ivy")
    response = post(client, f"/cases/{case_id}/gate", {
        "target": "investigation", "version": page_version(client, f"/cases/{case_id}"),
        "note": "initial report in"})
    assert response.status_code == 302
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert 'data-testid="under-review"' in page and "Withdraw my request" in page
    auth.logout()
    sign_in(auth, cast, "sue")
    queue = client.get("/reviews").get_data(as_text=True)
    assert "Reported → Investigation" in queue and "initial report in" in queue
    request_id = re.search(r'/reviews/(\d+)/approve', queue).group(1)
    version = page_version(client, "/reviews")
    response = post(client, f"/reviews/{request_id}/reject", {"version": version, "reason": "", "back": "reviews"})
    assert response.status_code == 422 and "A reason is needed: say why" in response.get_data(as_text=True)
    response = post(client, f"/reviews/{request_id}/approve", {"version": version, "back": "reviews"})
    assert response.status_code == 302 and response.headers["Location"] == "/reviews"
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert 'aria-current="step">Investigation' in page
    assert "Gate approved" in page


def listed(page: str) -> list[str]:
    """The titles of a case list page, in order."""
    return re.findall(r'<td[^>]*><a href="/cases/\d+">[^<]+</a></td>\s*<td[^>]*>([^<]+)</td>', page)


def link(page: str, rel: str) -> str | None:
    found = re.search(rf'rel="{rel}" href="([^"]+)"', page)
    return found.group(1).replace("&amp;", "&") if found else None


def test_case_list_filters_sorts_and_pages(client, auth, cast, make_case, db):
    for n in range(55):
        make_case(staffed=False, title=f"Case {n:02d}", country="Iraq" if n % 5 == 0 else "Syria",
                  suspected_agent="sulfur_mustard" if n % 5 == 0 else "chlorine")
    sign_in(auth, cast, "ivy")
    first = client.get("/cases?sort=title&dir=asc").get_data(as_text=True)
    assert ">55 cases<" in first and listed(first) == [f"Case {n:02d}" for n in range(50)]
    second = client.get(link(first, "next")).get_data(as_text=True)
    assert listed(second) == [f"Case {n:02d}" for n in range(50, 55)] and link(second, "next") is None
    back = client.get(link(second, "prev")).get_data(as_text=True)
    assert listed(back) == listed(first) and link(back, "prev") is None
    iraq = client.get("/cases?country=iraq&agent=sulfur_mustard&year=2016").get_data(as_text=True)
    assert ">11 cases<" in iraq and '<option selected>2016</option>' in iraq
    assert ">1 case<" in client.get("/cases?q=case+07").get_data(as_text=True)
    assert ">0 cases<" in client.get("/cases?stage=closed").get_data(as_text=True)
    assert client.get("/cases?after=x").status_code == 400
    auth.logout()
    sign_in(auth, cast, "ana")  # on no team: sees none
    assert ">0 cases<" in client.get("/cases").get_data(as_text=True)


@pytest.mark.both_databases
@pytest.mark.parametrize("direction", ["asc", "desc"])
@pytest.mark.parametrize("sort", ["date", "stage"])
def test_keyset_pages_visit_every_case_once_in_order_nulls_included(client, auth, cast, make_case,
                                                                    direction, sort):
    """Dates repeat and some are unknown, every case is in one stage: following Next, then
    Previous, lists every case once."""
    for n in range(123):
        make_case(staffed=False, title=f"Case {n:03d}",
                  occurred_on=None if n % 7 == 0 else date(2015 + n % 3, 1 + n % 12, 1))
    sign_in(auth, cast, "ivy")
    url, pages = f"/cases?sort={sort}&dir={direction}", []
    while url:
        page = client.get(url).get_data(as_text=True)
        pages.append(listed(page))
        url = link(page, "next")
    assert [len(rows) for rows in pages] == [50, 50, 23]
    titles = [title for rows in pages for title in rows]
    assert sorted(titles) == [f"Case {n:03d}" for n in range(123)]
    url = link(page, "prev")
    while url:
        page = client.get(url).get_data(as_text=True)
        assert listed(page) == pages.pop(-2)
        url = link(page, "prev")
    assert len(pages) == 1


def test_workflow_diagram_is_drawn_from_the_declaration(client, auth, cast):
    sign_in(auth, cast, "aud")
    page = client.get("/workflow").get_data(as_text=True)
    assert "stateDiagram-v2" in page and "evaluation --&gt; legal_consequence:" in page
    assert "Title, date, country and place are set." in page
    with client.get("/static/vendor/mermaid/mermaid.min.js") as script:
        assert script.status_code == 200


def test_dashboard_counts_visible_cases_by_stage_and_reviews(client, auth, cast, make_case, move,
                                                            satisfy, db):
    make_case(), make_case(staffed=False)
    moved = make_case()
    move(moved, "attribution")
    satisfy(moved, "legal_consequence")
    with db.transaction() as session:
        reviews.request_gate(session, cast["ivy"], moved, expected_version=ANY_VERSION,
                             target="legal_consequence")
    sign_in(auth, cast, "sue")
    page = client.get("/").get_data(as_text=True)
    assert 'data-stage="reported">2<' in page and 'data-stage="attribution">1<' in page
    assert "1 gate request awaiting a decision" in page
    auth.logout()
    sign_in(auth, cast, "leo")  # on the teams of the two staffed cases only
    page = client.get("/").get_data(as_text=True)
    assert 'data-stage="reported">1<' in page
    assert 'data-testid="pending-reviews"' not in page


def test_a_refusal_beside_its_field_names_the_field_once(client, auth, cast, db):
    sign_in(auth, cast, "ivy")
    response = post(client, "/cases/new", {**NEW_CASE, "country": "Narnia"})
    assert response.status_code == 422
    error = BeautifulSoup(response.get_data(as_text=True), "html.parser").select_one(
        ".invalid-feedback").get_text()
    assert error.startswith("Country: “Narnia” is not a country we know")
    typed = post(client, "/cases/new", {**NEW_CASE, "title": ""})  # a form's own check: labelled
    assert "Title: This field is required" in typed.get_data(as_text=True)
    # The label in the reader's language, never the field's code word in its place.
    client.post("/language", data={"locale": "ar", "next": "/cases/new",
                                   "csrf_token": csrf_token(client)})
    arabic = BeautifulSoup(post(client, "/cases/new", {**NEW_CASE, "country": "Narnia"}).get_data(
        as_text=True), "html.parser").select_one(".invalid-feedback").get_text()
    assert arabic.startswith("البلد: ") and "country" not in arabic and "Narnia" in arabic


def test_every_mistake_of_a_new_case_is_named_at_the_first_sending(client, auth, cast, db):
    sign_in(auth, cast, "ivy")
    response = post(client, "/cases/new", {**NEW_CASE, "title": "", "latitude": "91",
                                           "country": "Narnia"})
    assert response.status_code == 422
    errors = [e.get_text() for e in BeautifulSoup(response.get_data(as_text=True),
                                                  "html.parser").select(".invalid-feedback")]
    assert any(e.startswith("Title:") for e in errors) and any(e.startswith("Latitude:") for e in errors)
    assert any(e.startswith("Country: “Narnia”") for e in errors)
