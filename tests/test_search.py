"""Search: every kind of record found by its words, in English and Arabic, on both databases;
need-to-know holds in results, snippets and counts; the index follows edits and withdrawals."""
from __future__ import annotations

import re
from datetime import date

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from alembic.script import ScriptDirectory

from models import Case, SearchEntry, migrate
from workflow import cases, deterrence, evidence, responses, search
from workflow.command import ANY_VERSION

SEARCH_REVISION = "5e4c1d2a9f70"
#: A word of each searched field, English and Arabic, found nowhere else.
FIELDS = {
    ("case", "title"): ("Marjayoun", "مرجعيون"),
    ("case", "summary"): ("Thornbury", "الزعفرانة"),
    ("evidence", "title"): ("Quillfeather", "ريشة"),
    ("evidence", "description"): ("Cindermoss", "الاسطوانة"),
    ("evidence", "source"): ("Larkspire", "مراسلنا"),
    ("finding", "rationale"): ("Bastionward", "المروحية"),
    ("finding", "responsible_party"): ("Gravelholt", "كتيبة"),
    ("response", "actor"): ("Lanternfall", "محكمة"),
    ("response", "description"): ("Marrowdeep", "تجميد"),
    ("response", "legal_basis"): ("Oakenshaw", "اتفاقية"),
    ("message", "speaker"): ("Harrowgate", "المتحدث"),
    ("message", "summary"): ("Wyvernholm", "الردع"),
}


def words(kind: str, field: str) -> str:
    english, arabic = FIELDS[(kind, field)]
    return f"{english} {arabic}"


@pytest.fixture
def records(db, cast, make_case, move) -> dict:
    """A case in legal consequence holding one record of each kind, each field with its words."""
    case_id = make_case(title=f"Attack near {words('case', 'title')}",
                        summary=f"Reported from {words('case', 'summary')} at dawn.")
    move(case_id, "legal_consequence")
    ivy, leo = cast["ivy"], cast["leo"]
    with db.transaction() as session:
        item = evidence.add_evidence(
            session, ivy, case_id, expected_version=ANY_VERSION, kind="imagery",
            title=f"Photograph {words('evidence', 'title')}",
            description=f"A cylinder, {words('evidence', 'description')}, on the roof.",
            source=f"Sent by {words('evidence', 'source')}")
        finding = evidence.record_finding(
            session, ivy, case_id, expected_version=ANY_VERSION, kind="attribution",
            conclusion="attributed", party_type="non_state_group",
            standard_of_proof="reasonable_grounds",
            responsible_party=f"Brigade {words('finding', 'responsible_party')}",
            rationale=f"Seen from {words('finding', 'rationale')} over the town.")
        response = responses.propose_response(
            session, leo, case_id, expected_version=ANY_VERSION, level="national", tool="legal",
            actor_name=f"Court of {words('response', 'actor')}",
            description=f"Assets frozen: {words('response', 'description')}.",
            legal_basis=f"Statute {words('response', 'legal_basis')}")
        message = deterrence.record_message(
            session, ivy, case_id, expected_version=ANY_VERSION, said_on=date(2024, 1, 5),
            audience="the press", speaker=f"Spokesperson {words('message', 'speaker')}",
            summary=f"Any use will be answered: {words('message', 'summary')}.")
        ids = {"case": case_id, "evidence": item.id, "finding": finding.id,
               "response": response.id, "message": message.id}
    return ids


def find(db, actor, text: str, **filters) -> search.Results:
    with db.sessions() as session:
        return search.find(session, actor, search.Filters(text=text, **filters))


def kinds_found(results: search.Results) -> set[tuple[int, str, int]]:
    return {(group.case.id, hit.kind, hit.record_id) for group in results.groups for hit in group.hits}


@pytest.mark.both_databases
def test_each_kind_of_record_is_found_by_a_word_of_each_field_in_english_and_arabic(db, cast, records):
    for (kind, field), pair in FIELDS.items():
        for word in pair:
            results = find(db, cast["ivy"], word)
            assert results.total == 1, (kind, field, word)
            assert kinds_found(results) == {(records["case"], kind, records[kind])}, (kind, field, word)
            (hit,) = results.groups[0].hits
            assert (word, True) in hit.snippet, (kind, field, word, hit.snippet)


@pytest.mark.both_databases
def test_every_word_must_appear_and_a_star_finds_the_words_it_begins(db, cast, records):
    assert kinds_found(find(db, cast["sue"], "Quillfeather Cindermoss Larkspire")) == {
        (records["case"], "evidence", records["evidence"])}
    assert find(db, cast["sue"], "Quillfeather Bastionward").total == 0
    assert kinds_found(find(db, cast["sue"], "quillfea*")) == {
        (records["case"], "evidence", records["evidence"])}
    assert find(db, cast["sue"], "quillfea").total == 0
    group = find(db, cast["sue"], "Photograph OR Brigade").groups  # words, never operators
    assert group == []


@pytest.mark.both_databases
def test_arabic_is_found_without_its_article_vowels_or_letter_variants(db, cast, make_case):
    case_id = make_case(summary="سقطت الأسطوانة على مستشفى إدلب في ٢٠١٧ وهرب الناسُ")
    for query in ("اسطوانة", "الاسطوانة", "أسطوانة", "ادلب", "مستشفى", "المستشفى", "الناس",
                  "2017", "٢٠١٧", "اسطو*"):
        results = find(db, cast["ivy"], query)
        assert [group.case.id for group in results.groups] == [case_id], query


@pytest.mark.both_databases
def test_someone_off_the_team_finds_nothing_of_the_case_not_a_snippet_nor_a_count(
        client, auth, db, cast, records):
    team_page = search_page(client, auth, "ivy", "Quillfeather")
    assert "Quillfeather</mark>" in team_page and "One case holds" in team_page
    for outsider in ("out", "ian"):
        assert find(db, cast[outsider], "Quillfeather").total == 0
        page = search_page(client, auth, outsider, "Quillfeather Marjayoun")
        text = BeautifulSoup(page, "html.parser").select_one("main")
        text.select_one('[data-testid="search-form"]').extract()  # the words typed come back there
        shown = " ".join(text.get_text(" ").split())
        assert shown == "Search 0 cases hold records with every word."
        assert "Marjayoun" not in shown and "CW-" not in shown
    auth.logout()
    auth.login("adm")
    assert client.get("/search?q=Quillfeather").status_code == 403


def test_counts_are_of_the_cases_the_user_may_see(db, cast, make_case):
    mine = make_case(summary="Tamarisk grows by the road")
    make_case(staffed=False, summary="Tamarisk grows by the river")  # ivy opened it: on its team
    with db.transaction() as session:
        theirs = cases.open_case(session, cast["ian"], title="Elsewhere", summary="Tamarisk again").id
    assert find(db, cast["sue"], "tamarisk").total == 3
    ivy = find(db, cast["ivy"], "tamarisk")
    assert ivy.total == 2 and theirs not in {group.case.id for group in ivy.groups}
    assert mine in {group.case.id for group in ivy.groups}
    assert find(db, cast["ana"], "tamarisk").total == 1


@pytest.mark.both_databases
def test_the_index_follows_edits_and_withdrawals(db, cast, records):
    case_id = records["case"]
    with db.transaction() as session:
        cases.update_case(session, cast["ivy"], case_id, expected_version=ANY_VERSION,
                          title="Attack near Ravenscar")
    assert find(db, cast["ivy"], "Marjayoun").total == 0
    assert kinds_found(find(db, cast["ivy"], "Ravenscar")) == {(case_id, "case", case_id)}
    assert find(db, cast["ivy"], "Thornbury").total == 1  # the summary, unchanged, still found
    with db.transaction() as session:
        evidence.withdraw_evidence(session, cast["ivy"], case_id, expected_version=ANY_VERSION,
                                   evidence_id=records["evidence"], reason="A copy of another item")
    for word in FIELDS[("evidence", "description")]:
        assert find(db, cast["ivy"], word).total == 0
    with db.sessions() as session:
        entries = session.scalar(select(func.count()).select_from(SearchEntry)
                                 .where(SearchEntry.record_type == "evidence",
                                        SearchEntry.record_id == records["evidence"]))
    assert entries == 0


@pytest.mark.both_databases
def test_filters_narrow_by_stage_country_year_and_kind(db, cast, make_case, records):
    other = make_case(country="Iraq", occurred_on=date(2015, 3, 1), summary="Cindermoss as well")
    sue = cast["sue"]
    both = {records["case"], other}
    assert {g.case.id for g in find(db, sue, "cindermoss").groups} == both
    assert {g.case.id for g in find(db, sue, "cindermoss", stage="reported").groups} == {other}
    assert {g.case.id for g in find(db, sue, "cindermoss", country="syria").groups} == {records["case"]}
    assert {g.case.id for g in find(db, sue, "cindermoss", year=2015).groups} == {other}
    assert kinds_found(find(db, sue, "cindermoss", kinds=("evidence",))) == {
        (records["case"], "evidence", records["evidence"])}
    assert find(db, sue, "cindermoss", kinds=("finding", "message")).total == 0


def search_page(client, auth, username: str, query: str, **params) -> str:
    auth.logout()
    auth.login(username)
    response = client.get("/search", query_string={"q": query, **params})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def test_the_page_groups_by_case_links_each_record_and_escapes_what_it_shows(
        client, auth, db, cast, make_case, records):
    with db.transaction() as session:
        evidence.add_evidence(session, cast["ivy"], records["case"], expected_version=ANY_VERSION,
                              kind="document", title="<script>alert(1)</script> Cindermoss")
    soup = BeautifulSoup(search_page(client, auth, "ivy", "cindermoss"), "html.parser")
    (group,) = soup.select('[data-testid="search-case"]')
    hits = group.select('[data-testid="hit"]')
    assert [hit["data-kind"] for hit in hits] == ["evidence", "evidence"]
    assert hits[0].select_one("a")["href"] == f"/cases/{records['case']}/evidence/{records['evidence']}"
    assert "<script>" not in str(group) and "&lt;script&gt;" in str(group)
    assert [mark.get_text() for mark in group.select("mark")] == ["Cindermoss", "Cindermoss"]
    links = {hit["data-kind"]: hit.select_one("a")["href"]
             for hit in BeautifulSoup(search_page(client, auth, "ivy", "Lanternfall Oakenshaw"),
                                      "html.parser").select('[data-testid="hit"]')}
    assert links == {"response": f"/cases/{records['case']}/responses/{records['response']}"}
    soup = BeautifulSoup(search_page(client, auth, "ivy", "Harrowgate"), "html.parser")
    assert soup.select_one('[data-testid="hit"] a')["href"] == f"/cases/{records['case']}#messages"


def test_every_matching_record_of_one_case_by_its_reference(client, auth, db, cast, make_case):
    case_id = make_case(summary="Saltmarsh")
    with db.transaction() as session:
        for n in range(5):
            evidence.add_evidence(session, cast["ivy"], case_id, expected_version=ANY_VERSION,
                                  kind="document", title=f"Saltmarsh report {n}")
        reference = session.get(Case, case_id).reference
    page = search_page(client, auth, "ivy", "saltmarsh")
    soup = BeautifulSoup(page, "html.parser")
    assert len(soup.select('[data-testid="hit"]')) == search.SHOWN
    assert "6 matching records" in soup.get_text()
    more = soup.find("a", string=re.compile("Every matching record of"))["href"]
    assert f"case={reference}" in more
    every = BeautifulSoup(client.get(more).get_data(as_text=True), "html.parser")
    assert len(every.select('[data-testid="hit"]')) == 6
    assert client.get("/search?q=saltmarsh&case=CW-1999-0001").status_code == 400
    assert "No case CW-1999-0001 that you may see." in BeautifulSoup(client.get(
        "/search?q=saltmarsh&case=CW-1999-0001").get_data(as_text=True), "html.parser").get_text()


def test_bad_filters_are_shown_beside_their_field(client, auth, cast):
    auth.login("ivy")
    response = client.get("/search?q=x&year=1800&kind=rumour&stage=nowhere")
    assert response.status_code == 400
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    errors = " ".join(e.get_text() for e in soup.select(".invalid-feedback"))
    assert "Year of the incident:" in errors and "Kinds of record:" in errors and "Stage:" in errors


def test_the_navigation_offers_the_search_box_to_those_who_see_cases(client, auth, cast):
    auth.login("ivy")
    soup = BeautifulSoup(client.get("/account").get_data(as_text=True), "html.parser")
    box = soup.select_one('nav form[role="search"]')
    assert box["action"] == "/search" and box.select_one('input[name="q"]')
    auth.logout()
    auth.login("adm")
    assert not BeautifulSoup(client.get("/account").get_data(as_text=True),
                             "html.parser").select('nav form[role="search"]')


@pytest.mark.both_databases
def test_the_migration_indexes_the_records_already_there(db, cast, records):
    with db.sessions() as session:
        before = session.scalar(select(func.count()).select_from(SearchEntry))
    script = ScriptDirectory.from_config(migrate.alembic_config())
    migrate.downgrade(db, script.get_revision(SEARCH_REVISION).down_revision)
    migrate.upgrade(db)
    with db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(SearchEntry)) == before
    for (kind, _field), (english, arabic) in FIELDS.items():
        assert kinds_found(find(db, cast["sue"], arabic)) == {(records["case"], kind, records[kind])}


def test_words_are_normalised_alike_for_the_index_and_the_query():
    assert search.words("Café-CRÈME ٣٤ ＡＢＣ") == ["cafe", "creme", "34", "abc"]
    assert search.words("الكَلُوْر وـالإسعاف") == ["الكلور", "والاسعاف"]
    assert search.forms("والاسعاف") == ("والاسعاف", "اسعاف")
    assert search.forms("ال") == ("ال",) and search.forms("الم") == ("الم",)
    assert search.terms_of(["the the THE", ""]) == "the"
    assert search.fts5_query(search.parse("a b*")) == '("a") AND ("b"*)'
    assert search.tsquery(search.parse("الكلور")) == "('الكلور' | 'كلور')"


@pytest.mark.both_databases
def test_the_newest_first_read_a_chunk_at_a_time_counted_up_to_a_cap(db, cast, make_case, monkeypatch):
    monkeypatch.setattr(search, "CHUNK", 3)
    monkeypatch.setattr(search, "PAGE", 2)
    monkeypatch.setattr(search, "COUNT_CAP", 4)
    opened = [make_case(staffed=False, summary=f"Juniper {n}") for n in range(7)]
    newest_first = opened[::-1]
    first = find(db, cast["sue"], "juniper")  # every case: read from the newest match on
    assert [group.case.id for group in first.groups] == newest_first[:2]
    assert not first.complete and first.total == 6 and first.has_next
    last = find(db, cast["sue"], "juniper", page=4)
    assert [group.case.id for group in last.groups] == newest_first[6:]
    assert last.complete and last.total == 7 and not last.has_next
    # ivy is on the team of each (she opened them): found from her cases, counted exactly.
    team = find(db, cast["ivy"], "juniper")
    assert [group.case.id for group in team.groups] == newest_first[:2]
    assert team.complete and team.total == 7
    with db.transaction() as session:
        evidence.add_evidence(session, cast["ivy"], opened[0], expected_version=ANY_VERSION,
                              kind="document", title="Juniper again")
    assert [group.case.id for group in find(db, cast["sue"], "juniper").groups][0] == opened[0]


def test_a_year_that_is_no_number_is_refused_once(client, auth, cast):
    auth.login("ivy")
    response = client.get("/search?q=sarin&year=twenty")
    assert response.status_code == 400
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert [e.get_text() for e in soup.select(".invalid-feedback")] == [
        "Year of the incident: Not a valid integer value."]
    early = BeautifulSoup(client.get("/search?q=sarin&year=1800").get_data(as_text=True), "html.parser")
    assert "a year from 1900 to" in early.select_one(".invalid-feedback").get_text()
