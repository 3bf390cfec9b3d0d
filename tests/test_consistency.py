"""The consistency check: a case is compared with the cases like it, cell by cell of the menu."""
from __future__ import annotations

from datetime import date

import pytest

from tests.test_case_pages import sign_in
from models.case import Case
from workflow import cases, consistency, evidence, registers, responses
from workflow.command import ANY_VERSION

pytestmark = pytest.mark.both_databases

#: Four names of the Syrian government forces: all roll up to the Syrian Arab Republic.
SPELLINGS = ("Syrian Arab Air Force", "Syrian government forces", "Syrian Arab Armed Forces",
             "Syrian Arab Republic (Syrian Arab Air Force)", "Syria")


@pytest.fixture
def comparable_cases(db, cast, make_case, move):
    """Five chlorine attacks attributed to the Syrian government under five names, in legal
    consequence; the first four with an international legal response adopted on 1 June 2018."""
    with db.transaction() as session:
        registers.seed(session)
    case_ids = []
    for n, name in enumerate(SPELLINGS):
        case_id = make_case(suspected_agent="chlorine", deaths=2, injured=20,
                            occurred_on=date(2018, 4, 7))
        move(case_id, "legal_consequence")
        attribute(db, cast, case_id, name, "state")
        if n < 4:
            adopt(db, cast, case_id, "international", "legal")
        case_ids.append(case_id)
    return case_ids


def attribute(db, cast, case_id: int, party: str, party_type: str) -> None:
    with db.transaction() as session:
        evidence.record_finding(session, cast["ana"], case_id, expected_version=ANY_VERSION,
                                kind="attribution", conclusion="attributed", responsible_party=party,
                                party_type=party_type, standard_of_proof="reasonable_grounds",
                                rationale="The record names them.")


def adopt(db, cast, case_id: int, level: str, tool: str) -> None:
    with db.transaction() as session:
        response = responses.propose_response(
            session, cast["leo"], case_id, expected_version=ANY_VERSION, level=level, tool=tool,
            actor_name="OPCW Executive Council", description="A decision on the attack.")
        responses.change_status(session, cast["leo"], case_id, expected_version=ANY_VERSION,
                                response_id=response.id, status="adopted", reason="Voted.",
                                decided_on=date(2018, 6, 1))


def test_the_case_without_the_response_most_comparable_cases_had_is_flagged_naming_them(
        db, cast, comparable_cases):
    *answered, fifth = comparable_cases
    with db.sessions() as session:
        case = session.get(Case, fifth)
        check = consistency.check(session, case, cast["sue"])
        assert check.party == "Syrian Arab Republic"
        assert sorted(c.case_id for c in check.comparables) == sorted(answered)
        assert check.total == 4 and check.adopted == {("international", "legal"): 4}
        assert list(check.flagged) == [("international", "legal")]
        assert sorted(c.case_id for c in check.flagged[("international", "legal")]) == sorted(answered)
        # Days from the incident (7 April) to the decision (1 June).
        assert check.comparables[0].cells == {("international", "legal"): [55]}
        # A case that has the response is not flagged, though it is compared with the others.
        first = consistency.check(session, session.get(Case, answered[0]), cast["sue"])
        assert len(first.comparables) == 4 and first.flagged == {}


def test_a_case_of_another_party_type_or_agent_class_is_not_compared(db, cast, make_case, move,
                                                                      comparable_cases):
    group = make_case(suspected_agent="chlorine", deaths=2, injured=20)
    move(group, "legal_consequence")
    attribute(db, cast, group, "Islamic State", "non_state_group")
    nerve = make_case(suspected_agent="sarin", deaths=2, injured=20)
    move(nerve, "legal_consequence")
    attribute(db, cast, nerve, "Syrian Arab Air Force", "state")
    massacre = make_case(suspected_agent="chlorine", deaths=1400, injured=9000)
    move(massacre, "legal_consequence")
    attribute(db, cast, massacre, "Syrian Arab Air Force", "state")
    with db.sessions() as session:
        check = consistency.check(session, session.get(Case, comparable_cases[-1]), cast["sue"])
        assert {group, nerve, massacre}.isdisjoint(c.case_id for c in check.comparables)
        assert consistency.check(session, session.get(Case, group), cast["sue"]).comparables == []
        assert consistency.check(session, session.get(Case, nerve), cast["sue"]).comparables == []


def test_comparable_cases_are_those_the_reader_may_see(db, cast, comparable_cases):
    """Need-to-know: someone on no other team compares with nothing."""
    with db.sessions() as session:
        check = consistency.check(session, session.get(Case, comparable_cases[-1]), cast["ivy"])
        assert len(check.comparables) == 4  # ivy opened them all, and is on their teams
        check = consistency.check(session, session.get(Case, comparable_cases[-1]), cast["ian"])
        assert check.comparables == []


def test_the_case_page_shows_the_flagged_cell_and_the_comparable_cases(
        client, auth, cast, db, comparable_cases):
    sign_in(auth, cast, "sue")
    page = client.get(f"/cases/{comparable_cases[-1]}").get_data(as_text=True)
    assert 'data-testid="inconsistent" data-cell="international-legal"' in page
    assert "4 of 4 comparable cases had a response adopted here" in page
    assert page.count('data-testid="comparable"') == 4
    assert "55 days after the incident" in page


def test_the_check_counts_every_comparable_case_and_lists_the_latest(
        client, auth, cast, db, comparable_cases, monkeypatch):
    """However many cases are comparable, the page lists a few of them, the latest first, and
    counts them all."""
    monkeypatch.setattr(consistency, "LISTED", 2)
    *answered, fifth = comparable_cases
    for days, case_id in enumerate(answered):  # the last answered is the latest incident
        with db.transaction() as session:
            cases.update_case(session, cast["ivy"], case_id, expected_version=ANY_VERSION,
                              occurred_on=date(2018, 4, 1 + days))
    with db.sessions() as session:
        check = consistency.check(session, session.get(Case, fifth), cast["sue"])
    assert check.total == 4 and check.adopted == {("international", "legal"): 4}
    assert [c.case_id for c in check.comparables] == answered[:1:-1]
    assert [c.case_id for c in check.flagged[("international", "legal")]] == answered[:1:-1]
    sign_in(auth, cast, "sue")
    page = client.get(f"/cases/{fifth}").get_data(as_text=True)
    assert "4 of 4 comparable cases had a response adopted here" in page
    assert "and 2 more" in page and "The latest 2 of 4 comparable cases" in page
    assert page.count('data-testid="comparable"') == 2


def test_before_legal_consequence_there_is_no_check(client, auth, cast, db, make_case):
    case_id = make_case()
    sign_in(auth, cast, "sue")
    assert 'data-testid="consistency"' not in client.get(f"/cases/{case_id}").get_data(as_text=True)
