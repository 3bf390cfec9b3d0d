"""Why a case is where it is: every gate request and its decision on the case page, the latest
rejection at its top until the next request, the decided tab of the review queue, and the
reasons given for reopenings, withdrawals and response status changes where the record is."""
from __future__ import annotations

from bs4 import BeautifulSoup

from webclient import post
from workflow import evidence, responses, reviews
from workflow.command import ANY_VERSION

REASON = "The initial report is unsigned: attach the signed copy."


def page(client, url: str) -> BeautifulSoup:
    response = client.get(url)
    assert response.status_code == 200, url
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def said(element) -> str:
    return " ".join(element.get_text(" ").split())


def request(db, actor, case_id: int, target: str = "investigation", note: str = "") -> int:
    with db.transaction() as session:
        return reviews.request_gate(session, actor, case_id, expected_version=ANY_VERSION,
                                    target=target, note=note).id


def test_the_rejection_reason_reaches_the_requesters_case_page_and_the_decided_tab(
        client, auth, db, cast, make_case, satisfy):
    case_id = make_case()
    satisfy(case_id, "investigation")
    rejected = request(db, cast["ivy"], case_id, note="Ready, I think.")
    with db.transaction() as session:
        reviews.reject_gate(session, cast["sue"], rejected, expected_version=ANY_VERSION,
                            reason=REASON)
    assert auth.login("ivy").status_code == 302
    soup = page(client, f"/cases/{case_id}")
    banner = soup.select_one('[data-testid="latest-rejection"]')
    assert "sue rejected the request for the gate to Investigation" in said(banner)
    assert said(banner.select_one('[data-testid="rejection-reason"]')) == REASON
    row = soup.select_one(f'#decisions [data-request="{rejected}"]')
    assert row["data-decision"] == "rejected"
    assert REASON in said(row) and "Ready, I think." in said(row) and "by sue" in said(row)
    # The checklist as it stood when requested.
    assert "lead investigator: ivy" in said(row.select_one("details"))
    # History says why, too.
    assert REASON in said(soup.select_one('[data-testid="history"]'))
    decided = page(client, "/reviews?tab=decided").select_one(f'[data-testid="decided-{rejected}"]')
    assert said(decided.select_one('[data-testid="decision-reason"]')) == f"Reason: {REASON}"
    # The next request takes the banner down; both requests stay listed.
    again = request(db, cast["ivy"], case_id)
    soup = page(client, f"/cases/{case_id}")
    assert soup.select_one('[data-testid="latest-rejection"]') is None
    assert [row["data-decision"] for row in soup.select("#decisions [data-request]")] == [
        "pending", "rejected"]
    # Withdrawn: listed as such; the decided tab has it too.
    with db.transaction() as session:
        reviews.withdraw_gate(session, cast["ivy"], again, expected_version=ANY_VERSION)
    soup = page(client, f"/cases/{case_id}")
    assert soup.select_one(f'#decisions [data-request="{again}"]')["data-decision"] == "withdrawn"
    assert soup.select_one('[data-testid="latest-rejection"]') is None
    assert page(client, "/reviews?tab=decided").select_one(f'[data-testid="decided-{again}"]')


def test_the_decided_tab_lists_only_cases_one_may_see(client, auth, db, cast, make_case, satisfy):
    case_id = make_case()
    satisfy(case_id, "investigation")
    request_id = request(db, cast["ivy"], case_id)
    with db.transaction() as session:
        reviews.reject_gate(session, cast["sue"], request_id, expected_version=ANY_VERSION,
                            reason=REASON)
    assert auth.login("out").status_code == 302
    text = client.get("/reviews?tab=decided").get_data(as_text=True)
    assert REASON not in text and "CW-" not in text and "Nothing decided yet." in text
    auth.logout()
    assert auth.login("aud").status_code == 302
    assert REASON in client.get("/reviews?tab=decided").get_data(as_text=True)


def test_reasons_of_reopenings_withdrawals_and_status_changes_are_shown_with_the_record(
        client, auth, db, cast, full_case, move):
    case_id = full_case["case_id"]
    with db.transaction() as session:
        reviews.withdraw_gate(session, cast["leo"], full_case["request_id"],
                              expected_version=ANY_VERSION)
    with db.transaction() as session:
        response = responses.propose_response(
            session, cast["leo"], case_id, expected_version=ANY_VERSION, level="national",
            tool="economic", actor_name="Ministry of Finance", description="Asset freeze")
        response_id = response.id
    with db.transaction() as session:
        responses.change_status(session, cast["leo"], case_id, expected_version=ANY_VERSION,
                                response_id=response_id, status="blocked",
                                reason="Vetoed in cabinet on 3 May.", blocked_by="Cabinet")
    with db.transaction() as session:
        evidence.withdraw_evidence(session, cast["ivy"], case_id, expected_version=ANY_VERSION,
                                   evidence_id=full_case["evidence_id"],
                                   reason="Duplicate of item 2.")
    with db.transaction() as session:
        reviews.reopen(session, cast["sue"], case_id, expected_version=ANY_VERSION,
                       target="attribution", reason="New munition evidence surfaced.")
    assert auth.login("leo").status_code == 302
    soup = page(client, f"/cases/{case_id}/responses/{response_id}")
    history = said(soup.select_one('[data-testid="status-history"]'))
    assert "leo : proposed → blocked . Reason: Vetoed in cabinet on 3 May." in history
    soup = page(client, f"/cases/{case_id}/evidence/{full_case['evidence_id']}")
    assert "Duplicate of item 2." in said(soup.select_one("main"))
    soup = page(client, f"/cases/{case_id}")
    assert ("sue reopened the case from Legal consequence to Attribution"
            in said(soup.select_one('[data-testid="reopenings"]')))
    assert "New munition evidence surfaced." in said(soup.select_one('[data-testid="reopenings"]'))
    assert soup.select_one(f'#decisions [data-request="{full_case["request_id"]}"]')[
        "data-decision"] == "withdrawn"
    assert post(client, f"/cases/{case_id}/comments", {"body": "Seen."}).status_code == 302


def test_a_refused_decision_on_a_case_with_a_long_history_shows_the_case_page(
        client, auth, db, cast, make_case, satisfy):
    case_id = make_case()
    satisfy(case_id, "investigation")
    with db.transaction() as session:
        for n in range(25):  # more events than one page of the History holds
            evidence.add_evidence(session, cast["ivy"], case_id, expected_version=ANY_VERSION,
                                  kind="document", title=f"Note {n}")
    request_id = request(db, cast["ivy"], case_id)
    auth.login("sue")
    version = page(client, f"/cases/{case_id}").select_one(
        '[data-command="reject_gate"]').find_parent("form").select_one('input[name="version"]')["value"]
    refused = post(client, f"/reviews/{request_id}/reject", {"version": version, "reason": ""})
    assert refused.status_code == 422
    soup = BeautifulSoup(refused.get_data(as_text=True), "html.parser")
    pages = soup.select('nav[aria-label="Pages of the history"] a')
    assert pages and all(a["href"].startswith(f"/cases/{case_id}?") for a in pages)
