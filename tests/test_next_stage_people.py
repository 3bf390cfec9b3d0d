"""What the next stage needs: the checklist names the people missing from the team, the case
page and the approval screen let a supervisor add them, and the team form offers only the
case roles each person's roles allow."""
from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select
from test_whole_pathway import Person
from webclient import post

from models.case import Case
from models.user import User
from workflow import accounts, cases, pathway, queries, reviews
from workflow.command import ANY_VERSION
from workflow.errors import Conflict, GateUnmet, Invalid

NO_ANALYST = "no analyst on the team — a supervisor adds one on Team"


def run(db, command, *args, **kwargs):
    with db.transaction() as session:
        return command(session, *args, **kwargs)


def team_item(db, case_id: int, target: str):
    with db.sessions() as session:
        checklist = pathway.checklist(session, session.get(Case, case_id), target)
    return next(((item.met, item.detail) for item in checklist.items if item.code == "team"), None)


def test_each_gate_asks_for_the_people_of_the_stage_it_leads_to():
    assert pathway.QUEUES == {"reported": (), "investigation": ("investigator",),
                              "attribution": ("analyst",), "legal_consequence": ("legal_officer",),
                              "implementation": ("legal_officer",), "evaluation": ("analyst",),
                              "closed": ()}
    for gate in pathway.PATHWAY.gates:
        codes = [r.code for r in gate.requirements]
        assert ("team" in codes) == bool(pathway.QUEUES[gate.target]), gate.key


def test_the_checklist_names_the_missing_analyst_and_the_gate_waits(db, cast, make_case, move, satisfy):
    case_id = make_case()
    run(db, cases.remove_member, cast["sue"], case_id, expected_version=ANY_VERSION,
        user_id=cast["ana"].id)
    move_to = "investigation"
    move(case_id, move_to)
    assert team_item(db, case_id, "attribution") == (False, NO_ANALYST)
    satisfy(case_id, "attribution")
    with pytest.raises(GateUnmet, match=NO_ANALYST):
        run(db, reviews.request_gate, cast["ivy"], case_id, expected_version=ANY_VERSION,
            target="attribution")
    run(db, cases.set_member, cast["sue"], case_id, expected_version=ANY_VERSION,
        user_id=cast["ana"].id, case_role="analyst")
    assert team_item(db, case_id, "attribution") == (True, "analyst: ana")
    # A deactivated analyst works no queue: the team needs another.
    with db.transaction() as session:
        accounts.set_active(session, cast["adm"], session.get(User, cast["ana"].id), False)
    assert team_item(db, case_id, "attribution") == (False, NO_ANALYST)


def test_an_open_task_in_a_queue_nobody_on_the_team_works_says_so(db, cast, make_case, move):
    case_id = make_case()
    move(case_id, "attribution")
    run(db, cases.remove_member, cast["sue"], case_id, expected_version=ANY_VERSION,
        user_id=cast["ana"].id)
    with db.sessions() as session:
        checklist = pathway.checklist(session, session.get(Case, case_id), "legal_consequence")
    detail = next(item.detail for item in checklist.items if item.code == "required_tasks")
    assert f"Draft the attribution finding (analyst queue; {NO_ANALYST})" in detail


def test_the_case_page_shows_supervisors_whom_to_add_and_adds_them(app, db, cast, make_case, move):
    case_id = make_case()
    run(db, cases.remove_member, cast["sue"], case_id, expected_version=ANY_VERSION,
        user_id=cast["ana"].id)
    move(case_id, "investigation")
    ivy, sue = Person(app, "ivy"), Person(app, "sue")
    assert NO_ANALYST in ivy.page(f"/cases/{case_id}")  # the checklist says it to everyone
    assert 'data-testid="staffing-analyst"' not in ivy.page(f"/cases/{case_id}")
    page = BeautifulSoup(sue.page(f"/cases/{case_id}"), "html.parser")
    need = page.select_one('[data-testid="staffing-analyst"]')
    assert "Attribution:" in need.get_text() and need.select('[data-command="add_team_member"]')
    # Nobody is chosen until someone is: one click adds nobody by chance.
    assert [o["value"] for o in need.select("option")] == ["", f"{cast['ana'].id}:analyst",
                                                           f"{cast['out'].id}:analyst"]
    where = sue.send(case_id, f"/cases/{case_id}/team", {"member": f"{cast['ana'].id}:analyst",
                                                         "back": "case"})
    assert where.endswith(f"/cases/{case_id}")
    assert 'data-testid="staffing-analyst"' not in sue.page(f"/cases/{case_id}")
    assert team_item(db, case_id, "attribution") == (True, "analyst: ana")


def test_the_team_form_starts_empty_and_offers_only_valid_pairs(app, db, cast, make_case):
    case_id = make_case(staffed=False)
    sue = Person(app, "sue")
    page = BeautifulSoup(sue.page(f"/cases/{case_id}/team"), "html.parser")
    options = [(o["value"], o.get_text()) for o in page.select('select[name="member"] option')]
    assert options[0][0] == "" and "selected" not in str(page.select('select[name="member"] option')[1:])
    offered = {value for value, _ in options[1:]}
    ids = {name: cast[name].id for name in ("ivy", "ian", "ana", "leo", "out")}
    assert f"{ids['ana']}:analyst" in offered and f"{ids['leo']}:legal_officer" in offered
    assert f"{ids['ian']}:lead_investigator" in offered
    assert f"{ids['ivy']}:investigator" not in offered  # her role on the team already
    assert not any(value.startswith(f"{ids['ana']}:") and value != f"{ids['ana']}:analyst"
                   for value in offered)
    assert {f"{ids['out']}:{role}" for role in ("lead_investigator", "investigator", "analyst",
                                                "legal_officer")} <= offered
    # Posted anyway, an invalid pair is refused beside the field, nothing changed.
    response = post(sue.client, f"/cases/{case_id}/team", {
        "version": sue.version(case_id), "member": f"{ids['ana']}:lead_investigator"})
    assert response.status_code == 422 and "Not a valid choice" in response.get_data(as_text=True)
    response = post(sue.client, f"/cases/{case_id}/team", {"version": sue.version(case_id), "member": ""})
    assert response.status_code == 422 and "choose a person and their role" in response.get_data(as_text=True)
    with pytest.raises(Invalid, match="ana does not hold the investigator role, so cannot be the "
                                      "team's lead investigator"):
        run(db, cases.set_member, cast["sue"], case_id, expected_version=ANY_VERSION,
            user_id=ids["ana"], case_role="lead_investigator")
    with pytest.raises(Invalid, match="leo does not hold the analyst role"):
        run(db, cases.set_member, cast["sue"], case_id, expected_version=ANY_VERSION,
            user_id=ids["leo"], case_role="analyst")


def test_the_approval_screen_adds_the_people_the_next_stage_needs(app, db, cast, make_case, move,
                                                                  satisfy, make_user):
    case_id = make_case()
    move(case_id, "investigation")
    satisfy(case_id, "attribution")
    with db.transaction() as session:
        request_id = reviews.request_gate(session, cast["ivy"], case_id,
                                          expected_version=ANY_VERSION, target="attribution").id
        # While it waits, the analyst leaves the organisation.
        accounts.set_active(session, cast["adm"], session.get(User, cast["ana"].id), False)
    alma = make_user("alma", "analyst")
    sam = Person(app, "sam")
    with pytest.raises(GateUnmet, match=NO_ANALYST):
        run(db, reviews.approve_gate, cast["sam"], request_id, expected_version=ANY_VERSION)
    # The case page, where the request waits, offers the people its next stage needs.
    need = BeautifulSoup(sam.page(f"/cases/{case_id}"), "html.parser").select_one(
        '[data-testid="staffing-analyst"]')
    assert [o["value"] for o in need.select("option")] == ["", f"{alma}:analyst", f"{cast['out'].id}:analyst"]
    where = sam.send(case_id, f"/cases/{case_id}/team", {"member": f"{alma}:analyst", "back": "case"})
    assert where.endswith(f"/cases/{case_id}")
    # Under review only joining is open: other changes of the team wait for the decision.
    team = BeautifulSoup(sam.page(f"/cases/{case_id}/team"), "html.parser")
    assert team.select('[data-command="add_team_member"]') and not team.select('[data-command="manage_team"]')
    with pytest.raises(Conflict, match="is under review"):
        run(db, cases.set_member, cast["sam"], case_id, expected_version=ANY_VERSION,
            user_id=cast["ivy"].id, case_role="investigator")
    with pytest.raises(Conflict, match="is under review"):
        run(db, cases.remove_member, cast["sam"], case_id, expected_version=ANY_VERSION,
            user_id=cast["leo"].id)
    sam.send(case_id, f"/reviews/{request_id}/approve", {"reason": "Alma takes the analysis.",
                                                         "back": "reviews"})
    with db.sessions() as session:
        assert session.get(Case, case_id).state == "attribution"
        assert session.scalar(select(User.username).where(User.id == alma)) == "alma"


def test_past_the_first_people_the_team_page_finds_the_others_by_name(app, db, cast, make_case, move,
                                                                      make_user, monkeypatch):
    monkeypatch.setattr(queries, "CANDIDATES_SHOWN", 2)
    case_id = make_case()
    run(db, cases.remove_member, cast["sue"], case_id, expected_version=ANY_VERSION,
        user_id=cast["ana"].id)
    move(case_id, "investigation")
    sue = Person(app, "sue")

    def need():
        return BeautifulSoup(sue.page(f"/cases/{case_id}"), "html.parser").select_one(
            '[data-testid="staffing-analyst"]')
    # Exactly as many analysts as shown (ana and out): all offered, no word of more.
    assert [o["value"] for o in need().select("option")] == ["", f"{cast['ana'].id}:analyst",
                                                             f"{cast['out'].id}:analyst"]
    assert not need().select('[data-testid="more-people"]')
    zed = make_user("zed", "analyst")  # after ana and out by username: past the first two
    with db.transaction() as session:
        session.get(User, zed).full_name = "Émile Zola"
    assert len(need().select("option")) == 3
    assert need().select_one('[data-testid="more-people"]')["href"] == f"/cases/{case_id}/team"

    def offered(page: str) -> tuple[set[str], str]:
        page = BeautifulSoup(page, "html.parser")
        shown = page.select_one('[data-testid="people-shown"]')
        return ({o["value"].split(":")[0] for o in page.select('select[name="member"] option')[1:]},
                shown.get_text(strip=True) if shown else "")

    team = f"/cases/{case_id}/team"
    people, said = offered(sue.page(team))
    assert str(zed) not in people and len(people) == 2
    assert said == "Only the first 2 people are offered: find others by name."
    assert offered(sue.page(f"{team}?q=ZE")) == ({str(zed)}, "")
    assert offered(sue.page(f"{team}?q=%C3%A9MILE")) == ({str(zed)}, "")  # "éMILE": any case
    for nobody in ("%25", "_"):  # the wildcards of LIKE are letters here
        assert offered(sue.page(f"{team}?q={nobody}")) == (set(), "Nobody who can join has that name.")
    # Refused, the form is shown again with the people the page offers, not only the one sent.
    refused = post(sue.client, f"{team}?q=ze", {"version": sue.version(case_id), "member": ""})
    assert refused.status_code == 422
    assert offered(refused.get_data(as_text=True)) == ({str(zed)}, "")
    refused = post(sue.client, f"{team}/{cast['ivy'].id}/remove", {"version": "1"})
    assert refused.status_code == 409 and len(offered(refused.get_data(as_text=True))[0]) == 2
    # Chosen after a search, the person is added though the first page did not offer them.
    sue.send(case_id, team, {"member": f"{zed}:analyst"})
    assert team_item(db, case_id, "attribution") == (True, "analyst: zed")
