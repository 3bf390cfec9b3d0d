"""In a real browser (system Chromium driven by Playwright)."""
from __future__ import annotations

import re

import pytest
from webclient import PASSWORD

pytestmark = pytest.mark.browser


def shown(locator) -> bool:
    """Whether `locator` is visible, once the page that shows it has arrived (after a click the
    next page may still be on its way)."""
    locator.wait_for(state="visible")
    return locator.is_visible()


def test_supervisor_signs_in_and_sees_the_dashboard(page, make_user):
    make_user("sam", "supervisor")
    page.goto("/login")
    page.get_by_label("Username").fill("sam")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")
    assert shown(page.get_by_role("heading", name="Dashboard"))
    assert "supervisor" in page.get_by_test_id("signed-in-as").inner_text()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login")
    assert shown(page.get_by_text("You are signed out."))


@pytest.fixture
def sign_in(new_context):
    """Open a new browser session signed in as a user; closed after the test."""

    def open_as(username: str):
        page = new_context().new_page()
        page.goto("/login")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/")
        return page
    return open_as


def test_case_opened_requested_and_approved(sign_in, cast):
    investigator = sign_in("ivy")
    investigator.get_by_role("link", name="Cases", exact=True).click()
    investigator.get_by_role("link", name="Open a case").click()
    investigator.get_by_label("Title").fill("Chlorine cylinder on Douma")
    investigator.get_by_label("Date of the incident").fill("2018-04-07")
    investigator.get_by_label("Country").fill("Syria")
    investigator.get_by_label("Place", exact=True).fill("Douma")
    investigator.get_by_label("Suspected agent").select_option("chlorine")
    investigator.get_by_role("button", name="Open the case").click()
    investigator.wait_for_url("**/cases/*")
    case_url = investigator.url
    gate = investigator.get_by_test_id("gate-investigation")
    assert "no lead investigator on the team" in gate.inner_text()
    assert "no active evidence item yet" in gate.inner_text()
    assert gate.get_by_role("button", name="Request gate to Investigation").is_disabled()
    investigator.get_by_role("link", name="Add evidence").click()
    investigator.get_by_label("Kind").select_option("document")
    investigator.get_by_label("Title").fill("Initial report from the health directorate")
    investigator.get_by_role("button", name="Add evidence").click()
    investigator.wait_for_url("**/evidence/*")
    investigator.goto(case_url)

    supervisor = sign_in("sue")
    supervisor.goto(case_url)
    supervisor.get_by_role("link", name="Team").click()
    supervisor.get_by_label("Person and case role").select_option(label="ivy (ivy) as lead investigator")
    supervisor.get_by_role("button", name="Save").click()
    assert shown(supervisor.get_by_text("Team updated."))

    investigator.reload()
    investigator.get_by_role("button", name="Request gate to Investigation").click()
    assert shown(investigator.get_by_test_id("under-review"))

    other = sign_in("sam")
    other.get_by_role("link", name="Reviews").click()
    review = other.locator("section[data-testid^=review-]")
    assert "Reported → Investigation" in review.inner_text()
    review.get_by_role("button", name="Approve").click()
    assert shown(other.get_by_text("Approved: the case is now in Investigation."))

    investigator.reload()
    assert investigator.get_by_test_id("stage").inner_text() == "Investigation"
    assert investigator.locator("[aria-current=step]").inner_text() == "Investigation"


def test_workflow_diagram_renders_locally(sign_in, cast):
    page = sign_in("aud")
    page.get_by_role("link", name="Workflow").click()
    diagram = page.get_by_test_id("diagram")
    diagram.locator("svg").wait_for(timeout=15000)
    assert "Legal consequence" in diagram.inner_text()  # the stages by their names


def test_evidence_with_a_file_a_transfer_and_the_timeline(sign_in, cast, make_case, tmp_path):
    case_id = make_case()
    sample = tmp_path / "soil-sample-photo.png"
    sample.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    page = sign_in("ivy")
    page.goto(f"/cases/{case_id}")
    page.get_by_role("link", name="Add evidence").click()
    page.get_by_label("Kind").select_option("environmental_sample")
    page.get_by_label("Title", exact=True).fill("Soil sample, crater 2")
    page.get_by_label("Reliability of the source").select_option("B")
    page.get_by_label("Credibility of the information").select_option("2")
    page.get_by_label("File (optional)").set_input_files(str(sample))
    page.get_by_role("button", name="Add evidence").click()
    page.wait_for_url("**/evidence/*")
    assert "B2 — source usually reliable; information probably true" in page.get_by_test_id("grade").inner_text()
    assert "detected image/png" in page.get_by_test_id("file").inner_text()

    for action, when, giver, taker in (("collected", "2017-04-05T09:00", "", "ivy"),
                                       ("transferred", "2017-04-06T10:30", "ivy", "Lab courier")):
        page.get_by_label("Action").select_option(action)
        page.get_by_label("When (UTC)").fill(when)
        page.get_by_label("From", exact=True).fill(giver)
        page.get_by_label("To", exact=True).fill(taker)
        page.get_by_role("button", name="Record custody event").click()
        page.wait_for_load_state()
    timeline = page.get_by_test_id("timeline")
    assert timeline.locator("li").count() == 2
    assert "Transferred 2017-04-06 10:30 UTC from ivy to Lab courier" in " ".join(timeline.inner_text().split())
    assert page.get_by_test_id("chain-status").inner_text() == "unbroken"
    assert page.get_by_text("Held now by").inner_text() == "Held now by Lab courier."


def test_legal_officer_adds_a_response_from_the_catalog_and_adopts_it(sign_in, cast, make_case, move):
    case_id = make_case()
    move(case_id, "legal_consequence")
    page = sign_in("leo")
    page.goto(f"/cases/{case_id}")
    page.get_by_role("link", name="Add a international legal response").click()
    page.get_by_test_id("catalog").get_by_role("link", name=re.compile("OPCW decision suspending")).click()
    assert "suspends a state's rights and privileges" in page.get_by_label("What is done").input_value()
    page.get_by_label("Who acts (state, organisation, court)").fill("OPCW Conference of States Parties")
    page.get_by_role("button", name="Propose response").click()
    cell = page.locator('[data-cell="international-legal"]')
    assert "OPCW Conference of States Parties" in cell.inner_text() and "Proposed" in cell.inner_text()

    cell.get_by_role("link", name="OPCW Conference of States Parties").click()
    page.get_by_label("New status").select_option("adopted")
    status_form = page.locator("form", has=page.get_by_role("button", name="Save status"))
    status_form.get_by_label("Reason").fill("Decision adopted by vote")
    page.get_by_label("Legally binding").check()
    page.get_by_role("button", name="Save status").click()
    assert page.get_by_test_id("response-status").inner_text() == "adopted"
    page.goto(f"/cases/{case_id}")
    cell = page.locator('[data-cell="international-legal"]')
    assert "Adopted" in cell.inner_text() and cell.get_by_title("legally binding").is_visible()
    gate = page.get_by_test_id("gate-implementation")
    assert "1 adopted and legally binding: OPCW Conference of States Parties" in gate.inner_text()


def test_every_page_works_under_the_content_security_policy(sign_in, cast, full_case, app):
    """Every GET page of the URL map, as a supervisor: no CSP violation (checked by `new_context`)."""
    page = sign_in("sue")
    values = {**full_case, "table": "funnel", "grant_id": 1}
    visited = 0
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in ("static", "bootstrap.static") or rule.arguments & {"table"}:
            continue
        if rule.endpoint.endswith("download") or rule.rule.endswith((".csv", ".ico")):
            continue  # downloads and the icon are not pages
        url = rule.build({name: values.get(name, 1) for name in rule.arguments}, append_unknown=False)[1]
        page.goto(url)
        page.wait_for_load_state("load")
        visited += 1
    page.goto("/workflow")
    page.get_by_test_id("diagram").locator("svg").wait_for(timeout=15000)
    assert visited >= 12


def test_supervisor_enrols_a_second_factor_signs_in_with_it_and_signs_out_everywhere(new_context, make_user):
    import time

    from workflow import second_factor
    make_user("sue", "supervisor")
    first = new_context().new_page()
    first.goto("/login")
    first.get_by_label("Username").fill("sue")
    first.get_by_label("Password").fill(PASSWORD)
    first.get_by_role("button", name="Sign in").click()
    first.wait_for_url("**/")
    first.get_by_test_id("signed-in-as").click()
    first.get_by_role("link", name="Set up a second factor").click()
    assert first.get_by_test_id("qr").locator("svg").is_visible()
    secret = first.get_by_test_id("secret").inner_text().replace(" ", "")
    first.get_by_label("Code").fill(second_factor.code_at(secret, time.time()))
    first.get_by_role("button", name="Turn on").click()
    codes = first.get_by_test_id("recovery-codes").locator("li").all_inner_texts()
    assert len(codes) == 10
    first.get_by_role("link", name="I have kept them: continue").click()
    first.get_by_role("button", name="Sign out").click()
    first.wait_for_url("**/login")

    # Signing in again takes the password, then the code. The code of this time step was used
    # at enrolment and is good only once, so the authenticator's next code is entered (codes of
    # the neighbouring steps are accepted, for clocks that drift).
    first.get_by_label("Username").fill("sue")
    first.get_by_label("Password").fill(PASSWORD)
    first.get_by_role("button", name="Sign in").click()
    first.wait_for_url("**/login/code")
    first.get_by_label("Code").fill(second_factor.code_at(secret, time.time() + second_factor.STEP_SECONDS))
    first.get_by_role("button", name="Continue").click()
    first.wait_for_url("**/")
    assert shown(first.get_by_role("heading", name="Dashboard"))

    second = new_context().new_page()
    second.goto("/login")
    second.get_by_label("Username").fill("sue")
    second.get_by_label("Password").fill(PASSWORD)
    second.get_by_role("button", name="Sign in").click()
    second.wait_for_url("**/login/code")
    second.get_by_label("Code").fill(codes[0])  # a recovery code, as on a second device
    second.get_by_role("button", name="Continue").click()
    second.wait_for_url("**/")
    second.goto("/account")
    second.get_by_role("button", name="Sign out everywhere").click()
    second.wait_for_url("**/login")
    assert shown(second.get_by_text("You are signed out everywhere."))

    first.reload()
    assert "/login" in first.url


def test_a_rejection_reaches_the_investigator_who_fixes_the_record_and_asks_again(
        sign_in, db, cast, make_case, satisfy):
    from workflow import reviews
    from workflow.command import ANY_VERSION
    case_id = make_case(place="Saraqib")
    satisfy(case_id, "investigation")
    with db.transaction() as session:
        reviews.request_gate(session, cast["ivy"], case_id, expected_version=ANY_VERSION,
                             target="investigation")
    reason = "The place is wrong: the attack was on Khan Shaykhun, not Saraqib."

    supervisor = sign_in("sue")
    supervisor.get_by_role("link", name="Reviews").click()
    review = supervisor.locator("section[data-testid^=review-]")
    review.get_by_label("Reason (required to reject)").fill(reason)
    review.get_by_role("button", name="Reject").click()
    assert shown(supervisor.get_by_text("Rejected: the case stays in its stage."))

    investigator = sign_in("ivy")
    assert investigator.get_by_test_id("unread-count").inner_text() == "2"  # and: named lead
    investigator.get_by_test_id("notifications-link").click()
    notice = investigator.locator("[data-kind=gate_decided]")
    assert "sue rejected the request for the gate to Investigation" in notice.inner_text()
    notice.get_by_role("link", name="Open").click()
    investigator.wait_for_url(f"**/cases/{case_id}#decisions")
    assert investigator.get_by_test_id("rejection-reason").inner_text() == reason
    assert investigator.get_by_test_id("unread-count").inner_text() == "1"  # the decision is read now

    investigator.get_by_role("link", name="Edit details").click()
    investigator.get_by_label("Place", exact=True).fill("Khan Shaykhun")
    investigator.get_by_role("button", name="Save").click()
    assert shown(investigator.get_by_text("Case saved."))
    investigator.get_by_role("button", name="Request gate to Investigation").click()
    assert shown(investigator.get_by_test_id("under-review"))
    assert investigator.get_by_test_id("latest-rejection").count() == 0

    supervisor.get_by_role("link", name="Reviews").click()
    assert "Khan Shaykhun" in supervisor.locator("section[data-testid^=review-]").inner_text()
