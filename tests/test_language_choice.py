"""Choosing the language and the time zone: the browser's language before sign-in, the switch in
the navigation, the account's preference after; times shown in the user's zone."""
from __future__ import annotations

import re
from datetime import date, datetime

from bs4 import BeautifulSoup
from flask_babel import force_locale, gettext
from webclient import PASSWORD, post

from models.user import User
from views.language import day, translated
from workflow import reviews
from workflow.command import ANY_VERSION
from workflow.words import recalled
from workflow.audit_log import EVENT_NAMES


def html_attributes(response) -> dict:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser").html.attrs


def token_of(response) -> str:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser").select_one(
        'meta[name="csrf-token"]')["content"]


def test_before_sign_in_the_browser_language_speaks(client):
    assert html_attributes(client.get("/login", headers={"Accept-Language": "ar"})) == {"lang": "ar", "dir": "rtl"}
    assert html_attributes(client.get("/login", headers={"Accept-Language": "fr, en;q=0.8"})) == {
        "lang": "en", "dir": "ltr"}
    assert html_attributes(client.get("/login", headers={"Accept-Language": "de"}))["lang"] == "en"


def test_the_switch_before_sign_in_holds_for_the_browser(client):
    page = client.get("/login", headers={"Accept-Language": "en"})
    switched = client.post("/language", data={"locale": "ar", "next": "/login", "csrf_token": token_of(page)})
    assert switched.status_code == 302 and switched.headers["Location"] == "/login"
    assert html_attributes(client.get("/login", headers={"Accept-Language": "en"}))["lang"] == "ar"


def test_the_language_chosen_before_sign_in_speaks_after_it(client, cast):
    page = client.get("/login", headers={"Accept-Language": "en"})
    client.post("/language", data={"locale": "ar", "next": "/login", "csrf_token": token_of(page)})
    assert post(client, "/login", {"username": "ivy", "password": PASSWORD}).status_code == 302
    assert html_attributes(client.get("/", headers={"Accept-Language": "en"}))["dir"] == "rtl"


def test_signing_out_keeps_the_language_of_the_browser(client, cast):
    page = client.get("/login", headers={"Accept-Language": "en"})
    client.post("/language", data={"locale": "ar", "next": "/login", "csrf_token": token_of(page)})
    assert post(client, "/login", {"username": "ivy", "password": PASSWORD}).status_code == 302
    assert post(client, "/logout").status_code == 302
    signed_out = client.get("/login", headers={"Accept-Language": "en"})
    assert html_attributes(signed_out)["dir"] == "rtl" and "You are signed out." not in signed_out.get_data(as_text=True)


def test_a_refusal_on_the_case_page_is_said_in_the_readers_language(app, db, client, cast, make_case, satisfy):
    case_id = make_case()
    satisfy(case_id, "investigation")
    with db.transaction() as session:
        request_id = reviews.request_gate(session, cast["ivy"], case_id, expected_version=ANY_VERSION,
                                          target="investigation").id
    assert post(client, "/login", {"username": "sue", "password": PASSWORD}).status_code == 302
    page = client.get(f"/cases/{case_id}")
    client.post("/language", data={"locale": "ar", "next": "/", "csrf_token": token_of(page)})
    version = re.search(r'name="version" value="(\d+)"', client.get(f"/cases/{case_id}").get_data(as_text=True))
    response = post(client, f"/reviews/{request_id}/reject", {"version": version.group(1), "reason": "",
                                                               "back": "case"})
    with app.test_request_context(), force_locale("ar"):
        arabic = gettext("A reason is needed: say why the request is rejected.")
    text = response.get_data(as_text=True)
    assert response.status_code == 422 and arabic in text and "A reason is needed" not in text


def test_the_checklist_kept_with_a_request_is_said_in_the_readers_language(app, db, client, cast,
                                                                            make_case, satisfy):
    case_id = make_case()
    satisfy(case_id, "investigation")
    with db.transaction() as session:
        request = reviews.request_gate(session, cast["ivy"], case_id, expected_version=ANY_VERSION,
                                       target="investigation")
        items = request.checklist_items
    assert post(client, "/login", {"username": "sue", "password": PASSWORD}).status_code == 302
    client.post("/language", data={"locale": "ar", "next": "/", "csrf_token": token_of(client.get("/"))})
    shown = " ".join(BeautifulSoup(client.get("/reviews").get_data(as_text=True), "html.parser").get_text().split())
    with app.test_request_context(), force_locale("ar"):
        details = [" ".join(translated(recalled(item["words"]["detail"])).split()) for item in items]
    assert details != [" ".join(item["detail"].split()) for item in items]  # Arabic words, not English
    assert all(detail in shown for detail in details)
    assert not any(item["detail"] in shown for item in items if item["detail"] not in details)


def test_dates_keep_their_order_inside_arabic_sentences(app):
    with app.test_request_context(), force_locale("ar"):
        assert day(date(2026, 12, 12)) == "\u20662026-12-12\u2069"
    with app.test_request_context(), force_locale("en"):
        assert day(date(2026, 12, 12)) == "2026-12-12"


def test_the_switch_of_a_signed_in_user_is_their_preference_everywhere(app, db, client, cast):
    assert post(client, "/login", {"username": "ivy", "password": PASSWORD}).status_code == 302
    page = client.get("/cases")
    switched = client.post("/language", data={"locale": "ar", "next": "/cases", "csrf_token": token_of(page)})
    assert switched.headers["Location"] == "/cases"
    with db.transaction() as session:
        assert session.get(User, cast["ivy"].id).locale == "ar"
    other = app.test_client()  # another browser, asking for English
    assert post(other, "/login", {"username": "ivy", "password": PASSWORD}).status_code == 302
    assert html_attributes(other.get("/", headers={"Accept-Language": "en"}))["dir"] == "rtl"


def test_the_switch_goes_back_only_to_a_page_of_this_site(client):
    page = client.get("/login")
    away = client.post("/language", data={"locale": "ar", "next": "//evil.example/", "csrf_token": token_of(page)})
    assert away.headers["Location"] == "/"


def test_the_account_page_sets_language_and_time_zone_audited(db, client, auth, cast):
    auth.login("ivy")
    page = client.get("/account")
    saved = post(client, "/account/preferences", {"locale": "ar", "time_zone": "Asia/Damascus"})
    assert saved.status_code == 302
    with db.transaction() as session:
        user = session.get(User, cast["ivy"].id)
        assert (user.locale, user.time_zone) == ("ar", "Asia/Damascus")
    assert "preferences_changed" in EVENT_NAMES
    audit = client.get("/account").get_data(as_text=True)
    assert 'lang="ar"' in audit and page.status_code == 200
    assert "حُفظت اللغة والمنطقة الزمنية." in audit  # the message, in the language chosen


def test_an_unknown_time_zone_is_refused_beside_its_field(client, auth, cast):
    auth.login("ivy")
    refused = post(client, "/account/preferences", {"locale": "", "time_zone": "Mars/Olympus"})
    assert refused.status_code == 422
    assert "IANA" in refused.get_data(as_text=True)


def test_times_are_shown_in_the_users_zone(app, db, client, auth, cast):
    from views.language import when
    with db.transaction() as session:
        session.get(User, cast["ivy"].id).time_zone = "Asia/Damascus"
    auth.login("ivy")
    with app.test_request_context():
        from flask_login import login_user
        with db.transaction() as session:
            login_user(session.get(User, cast["ivy"].id))
            assert when(datetime(2026, 1, 5, 10, 0)).startswith("2026-01-05 13:00")
            # Late on the 1st in UTC is already the 2nd in Damascus; a date stays the date it is.
            assert (day(datetime(2026, 1, 1, 22, 30)), day(date(2026, 1, 1))) == ("2026-01-02", "2026-01-01")


def test_the_audit_log_lists_its_kinds_of_event_in_the_readers_alphabetical_order(client, cast):
    page = client.get("/login", headers={"Accept-Language": "ar"})
    client.post("/language", data={"locale": "ar", "next": "/login", "csrf_token": token_of(page)})
    assert post(client, "/login", {"username": "aud", "password": PASSWORD}).status_code == 302
    audit = BeautifulSoup(client.get("/audit").get_data(as_text=True), "html.parser")
    names = [option.get_text(strip=True) for option in audit.select('select[name="type"] option')][1:]
    assert len(names) > 20 and all(re.search("[\u0600-\u06ff]", name) for name in names)
    assert names == sorted(names, key=str.casefold)


def test_the_forms_own_messages_are_said_in_each_readers_language(client):
    """WTForms' messages follow the reader from one request to the next, whichever came first."""
    for language, required in (("ar", "هذا الحقل مطلوب."), ("en", "This field is required."),
                               ("ar", "هذا الحقل مطلوب.")):
        page = client.get("/login", headers={"Accept-Language": language})
        refused = client.post("/login", headers={"Accept-Language": language},
                              data={"username": "", "password": "", "csrf_token": token_of(page)})
        assert required in refused.get_data(as_text=True)


def test_two_names_are_listed_once_each_in_arabic(app):
    from views.language import listed
    from workflow.words import inline
    with app.test_request_context(), force_locale("ar"):
        two = listed([inline("analyst"), inline("supervisor")])
        three = listed([inline("analyst"), inline("supervisor"), inline("auditor")])
    assert two.count("مشرف") == 1 and "محلل" in two
    assert [three.count(name) for name in ("محلل", "مشرف", "مدقق")] == [1, 1, 1]


def test_the_switch_on_a_page_answering_a_form_brings_back_the_page_of_the_form(client, auth, cast):
    auth.login("ivy")
    refused = post(client, "/account/password", {"current_password": "wrong", "new_password": "x" * 16,
                                                 "confirm": "x" * 16},
                   headers={"Referer": "http://localhost/account"})
    form = BeautifulSoup(refused.get_data(as_text=True), "html.parser").select_one(
        '[data-testid="language-switch"]')
    assert form.select_one('input[name="next"]')["value"] == "/account"
    switched = client.post("/language", data={"locale": "ar", "next": "/account",
                                              "csrf_token": token_of(refused)})
    assert switched.headers["Location"] == "/account" and client.get("/account").status_code == 200
