"""Evidence pages through the test client: custody timeline, lab results, findings, refusals."""
from __future__ import annotations

import re

from sqlalchemy import select
from webclient import csrf_token, post

from models.finding import Finding
from workflow import evidence
from workflow.command import ANY_VERSION


def version_of(client, url: str) -> str:
    return re.search(r'name="version" type="hidden" value="(\d+)"',
                     client.get(url).get_data(as_text=True)).group(1)


def add_item(db, cast, case_id: int, kind: str = "environmental_sample") -> int:
    with db.transaction() as session:
        return evidence.add_evidence(session, cast["ivy"], case_id, expected_version=ANY_VERSION,
                                     kind=kind, title="Soil").id


def test_custody_break_is_flagged_at_its_event_on_the_page(client, auth, cast, make_case, db):
    case_id = make_case()
    item = add_item(db, cast, case_id)
    url = f"/cases/{case_id}/evidence/{item}"
    auth.login("ivy")
    for action, at, giver, taker in (("collected", "2017-04-05T09:00", "", "ivy"),
                                     ("transferred", "2017-04-06T09:00", "bob", "Lab One")):
        response = post(client, f"{url}/custody", {"version": version_of(client, url), "action": action,
                                                    "at": at, "from_holder": giver, "to_holder": taker})
        assert response.status_code == 302
    page = client.get(url).get_data(as_text=True)
    events = re.findall(r'<li class="(break)?" data-action="(\w+)">(.*?)</li>', page, re.S)
    assert [(flag, action) for flag, action, _ in events] == [("", "collected"), ("break", "transferred")]
    assert "Chain breaks here: transferred from bob, but ivy held it" in re.sub(r"</?bdi>", "", events[1][2])
    assert 'data-testid="chain-status">broken' in page


def test_custody_form_errors_name_the_field(client, auth, cast, make_case, db):
    case_id = make_case()
    item = add_item(db, cast, case_id)
    url = f"/cases/{case_id}/evidence/{item}"
    auth.login("ivy")
    for fields, message in (({"action": "collected", "at": ""}, "When (UTC): This field is required"),
                            ({"action": "transferred", "at": "2017-04-06T09:00", "from_holder": "ivy"},
                             ": required when custody is transferred"),
                            ({"action": "teleported", "at": "2017-04-06T09:00"}, "Not a valid choice"),
                            ({"action": "collected", "at": "2099-01-01T00:00", "to_holder": "ivy"},
                             "When (UTC): cannot be in the future")):
        response = post(client, f"{url}/custody", {"version": version_of(client, url), **fields})
        assert response.status_code == 422, fields
        assert message in response.get_data(as_text=True), fields


def test_lab_analysis_and_finding_through_forms(client, auth, cast, make_case, db):
    case_id = make_case()
    item = add_item(db, cast, case_id)
    url = f"/cases/{case_id}/evidence/{item}"
    auth.login("ivy")
    response = post(client, f"{url}/analyses", {"version": version_of(client, url), "laboratory": "Lab One",
                                                 "designated": "y", "result": "chlorinated compounds"})
    assert response.status_code == 302
    assert "chlorinated compounds" in client.get(url).get_data(as_text=True)
    new = f"/cases/{case_id}/findings/new?kind=use_determination"
    response = post(client, new, {"version": version_of(client, new), "kind": "use_determination",
                                  "conclusion": "likely", "agent": "chlorine", "rationale": "one lab",
                                  "cited": [str(item)]})
    assert response.status_code == 302
    with db.sessions() as session:
        finding = session.scalar(select(Finding))
        assert (finding.conclusion, finding.agent, [e.id for e in finding.cited]) == ("likely", "chlorine", [item])
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Use determination:</strong> likely" in page and f"cites #{item}" in page


def test_auditor_reads_and_downloads_but_records_nothing(client, auth, cast, make_case, db):
    case_id = make_case()
    item = add_item(db, cast, case_id)
    auth.login("aud")
    url = f"/cases/{case_id}/evidence/{item}"
    assert client.get(url).status_code == 200
    assert "Record a custody event" not in client.get(url).get_data(as_text=True)
    for action in ("custody", "analyses", "withdraw"):
        assert post(client, f"{url}/{action}", {"version": "9"}).status_code == 403
    assert client.get(f"/cases/{case_id}/evidence/new").status_code == 403
    assert client.get(f"/cases/{case_id}/findings/new").status_code == 403
    assert client.get(f"{url}/download").status_code == 404  # this item has no file


def test_evidence_of_another_case_is_404(client, auth, cast, make_case, db):
    first, second = make_case(), make_case()
    item = add_item(db, cast, first)
    auth.login("ivy")
    assert client.get(f"/cases/{second}/evidence/{item}").status_code == 404
    assert post(client, f"/cases/{second}/evidence/{item}/withdraw", {"version": "4", "reason": "x"}).status_code == 404


def test_the_finding_form_begins_with_a_conclusion_its_kind_may_reach(client, auth, make_case):
    case_id = make_case()
    auth.login("ana")
    from bs4 import BeautifulSoup
    for kind, first in (("attribution", "attributed"), ("use_determination", "confirmed")):
        soup = BeautifulSoup(client.get(f"/cases/{case_id}/findings/new?kind={kind}").get_data(
            as_text=True), "html.parser")
        conclusion = soup.select_one('select[name="conclusion"]')
        assert conclusion.select_one("option[selected]")["value"] == first
        grouped = {group["label"]: [o["value"] for o in group.select("option")]
                   for group in conclusion.select("optgroup")}
        assert grouped == {"Attribution": ["attributed", "inconclusive"],
                           "Use determination": ["confirmed", "likely", "not_confirmed"]}
    client.post("/language", data={"locale": "ar", "next": "/", "csrf_token": csrf_token(client)})
    arabic = BeautifulSoup(client.get(f"/cases/{case_id}/findings/new?kind=attribution").get_data(
        as_text=True), "html.parser").select('select[name="conclusion"] optgroup')
    assert all(not group["label"].isascii() for group in arabic)
