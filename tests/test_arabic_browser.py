"""Arabic in a real browser, on a wide screen and on a phone: the page reads from the right (the
brand on the right, sign-out and the folded menu's toggler on the left, the pathway's first stage
on the right), nothing scrolls sideways, and Arabic text people wrote keeps its order beside
dates and numbers."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import update
from urlmap import sign_in

from models.user import User

pytestmark = pytest.mark.browser

WIDE, PHONE = {"width": 1280, "height": 800}, {"width": 390, "height": 844}
OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"
ARABIC_CASE = dict(title="هجوم بالكلور على حي سكني في 10 آب 2016", place="سراقب",
                   summary="شهود يصفون رائحة الكلور عند الساعة 22:30")


@pytest.fixture
def arabic(db, cast):
    """Every user of the cast reads Arabic."""
    with db.transaction() as session:
        session.execute(update(User).values(locale="ar"))


def box(locator) -> dict:
    return locator.bounding_box()


def pathway_reads_from_the_right(page) -> None:
    steps = page.locator("ol.pathway > li")
    first, last = box(steps.first), box(steps.last)
    assert first["x"] > last["x"] or first["y"] < last["y"]
    assert first["x"] + first["width"] > page.viewport_size["width"] / 2


@pytest.mark.parametrize("size", [WIDE, PHONE], ids=["1280px", "390px"])
def test_arabic_pages_read_from_the_right_and_never_scroll_sideways(new_context, arabic, make_case,
                                                                    size):
    case_id = make_case(**ARABIC_CASE)
    page = new_context().new_page()
    page.set_viewport_size(size)
    page.emulate_media(reduced_motion="reduce")
    sign_in(page, "ivy")
    for address in ("/", "/cases", f"/cases/{case_id}", "/tasks", "/reviews", "/account",
                    "/account/notifications", "/search?q=الكلور", "/workflow"):
        page.goto(address)
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        assert page.evaluate(OVERFLOW) <= 0, address
    page.goto(f"/cases/{case_id}")
    pathway_reads_from_the_right(page)
    brand = page.get_by_test_id("brand")
    sign_out = page.locator('form[action="/logout"] button')
    assert box(brand)["x"] + box(brand)["width"] > size["width"] * 0.75, "the brand stands on the right"
    if size is PHONE:
        toggler = page.locator(".navbar-toggler")
        expect(sign_out).to_be_hidden()
        assert box(toggler)["x"] < size["width"] / 4, "the folded menu's toggler stands on the left"
        toggler.click()
        expect(sign_out).to_be_visible()
        assert page.evaluate(OVERFLOW) <= 0
    else:
        expect(page.locator(".navbar-toggler")).to_be_hidden()
        assert box(sign_out)["x"] < box(brand)["x"], "sign-out is on the left of the brand"
    sign_out.click()
    page.wait_for_url("**/login")


def test_arabic_text_keeps_its_order_beside_dates_and_numbers(new_context, arabic, make_case):
    case_id = make_case(**ARABIC_CASE)
    page = new_context().new_page()
    page.set_viewport_size(WIDE)
    sign_in(page, "ivy")
    page.goto(f"/cases/{case_id}")
    for text in ARABIC_CASE.values():
        shown = page.get_by_text(text, exact=True).first
        expect(shown).to_be_visible()
        # Its own element, or the nearest one around it, decides its direction from its first
        # strong letter: Arabic, whatever the page's direction.
        direction = shown.evaluate("e => e.closest('[dir]').getAttribute('dir')")
        assert direction == "auto", text
        assert shown.evaluate("e => getComputedStyle(e).direction") == "rtl"


@pytest.mark.parametrize("signed_in", [False, True], ids=["signed-out", "signed-in"])
def test_the_language_switch_is_seen_on_the_dark_bar(page, cast, signed_in):
    """Its text is drawn in the bar's light colour, not in the page's dark one."""
    if signed_in:
        sign_in(page, "ivy")
    else:
        page.goto("/login")
    switch = page.get_by_test_id("language-switch").get_by_role("button")
    colour = switch.evaluate("e => getComputedStyle(e).color")
    bar = page.locator("nav.navbar").evaluate("e => getComputedStyle(e).backgroundColor")
    assert luminance(colour) - luminance(bar) > 0.4, (colour, bar)


def luminance(css_colour: str) -> float:
    """The relative luminance (WCAG) of an `rgb(…)` or `rgba(…)` colour, from 0 to 1."""
    channels = [int(part) / 255 for part in re.findall(r"[\d.]+", css_colour)[:3]]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]



def test_latin_words_in_a_description_stand_beside_their_label(new_context, arabic, make_case):
    case_id = make_case(**ARABIC_CASE, delivery_means="barrel bomb")
    page = new_context().new_page()
    page.set_viewport_size(WIDE)
    sign_in(page, "ivy")
    page.goto(f"/cases/{case_id}")
    label = box(page.locator("dt").filter(has_text="وسيلة الإيصال"))
    value = box(page.locator("dd").filter(has_text="barrel bomb"))
    # On the label's row, to its left (the page reads from the right), not wrapped below it.
    assert abs(value["y"] - label["y"]) < 4
    assert value["x"] + value["width"] <= label["x"] + 1
    # Code (a reference, a hash) reads left to right: a shortened hash keeps "…" at its end.
    assert page.evaluate("""() => { const code = document.createElement("code");
        document.querySelector("main").append(code); return getComputedStyle(code).direction; }""") == "ltr"


def test_the_verification_line_fits_a_phone_on_an_arabic_page(new_context, arabic, make_case):
    make_case()
    page = new_context().new_page()
    page.set_viewport_size(PHONE)
    sign_in(page, "aud")
    page.goto("/audit")
    page.locator('form[action^="/audit/verify"] button').click()
    expect(page.get_by_test_id("verification").locator("samp")).to_be_visible()
    assert page.evaluate(OVERFLOW) <= 0
    # The first stop of the keyboard skips the navigation to the page's content.
    page.keyboard.press("Tab")
    skip = page.locator("a:focus")
    assert skip.get_attribute("href") == "#content"
