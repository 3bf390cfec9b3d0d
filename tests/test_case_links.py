"""Possible duplicates are listed before a case is opened, and cases link to one another as
related or as a duplicate: audited, and shown on both."""
from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select
from test_whole_pathway import Person
from webclient import post

from models.audit import AuditEvent
from models.case import Case
from workflow import cases, links, reviews
from workflow.command import ANY_VERSION
from workflow.errors import Conflict, Invalid

KHAN_SHAYKHUN = dict(title="Sarin on Khan Shaykhun", occurred_on=date(2017, 4, 4), country="Syria",
                     place="Khan Shaykhun", latitude=Decimal("35.4388"), longitude=Decimal("36.6500"),
                     suspected_agent="sarin")


def run(db, command, *args, **kwargs):
    with db.transaction() as session:
        return command(session, *args, **kwargs)


def found(db, actor, **fields) -> list[tuple[str, str, bool]]:
    with db.sessions() as session:
        return [(d.reference, d.why, d.case is not None)
                for d in links.possible_duplicates(session, actor, **fields)]


@pytest.fixture
def first(db, cast, make_case) -> str:
    """The incident, opened by ivy; its reference."""
    case_id = make_case(**KHAN_SHAYKHUN)
    with db.sessions() as session:
        return session.get(Case, case_id).reference


def test_cases_of_the_same_incident_are_found(db, cast, first):
    ivy, ian = cast["ivy"], cast["ian"]
    same = dict(occurred_on=date(2017, 4, 6), country="syria", place="Khan Sheikhoun")
    assert found(db, ivy, **same) == [(first, "2 days apart, at Khan Shaykhun", True)]
    assert found(db, ivy, occurred_on=date(2017, 4, 4), country="Syria", place="Khan Shaykhun") == [
        (first, "the same day, at Khan Shaykhun", True)]
    # Nearby coordinates match whatever the place is called.
    assert found(db, ivy, occurred_on=date(2017, 4, 1), country="Syria", place="Al-Tamanah",
                 latitude=Decimal("35.45"), longitude=Decimal("36.69")) == [
        (first, "3 days apart, 4 km away", True)]
    # No place given: nothing to tell them apart by.
    assert found(db, ivy, occurred_on=date(2017, 4, 5), country="Syria") == [
        (first, "1 day apart, no place to compare", True)]
    # Too late, another country, elsewhere, or no date: none.
    assert found(db, ivy, **{**same, "occurred_on": date(2017, 4, 8)}) == []
    assert found(db, ivy, **{**same, "country": "Iraq"}) == []
    assert found(db, ivy, occurred_on=date(2017, 4, 4), country="Syria", place="Douma",
                 latitude=Decimal("33.57"), longitude=Decimal("36.40")) == []
    assert found(db, ivy, occurred_on=None, country="Syria", place="Khan Shaykhun") == []
    # Someone not on its team learns that it exists, not where or what it is.
    assert found(db, ian, **same) == [(first, "2 days apart, at a place of a similar name", False)]


def test_opening_lists_possible_duplicates_before_saving(app, db, cast, first):
    ian = Person(app, "ian")
    form = {"title": "Nerve agent in Idlib", "occurred_on": "2017-04-04", "occurred_precision": "day",
            "country": "Syria", "place": "Khan Sheikhoun", "suspected_agent": "sarin"}
    response = post(ian.client, "/cases/new", form)
    assert response.status_code == 200
    listed = BeautifulSoup(response.get_data(as_text=True), "html.parser").select_one(
        '[data-testid="duplicates"]')
    assert first in listed.get_text() and "a case you are not on" in listed.get_text()
    assert "Khan Shaykhun" not in listed.get_text() and not listed.select("a")
    with db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 1
    response = post(ian.client, "/cases/new", {**form, "not_duplicate": "y"})
    assert response.status_code == 302
    with db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 2


def test_a_link_is_audited_and_shown_on_both_cases(app, db, cast, make_case, first):
    second = make_case(title="Second report of the Khan Shaykhun attack", place="Khan Sheikhoun",
                       occurred_on=date(2017, 4, 4))
    with db.sessions() as session:
        first_id = session.scalar(select(Case.id).where(Case.reference == first))
        second_ref = session.get(Case, second).reference
    ivy = Person(app, "ivy")
    ivy.send(second, f"/cases/{second}/links", {"other_reference": first.lower(), "kind": "duplicate",
                                                "note": "the same strike, reported twice"})
    shown = BeautifulSoup(ivy.page(f"/cases/{second}"), "html.parser").select_one('[data-testid="links"]')
    assert f"A duplicate of {first}: Sarin on Khan Shaykhun" in " ".join(shown.get_text().split())
    shown = BeautifulSoup(ivy.page(f"/cases/{first_id}"), "html.parser").select_one('[data-testid="links"]')
    assert f"{second_ref} is a duplicate of this case" in shown.get_text()
    with db.sessions() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.event_type == "case_linked")
                                 .order_by(AuditEvent.seq)).all()
    assert [e.case_id for e in events] == [second, first_id]
    assert all(json.loads(e.payload)["details"] == {
        "kind": "duplicate", "case": second_ref, "linked_case": first,
        "note": "the same strike, reported twice"} for e in events)
    # Linked once: neither way again.
    for case_id, other in ((second, first), (first_id, second_ref)):
        with pytest.raises(Invalid, match="is linked to this case already"):
            run(db, links.link_cases, cast["ivy"], case_id, expected_version=ANY_VERSION,
                other_reference=other, kind="related")


def test_links_are_refused_to_itself_to_unseen_cases_and_while_under_review(
        db, cast, make_case, first, satisfy):
    second = make_case(title="Another", place="Idlib")
    with db.sessions() as session:
        second_ref = session.get(Case, second).reference
    with pytest.raises(Invalid, match=f"a case is not linked to itself"):
        run(db, links.link_cases, cast["ivy"], second, expected_version=ANY_VERSION,
            other_reference=second_ref, kind="related")
    with pytest.raises(Invalid, match="there is no case CW-1999-0001 that you may see") as refused:
        run(db, links.link_cases, cast["ivy"], second, expected_version=ANY_VERSION,
            other_reference="CW-1999-0001", kind="related")
    assert refused.value.field == "other_reference"
    hidden = run(db, cases.open_case, cast["ian"], title="Ian's own case").reference
    with pytest.raises(Invalid, match=f"there is no case {hidden} that you may see"):
        run(db, links.link_cases, cast["ivy"], second, expected_version=ANY_VERSION,
            other_reference=hidden, kind="related")
    satisfy(second, "investigation")
    run(db, reviews.request_gate, cast["ivy"], second, expected_version=ANY_VERSION,
        target="investigation")
    with pytest.raises(Conflict, match="is under review"):
        run(db, links.link_cases, cast["ivy"], second, expected_version=ANY_VERSION,
            other_reference=first, kind="related")
    with db.sessions() as session:
        assert not session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.event_type == "case_linked"))


def test_a_refused_link_comes_back_as_typed_in_its_open_section(app, db, make_case):
    case_id = make_case(title="Another", place="Idlib")
    with db.sessions() as session:
        reference = session.get(Case, case_id).reference
    ivy = Person(app, "ivy")
    response = post(ivy.client, f"/cases/{case_id}/links", {
        "version": ivy.version(case_id), "other_reference": reference, "kind": "related",
        "note": "typed with care"})
    assert response.status_code == 422
    section = BeautifulSoup(response.get_data(as_text=True), "html.parser").select_one(
        '[data-testid="links"] details')
    assert section.has_attr("open")
    assert section.select_one("#link-other")["value"] == reference
    assert section.select_one("#link-note")["value"] == "typed with care"
    fresh = BeautifulSoup(ivy.page(f"/cases/{case_id}"), "html.parser").select_one(
        '[data-testid="links"] details')
    assert not fresh.has_attr("open") and not fresh.select_one("#link-note").get("value")
