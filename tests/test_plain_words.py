"""Words for people: codes shown by their names, counts with the right plural, text people
wrote marked dir="auto" (so a date beside Arabic stays in place), and a bad filter value said
beside its field instead of being dropped without a word."""
from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup, NavigableString
from webclient import post

from workflow import cases, comments, evidence, reviews, tasks
from workflow.command import ANY_VERSION
from workflow.errors import Invalid
from workflow.words import human, plural

#: Text written by people, in Arabic, put in every field of a case, an evidence item and a note.
ARABIC = {"title": "هجوم بالكلور على حي سكني", "place": "سراقب", "summary": "شهود يصفون رائحة الكلور",
          "delivery_means": "برميل متفجر"}
ITEM = {"title": "شهادة ممرضة", "description": "وصف الأعراض في المستشفى", "source": "مستشفى المدينة",
        "collected_by": "فريق التوثيق"}
NOTE = "ملاحظة: تحقق من التاريخ 2016-08-10"


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def direction_of(page: BeautifulSoup, text: str) -> list[str | None]:
    """For each place `text` is shown, the `dir` of the nearest element around it that has one."""
    found = []
    for string in page.find_all(string=lambda s: isinstance(s, NavigableString) and text in s):
        if string.parent.name in ("title", "textarea", "option", "script"):
            continue
        holder = next((p for p in string.parents if p.has_attr("dir")), None)
        found.append(holder["dir"] if holder is not None else None)
    return found


@pytest.mark.parametrize("count, words", [(0, "0 milestones"), (1, "1 milestone"), (2, "2 milestones"),
                                          (1200, "1,200 milestones")])
def test_a_count_has_the_plural_its_number_needs(app, count, words):
    assert plural(count, "milestone") == words
    with app.test_request_context():
        template = app.jinja_env.from_string("{{ n | plural('laboratory', 'laboratories') }}")
        assert template.render(n=count) == words.replace("milestones", "laboratories").replace(
            "milestone", "laboratory")


def test_codes_have_human_names():
    assert [human(c) for c in ("sulfur_mustard", "legal_consequence", "vx", "education_outreach")] == [
        "Sulfur mustard", "Legal consequence", "VX", "Education and outreach"]


@pytest.mark.parametrize("days, words", [("1", "no move for 1 day or more"),
                                         ("2", "no move for 2 days or more")])
def test_the_dashboard_counts_days_in_words(client, auth, cast, days, words):
    auth.login("sue")
    page = soup(client.get(f"/?stall_days={days}"))
    assert words in page.select_one('[data-testid="stalled"] h2').get_text()


def test_a_refused_choice_names_the_choices_as_people_say_them(db, cast, make_case):
    case_id = make_case()
    with pytest.raises(Invalid) as refused:
        with db.transaction() as session:
            cases.update_case(session, cast["ivy"], case_id, expected_version=ANY_VERSION,
                              suspected_agent="tear gas")
    message = str(refused.value)
    assert "Sulfur mustard" in message and "VX" in message and "sulfur_mustard" not in message
    assert "one of" not in message


def test_the_case_page_speaks_without_codes(db, client, auth, cast, make_case, move):
    case_id = make_case(suspected_agent="sulfur_mustard")
    with db.transaction() as session:  # a task left behind in the stage the case leaves
        tasks.add_task(session, cast["sue"], case_id, title="Interview the nurse", role="investigator")
    move(case_id, "investigation")
    auth.login("ivy")
    page = soup(client.get(f"/cases/{case_id}"))
    text = " ".join(page.get_text(" ").split())
    assert "Gate to Closed closed" not in text and "task(s)" not in text
    for gate in page.select('section[data-testid^="gate-"] h2'):
        assert re.search(r"\d+ requirements? not met|every requirement met", gate.get_text())
    details = page.find("dt", string="Suspected agent").find_next("dd").get_text()
    assert details == "Sulfur mustard"
    earlier = page.select_one('[data-testid="tasks"] details summary')
    assert earlier.get_text() == "1 task of earlier stages"
    listing = soup(client.get("/cases"))
    assert [o.get_text() for o in listing.select('select[name="agent"] option')][3] == "Sulfur mustard"


def test_a_reason_left_out_is_asked_for_in_words(db, client, auth, cast, make_case, satisfy):
    case_id = make_case()
    satisfy(case_id, "investigation")
    with db.transaction() as session:
        request_id = reviews.request_gate(session, cast["ivy"], case_id, expected_version=ANY_VERSION,
                                          target="investigation").id
    auth.login("sue")
    version = re.search(r'name="version" value="(\d+)"', client.get("/reviews").get_data(as_text=True))
    response = post(client, f"/reviews/{request_id}/reject", {"version": version.group(1), "reason": "",
                                                               "back": "reviews"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "A reason is needed: say why the request is rejected." in page
    assert "reason: say why" not in page


def test_text_people_wrote_is_marked_dir_auto(db, client, auth, cast, make_case):
    case_id = make_case(**ARABIC)
    with db.transaction() as session:
        item_id = evidence.add_evidence(session, cast["ivy"], case_id, expected_version=ANY_VERSION,
                                        kind="witness_interview", **ITEM).id
        comments.add_comment(session, cast["ivy"], case_id, body=NOTE)
        comments.add_comment(session, cast["ivy"], case_id, body=NOTE + " (دليل)", subject="evidence",
                             subject_id=item_id)
    auth.login("ivy")
    case_page = soup(client.get(f"/cases/{case_id}"))
    for text in (*ARABIC.values(), ITEM["title"], NOTE):
        shown = direction_of(case_page, text)
        assert shown and set(shown) == {"auto"}, (text, shown)
    item_page = soup(client.get(f"/cases/{case_id}/evidence/{item_id}"))
    for text in (ARABIC["title"], *ITEM.values(), NOTE + " (دليل)"):
        shown = direction_of(item_page, text)
        assert shown and set(shown) == {"auto"}, (text, shown)
    listing = soup(client.get("/cases"))
    assert set(direction_of(listing, ARABIC["title"])) == {"auto"}


@pytest.mark.parametrize("url, field, words", [
    ("/cases?year=twenty", "year", "“twenty” is not a year"),
    ("/cases?year=1850", "year", "give one from 1900 to"),
    ("/cases?stage=archived", "stage", "there is no stage “archived”"),
    ("/cases?agent=tear+gas", "agent", "there is no agent “tear gas”"),
    ("/?year=twenty", "year", "“twenty” is not a year"),
    ("/?stall_days=abc", "stall_days", "“abc” is not a number of days"),
    ("/?stall_days=0", "stall_days", "“0” is not a number of days"),
])
def test_a_bad_filter_value_is_said_beside_its_field(client, auth, cast, make_case, url, field, words):
    make_case()
    auth.login("sue")
    response = client.get(url)
    assert response.status_code == 400
    page = soup(response)
    control = page.select_one(f'form [name="{field}"]')
    error = control.parent.select_one('[data-testid="filter-error"]')
    assert error is not None and words in error.get_text() and error["id"] == f"{field}-error"
    if control.name == "input":  # the box keeps what was typed, for correcting it
        assert control["value"] == url.split("=", 1)[1]
    if url.startswith("/cases"):  # nothing listed under a filter the page could not read
        assert control.get("aria-describedby") == f"{field}-error"
        assert not page.select('table a[href^="/cases/"]')
        assert "Correct the filters above" in page.get_text()
        assert not page.select('[data-testid="case-count"]')  # no "0 cases" over an unread filter


def test_a_bad_filter_value_refuses_the_export_with_the_reason(client, auth, cast):
    auth.login("sue")
    response = client.get("/cases/export.csv?year=twenty")
    assert response.status_code == 400 and "is not a year" in response.get_data(as_text=True)
    response = client.get("/dashboard/stalled.csv?stall_days=0")
    assert response.status_code == 400 and "not a number of days" in response.get_data(as_text=True)
