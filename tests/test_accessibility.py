"""Accessibility in a real browser: axe-core (WCAG 2.2 AA rules) finds no serious or critical
violation on any page of the URL map, for each role; every input has a visible label; an error
is tied to its field; met and unmet are said in words, not only in colour."""
from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from urlmap import ROLES, addresses, html_pages, more_pages, page_ids, sign_in

pytestmark = pytest.mark.browser

#: axe-core's rules for WCAG 2.0, 2.1 and 2.2 A and AA, and its best practices.
AXE_OPTIONS = {"resultTypes": ["violations"],
               "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa",
                                                     "wcag22aa", "best-practice"]}}
BLOCKING = ("serious", "critical")
#: Form controls a person types into or chooses from that have no visible label: the label
#: must be shown (not only given to screen readers) and name the control.
UNLABELLED = """() => {
  const seen = (el) => el.getClientRects().length > 0 && !el.closest('.visually-hidden')
      && getComputedStyle(el).visibility !== 'hidden' && el.textContent.trim() !== '';
  return Array.from(document.querySelectorAll('input, select, textarea'))
    .filter(c => !['hidden', 'submit', 'button', 'reset', 'image'].includes(c.type))
    .filter(c => !Array.from(c.labels || []).some(seen))
    .map(c => c.outerHTML.slice(0, 120));
}"""


@pytest.fixture(scope="module")
def axe() -> Axe:
    return Axe()


def blocking(axe: Axe, page) -> list[str]:
    """axe-core's serious and critical findings on `page`: rule, impact and where."""
    found = axe.run(page, options=AXE_OPTIONS).response["violations"]
    return [f"{v['id']} ({v['impact']}) at {[n['target'] for n in v['nodes']][:3]}: {v['help']}"
            for v in found if v["impact"] in BLOCKING]


def test_axe_finds_nothing_serious_on_any_page_for_any_role(app, new_context, axe, cast, full_case,
                                                           make_case, move):
    candidates = addresses(app, page_ids(full_case, cast)) + more_pages(make_case, move, full_case)
    problems, checked = {}, {}
    for role, username in ROLES.items():  # one signed-in browser context per role
        pages = checked[role] = html_pages(app, username, candidates)
        page = new_context().new_page()
        sign_in(page, username)
        for address in pages:
            page.goto(address)
            found = blocking(axe, page) + [f"no visible label: {c}" for c in page.evaluate(UNLABELLED)]
            if found:
                problems[f"{address} as {username} ({role})"] = found
    assert not problems, problems
    assert all("/" in pages and "/account" in pages for pages in checked.values())
    for role, pages in checked.items():
        if role != "admin":  # an admin sees no case
            assert f"/cases/{full_case['case_id']}" in pages and len(pages) >= 14, (role, pages)
    assert {"/admin/users", "/admin/users/new"} <= set(checked["admin"])
    assert "/audit" in checked["auditor"] and "/cases/new" in checked["investigator"]


def test_axe_finds_nothing_serious_signed_out_or_on_an_error_page(new_context, axe, make_user):
    make_user("ivy", "investigator")
    page = new_context().new_page()
    page.goto("/login")
    assert blocking(axe, page) == []
    page.get_by_label("Username").fill("ivy")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert blocking(axe, page) == []
    sign_in(page, "ivy")
    assert page.goto("/cases/999").status == 404
    assert blocking(axe, page) == []


def test_an_error_is_tied_to_its_field(new_context, axe, make_user):
    make_user("ivy", "investigator")
    page = new_context().new_page()
    sign_in(page, "ivy")
    page.goto("/cases/new")
    page.get_by_label("Date of the incident").fill("2018-04-07")
    page.get_by_role("button", name="Open the case").click()
    title = page.get_by_label("Title")
    expect(title).to_have_attribute("aria-invalid", "true")
    described = title.get_attribute("aria-describedby").split()
    errors = [page.locator(f"#{name}").inner_text() for name in described]
    assert any(text.startswith("Title:") for text in errors), errors
    assert page.get_by_label("Country").get_attribute("aria-invalid") is None  # only the wrong one
    assert blocking(axe, page) == []


def test_met_and_unmet_are_said_in_words(new_context, full_case):
    page = new_context().new_page()
    sign_in(page, "sue")
    page.goto(f"/cases/{full_case['case_id']}")
    items = page.get_by_test_id("pending-review").get_by_role("listitem")
    words = [item.text_content().strip() for item in items.all()]
    assert words and all(w.startswith(("Met:", "Not met:")) for w in words), words
    steps = page.get_by_role("list", name="Pathway").get_by_role("listitem")
    passed = [("(passed)" in step.text_content()) for step in steps.all()]
    assert passed == [True] * 3 + [False] * 4, passed
    assert steps.nth(3).get_attribute("aria-current") == "step"  # read out as the current step
