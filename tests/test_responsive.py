"""On a phone (390 × 844): no page scrolls sideways, the navigation folds behind its toggler,
wide tables scroll inside their section and the pathway wraps. In a real browser."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from urlmap import ROLES, addresses, html_pages, more_pages, page_ids, sign_in

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
#: How much wider than the window the page is (0 when nothing scrolls sideways).
OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"


@pytest.fixture
def phone(new_context):
    """A page in a phone-sized window that skips animations (the navbar opens at once)."""
    def open_page():
        page = new_context().new_page()
        page.set_viewport_size(PHONE)
        page.emulate_media(reduced_motion="reduce")
        return page
    return open_page


def open_menu_and_reach_sign_out(page) -> None:
    """The navigation is folded; the toggler opens it and "Sign out" can then be clicked."""
    sign_out = page.get_by_role("button", name="Sign out", exact=True)
    toggler = page.get_by_role("button", name="Menu")
    expect(sign_out).to_be_hidden()
    expect(toggler).to_have_attribute("aria-expanded", "false")
    toggler.click()
    expect(toggler).to_have_attribute("aria-expanded", "true")
    expect(sign_out).to_be_visible()
    sign_out.click(trial=True)  # visible, enabled, not covered: a click would land on it
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_no_page_of_the_url_map_scrolls_sideways_on_a_phone(app, phone, cast, full_case, make_case,
                                                            move):
    candidates = addresses(app, page_ids(full_case, cast)) + more_pages(make_case, move, full_case)
    seen, wide, bare = set(), [], set()
    page = phone()
    page.goto("/login")
    assert page.evaluate(OVERFLOW) <= 0, "/login"
    for username in ROLES.values():  # each page as the first role that sees it
        pages = [p for p in html_pages(app, username, candidates) if p not in seen]
        if not pages:
            continue
        page.context.clear_cookies()
        sign_in(page, username)
        for address in pages:
            page.goto(address)
            if page.evaluate(OVERFLOW) > 0:
                wide.append((username, address, page.evaluate("document.documentElement.scrollWidth")))
            if page.locator("#main-nav").count():
                open_menu_and_reach_sign_out(page)
            else:
                bare.add(address)
            seen.add(address)
    assert not wide, f"pages wider than {PHONE['width']} px: {wide}"
    # Only the dossier, a document made to be printed, stands without the navigation.
    assert {address.rsplit("/", 1)[-1] for address in bare} <= {"dossier"}, bare
    # the case pages, the dashboard, every list, the admin's pages and one's own account
    assert len(seen) >= 25 and {"/", "/cases", "/tasks", "/reviews", "/audit", "/admin/users",
                                "/account", f"/cases/{full_case['case_id']}"} <= seen
    page.get_by_role("button", name="Sign out", exact=True).click()
    page.wait_for_url("**/login")
    expect(page.get_by_text("You are signed out.")).to_be_visible()


def test_on_a_phone_the_menu_grid_scrolls_in_its_section_and_the_pathway_wraps(phone, full_case):
    page = phone()
    sign_in(page, "sue")
    page.goto(f"/cases/{full_case['case_id']}")
    grid = page.locator(".table-responsive", has=page.locator("table.menu-grid"))
    sizes = grid.evaluate("e => [e.scrollWidth, e.clientWidth]")
    assert sizes[0] > sizes[1], "the 3 × 6 grid is wider than a phone and scrolls inside its box"
    assert grid.bounding_box()["width"] <= PHONE["width"]
    grid.evaluate("e => { e.scrollLeft = e.scrollWidth }")
    assert grid.evaluate("e => e.scrollLeft") > 0
    steps = page.get_by_role("list", name="Pathway").get_by_role("listitem")
    boxes = [steps.nth(i).bounding_box() for i in range(steps.count())]
    assert len(boxes) == 7 and all(b["x"] >= 0 and b["x"] + b["width"] <= PHONE["width"] for b in boxes)
    assert len({round(b["y"]) for b in boxes}) > 1, "the steps wrap onto more than one row"
    assert page.evaluate(OVERFLOW) <= 0


@pytest.mark.parametrize("locale", ["en", "ar"])
def test_on_a_phone_a_tasks_buttons_are_seen_without_scrolling_sideways(phone, db, make_case, move,
                                                                       locale):
    from sqlalchemy import update

    from models.user import User
    move(make_case(title="Chlorine barrel bombs dropped on a residential quarter of Saraqib"),
         "investigation")  # whose stage tasks wait in the investigators' queue
    with db.transaction() as session:
        session.execute(update(User).values(locale=locale))
    page = phone()
    sign_in(page, "ivy")
    page.goto("/tasks")
    claim = page.locator('[data-testid="my-queues"] [data-command="claim_task"]').first
    shown = claim.bounding_box()
    assert shown["x"] >= 0 and shown["x"] + shown["width"] <= PHONE["width"]
    due = page.locator('[data-testid="my-queues"] td[data-label]').last.bounding_box()
    assert due["x"] >= 0 and due["x"] + due["width"] <= PHONE["width"]
    claim.click()
    complete = page.locator('[data-testid="my-tasks"] [data-command="complete_task"]').first
    shown = complete.bounding_box()
    assert shown["x"] >= 0 and shown["x"] + shown["width"] <= PHONE["width"]


def test_on_a_wide_screen_the_navigation_is_open_without_a_toggler(page, make_user):
    make_user("sue", "supervisor")
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, "sue")
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    expect(page.get_by_role("button", name="Sign out", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Cases", exact=True)).to_be_visible()
