"""The register pages: search by name or alias, an entry with the records that name it (within
need-to-know), and the forms supervisors and admins use; others are refused."""
from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select
from webclient import post

from models import AuditEvent, Finding, RegisterAlias, RegisterEntry
from workflow import evidence, registers
from workflow.command import ANY_VERSION


@pytest.fixture
def seeded(db):
    with db.transaction() as session:
        registers.seed(session)


def entry_id(db, name: str, register: str = "party") -> int:
    with db.sessions() as session:
        return registers.resolve(session, register, name).id


def attribute(db, actor, case_id: int, party: str) -> int:
    with db.transaction() as session:
        return evidence.record_finding(
            session, actor, case_id, expected_version=ANY_VERSION, kind="attribution",
            conclusion="attributed", responsible_party=party, party_type="state",
            standard_of_proof="reasonable_grounds", rationale="flight logs").id


def soup_of(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def register_state(db) -> tuple:
    """The registers and their audit events (sign-ins are audited too, and left out)."""
    with db.sessions() as session:
        events = session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.event_type.startswith("register_")))
        return events, *(session.scalar(select(func.count()).select_from(model))
                         for model in (RegisterEntry, RegisterAlias))


@pytest.mark.both_databases
def test_search_finds_entries_by_name_or_alias(client, auth, cast, seeded):
    auth.login("sue")
    for query, found in (("tiger", "Tiger Forces"), ("SyAAF", "Syrian Arab Air Force"),
                         ("da'esh", "Islamic State in Iraq and the Levant"),
                         ("سوريا", "Syrian Arab Republic")):
        soup = soup_of(client.get("/registers/", query_string={"register": "party", "q": query}))
        names = [link.get_text() for link in soup.select("[data-testid=entries] tbody a")]
        assert found in names, query
    soup = soup_of(client.get("/registers/", query_string={"register": "forum", "q": "UNSC"}))
    assert [a.get_text() for a in soup.select("[data-testid=entries] tbody a")] == ["UN Security Council"]
    assert client.get("/registers/?register=people").status_code == 404


def test_the_navigation_offers_registers_to_supervisors_and_admins(client, auth, cast):
    for username, shown in (("sue", True), ("adm", True), ("ivy", False), ("aud", False)):
        auth.login(username)
        soup = soup_of(client.get("/account"))
        assert bool(soup.select("nav [data-nav=registers]")) is shown, username
        auth.logout()


@pytest.mark.both_databases
def test_an_entry_shows_its_aliases_parent_and_the_records_each_user_may_see(
        db, client, auth, cast, make_case, seeded):
    case_id = make_case()  # ivy's team; ian is on none
    attribute(db, cast["ivy"], case_id, "Syrian Arab Air Force (Tiger Forces)")
    tiger = entry_id(db, "Tiger Forces")
    for username, sees in (("ivy", True), ("sue", True), ("aud", True), ("ian", False), ("adm", False)):
        auth.login(username)
        response = client.get(f"/registers/{tiger}")
        assert response.status_code == 200, (username, response.get_data(as_text=True)[-3000:])
        soup = soup_of(response)
        aliases = [li.get_text() for li in soup.select("[data-testid=aliases] li")]
        assert "Syrian Arab Air Force (Tiger Forces)" in aliases and "Tiger Forces" in aliases
        assert soup.select_one("[data-testid=parent]").get_text(strip=True) == "Syrian Arab Armed Forces"
        page = str(soup)
        assert ("CW-" in page) is sees, username
        assert bool(soup.select("[data-testid=no-records]")) is not sees, username
        auth.logout()


def test_an_investigator_may_read_but_not_change_registers(db, client, auth, cast, make_case, seeded):
    attribute(db, cast["ivy"], make_case(), "Unit Unknown To Us")
    proposed, isil = entry_id(db, "Unit Unknown To Us"), entry_id(db, "ISIL")
    before = register_state(db)
    for username in ("ivy", "aud"):
        auth.login(username)
        assert client.get("/registers/").status_code == 200
        soup = soup_of(client.get(f"/registers/{isil}"))
        assert not soup.select("form[data-command]") and not soup.select("[data-command=add_entry]")
        assert client.get(f"/registers/{proposed}").status_code == 404  # a name written on a case
        assert client.get("/registers/new").status_code == 403
        for address, form in (("/registers/new?register=party", {"name": "X", "kind": "state"}),
                              (f"/registers/{isil}/aliases", {"alias": "IS"}),
                              (f"/registers/{proposed}/accept", {"kind": "state", "parent_id": "0"}),
                              (f"/registers/{proposed}/merge", {"into": str(isil)})):
            response = post(client, address, form)
            assert response.status_code == 403, (username, address)
            assert "supervisor or admin" in response.get_data(as_text=True)
        auth.logout()
    assert register_state(db) == before


@pytest.mark.both_databases
def test_a_supervisor_adds_an_entry_and_an_alias_through_the_forms(db, client, auth, cast, seeded):
    auth.login("sue")
    russia = entry_id(db, "Russia")
    assert client.get("/registers/new?register=party").status_code == 200
    response = post(client, "/registers/new?register=party", {
        "name": "Russian Aerospace Forces", "kind": "state_organ", "parent_id": str(russia),
        "other_names": "VKS\n\nVozdushno-kosmicheskiye sily\n", "note": ""})
    assert response.status_code == 302
    added = entry_id(db, "vks")
    assert response.headers["Location"].endswith(f"/registers/{added}")
    response = post(client, f"/registers/{added}/aliases", {"alias": "Russian air force"})
    assert response.status_code == 302
    with db.sessions() as session:
        entry = session.get(RegisterEntry, added)
        assert (entry.kind, entry.parent_id, entry.status) == ("state_organ", russia, "accepted")
        assert sorted(a.name for a in entry.aliases) == [
            "Russian Aerospace Forces", "Russian air force", "VKS", "Vozdushno-kosmicheskiye sily"]
        assert [e.actor_username for e in session.scalars(select(AuditEvent).where(
            AuditEvent.entity_type == "register_entry", AuditEvent.entity_id == str(added)))] == ["sue", "sue"]
    # A name already in the register is refused beside the field, naming its entry.
    before = register_state(db)
    response = post(client, "/registers/new?register=party", {"name": "Russia", "kind": "state",
                                                              "parent_id": "0"})
    assert response.status_code == 422
    assert "already names Russian Federation" in soup_of(response).select_one(".invalid-feedback").get_text()
    response = post(client, f"/registers/{added}/aliases", {"alias": "russia"})
    assert response.status_code == 422 and "already names Russian Federation" in response.get_data(as_text=True)
    response = post(client, "/registers/new?register=party", {"name": "Y", "kind": "forum"})
    assert response.status_code == 422  # not a kind of party
    assert register_state(db) == before
    # Without its CSRF token a form changes nothing.
    assert client.post(f"/registers/{added}/aliases", data={"alias": "Z"}).status_code == 400
    assert register_state(db) == before


@pytest.mark.both_databases
def test_a_supervisor_accepts_or_merges_a_proposed_entry(db, client, auth, cast, make_case, seeded):
    first, second = make_case(), make_case()
    kept_finding = attribute(db, cast["ivy"], first, "Brigade 47")
    moved_finding = attribute(db, cast["ivy"], second, "Syrian Gov't Forces Unit")
    brigade, unit = entry_id(db, "Brigade 47"), entry_id(db, "Syrian Gov't Forces Unit")
    army = entry_id(db, "Syrian Arab Armed Forces")
    auth.login("sue")
    soup = soup_of(client.get("/registers/?register=party"))
    assert soup.select_one(f"[data-testid=entry-{brigade}] .badge").get_text() == "proposed"
    soup = soup_of(client.get(f"/registers/{brigade}"))
    assert soup.select("[data-testid=proposed]") and soup.select("form[data-command=accept_entry]")
    response = post(client, f"/registers/{brigade}/accept", {"kind": "state_organ", "parent_id": str(army)})
    assert response.status_code == 302
    response = post(client, f"/registers/{unit}/merge", {"into": str(army)})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/registers/{army}")
    assert "1 record moved" in client.get(response.headers["Location"]).get_data(as_text=True)
    with db.sessions() as session:
        assert session.get(RegisterEntry, brigade).status == "accepted"
        assert session.get(Finding, kept_finding).party_id == brigade
        assert session.get(Finding, moved_finding).party_id == army
        assert session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.event_type == "register_link_moved")) == 1
    # The merged entry's page leads to the entry that kept its names; accepting twice is refused.
    assert client.get(f"/registers/{unit}").headers["Location"].endswith(f"/registers/{army}")
    response = post(client, f"/registers/{brigade}/accept", {"kind": "state", "parent_id": "0"})
    assert response.status_code == 409 and "not proposed" in response.get_data(as_text=True)
    response = post(client, f"/registers/{brigade}/merge", {"into": str(brigade)})
    assert response.status_code == 422  # not among the choices


def test_an_admin_maintains_registers_without_seeing_case_content(db, client, auth, cast, make_case,
                                                                  seeded):
    attribute(db, cast["ivy"], make_case(), "ISIL")
    isil = entry_id(db, "ISIL")
    auth.login("adm")
    page = client.get(f"/registers/{isil}").get_data(as_text=True)
    assert "CW-" not in page and "None on the cases you may see" in page
    assert post(client, f"/registers/{isil}/aliases", {"alias": "Tanzim al-Dawla"}).status_code == 302
    assert entry_id(db, "tanzim al dawla") == isil
