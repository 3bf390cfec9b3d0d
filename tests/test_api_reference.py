"""The API's reference page in a real browser: it renders the document, under the same
Content-Security-Policy as every page (the `page` fixture fails on any violation)."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_the_reference_renders_every_section_without_a_policy_violation(page):
    page.goto("/api/docs")
    page.get_by_text("Restraint API").first.wait_for()
    sections = page.locator(".opblock-tag").all_inner_texts()
    assert [s.split("\n")[0] for s in sections][:3] == ["cases", "gates", "evidence"]
    assert page.locator(".opblock").count() >= 40
    page.locator(".opblock-summary-path", has_text="/api/v1/cases/{case_id}/gate-requests").first.click()
    page.get_by_text("If-Match").first.wait_for()


def test_the_reference_has_nothing_serious_for_axe_and_fits_a_phone(page):
    """The reference is Swagger UI's: its colours are darkened to AA contrast and its operations
    carry no link inside their toggle buttons, so axe-core finds nothing serious there either."""
    from test_accessibility import AXE_OPTIONS, BLOCKING
    from axe_playwright_python.sync_playwright import Axe

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/api/docs")
    page.get_by_text("Restraint API").first.wait_for()
    page.locator(".opblock-summary-control").first.click()  # one operation open, as a reader has it
    page.get_by_text("Parameters").first.wait_for()
    found = Axe().run(page, options=AXE_OPTIONS).response["violations"]
    assert not [(v["id"], v["impact"], v["nodes"][0]["html"][:120]) for v in found
                if v["impact"] in BLOCKING]
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
