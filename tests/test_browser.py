"""In a real browser (system Chromium driven by Playwright)."""
from __future__ import annotations

import pytest

from webclient import PASSWORD

pytestmark = pytest.mark.browser


def test_supervisor_signs_in_and_sees_the_dashboard(page, make_user):
    make_user("sam", "supervisor")
    page.goto("/login")
    page.get_by_label("Username").fill("sam")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")
    assert page.get_by_role("heading", name="Dashboard").is_visible()
    assert "supervisor" in page.get_by_test_id("signed-in-as").inner_text()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login")
    assert page.get_by_text("You are signed out.").is_visible()
