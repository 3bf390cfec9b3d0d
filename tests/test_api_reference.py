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
