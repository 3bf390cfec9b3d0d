"""Two-factor sign-in (TOTP, RFC 6238): enrolment, the code step, single use, recovery codes,
roles that must enrol first, the admin commands; every step audited."""
from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import select
from webclient import PASSWORD, post

from models.audit import AuditEvent
from models.user import RecoveryCode, User
from views.access import PUBLIC_ENDPOINTS
from workflow import audit, second_factor

#: The JSON API answers to tokens only, never to a session (tests/test_access_sweep.py).
API = ("api.", "api_docs.")

SECRET_SHOWN = re.compile(r'data-testid="secret">([A-Z2-7 ]+)<')
CODES_SHOWN = re.compile(r"<li>([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})</li>")


def event_types(db) -> list[str]:
    with db.sessions() as session:
        return session.scalars(select(AuditEvent.event_type).order_by(AuditEvent.seq)).all()


def user_named(db, username: str) -> User:
    with db.sessions() as session:
        return session.scalar(select(User).where(User.username == username))


@pytest.fixture
def enrolled(db, make_user):
    """sue, a supervisor with a second factor set up by an admin: (secret, recovery codes)."""
    make_user("sue", "supervisor")
    with db.transaction() as session:
        uri, codes = second_factor.enrol_for(session, audit.SYSTEM,
                                             session.scalar(select(User).where(User.username == "sue")))
    return re.search(r"secret=([A-Z2-7]+)", uri).group(1), codes


def password_step(auth):
    response = auth.login("sue")
    assert response.status_code == 302 and response.headers["Location"] == "/login/code"
    return response


def test_sign_in_with_a_valid_code(client, auth, db, enrolled):
    secret, _ = enrolled
    password_step(auth)
    page = client.get("/login/code").get_data(as_text=True)
    assert 'name="code"' in page
    response = post(client, "/login/code", {"code": second_factor.code_at(secret, time.time())})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    login = [e for e in event_types(db) if e == "login"]
    assert login == ["login"]


def test_nothing_but_the_code_page_between_the_steps(app, client, auth, enrolled):
    password_step(auth)
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS | {"auth.second_factor"} or rule.endpoint.startswith(API):
            continue  # open to anyone, signed in or not; the API takes tokens, never a session
        url = rule.build({name: 1 for name in rule.arguments}, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            assert response.status_code in (302, 400), (method, url)
            if response.status_code == 302:
                assert response.headers["Location"].startswith("/login"), url
    assert client.get("/login/code").status_code == 200  # still waiting for the code


@pytest.mark.parametrize("kind", ["wrong", "expired", "future"])
def test_wrong_and_expired_codes_are_refused(client, auth, db, enrolled, kind):
    secret, _ = enrolled
    password_step(auth)
    code = {"wrong": lambda: f"{(int(second_factor.code_at(secret, time.time())) + 1) % 10**6:06d}",
            "expired": lambda: second_factor.code_at(secret, time.time() - 5 * 60),
            "future": lambda: second_factor.code_at(secret, time.time() + 5 * 60)}[kind]()
    response = post(client, "/login/code", {"code": code})
    assert response.status_code == 200 and "That code is not valid" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302
    assert event_types(db)[-1] == "second_factor_failed"


def test_a_code_is_good_once(app, client, auth, db, enrolled):
    secret, _ = enrolled
    code = second_factor.code_at(secret, time.time())
    password_step(auth)
    assert post(client, "/login/code", {"code": code}).status_code == 302
    auth.logout()
    password_step(auth)
    response = post(client, "/login/code", {"code": code})
    assert "That code was used already" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302
    with db.sessions() as session:
        failed = session.scalars(select(AuditEvent).where(
            AuditEvent.event_type == "second_factor_failed")).all()
    assert '"reason":"replayed code"' in failed[-1].payload


def test_a_recovery_code_works_once(client, auth, db, enrolled):
    _, codes = enrolled
    password_step(auth)
    assert post(client, "/login/code", {"code": codes[0].upper()}).status_code == 302
    assert client.get("/").status_code == 200
    assert "recovery_code_used" in event_types(db)
    auth.logout()
    password_step(auth)
    assert "That code is not valid" in post(client, "/login/code", {"code": codes[0]}).get_data(as_text=True)
    with db.sessions() as session:
        stored = session.scalars(select(RecoveryCode.code_hash)).all()
    assert len(stored) == 10 and not any(code.replace("-", "") in h for h in stored for code in codes)


ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@pytest.mark.parametrize("digits", [ARABIC_INDIC, FULL_WIDTH])
def test_a_code_typed_in_other_digits_is_read_as_its_digits(client, auth, db, enrolled, digits):
    secret, _ = enrolled
    password_step(auth)
    wrong = post(client, "/login/code", {"code": "999999".translate(digits)})
    assert "That code is not valid" in wrong.get_data(as_text=True)
    code = second_factor.code_at(secret, time.time()).translate(digits)
    assert post(client, "/login/code", {"code": code}).headers["Location"] == "/"


def test_new_recovery_codes_take_the_password_again(client, auth, db, enrolled):
    _, codes = enrolled
    password_step(auth)
    assert post(client, "/login/code", {"code": codes[0]}).status_code == 302
    for password in ("", "not the password"):
        refused = post(client, "/account/two-factor/recovery-codes", {"current_password": password})
        assert refused.status_code == 422 and "current password" in refused.get_data(as_text=True).lower()
    assert "recovery_codes_renewed" not in event_types(db)
    renewed = post(client, "/account/two-factor/recovery-codes", {"current_password": PASSWORD})
    new_codes = CODES_SHOWN.findall(renewed.get_data(as_text=True))
    assert renewed.status_code == 200 and len(set(new_codes)) == 10 and codes[1] not in new_codes
    assert event_types(db)[-1] == "recovery_codes_renewed"


def test_the_code_step_expires(client, auth, enrolled, monkeypatch):
    import views.auth
    secret, _ = enrolled
    password_step(auth)
    later = views.auth._now() + views.auth.SECOND_STEP_SECONDS + 1
    monkeypatch.setattr(views.auth, "_now", lambda: later)
    response = post(client, "/login/code", {"code": second_factor.code_at(secret, time.time())})
    assert response.headers["Location"].startswith("/login")
    assert client.get("/").status_code == 302


def test_enrolment_from_the_account_page(client, auth, db):
    auth.login_as("analyst", "ana")
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert "<svg" in page
    secret = SECRET_SHOWN.search(page).group(1).replace(" ", "")
    wrong = post(client, "/account/two-factor", {"code": "000000" if second_factor.code_at(
        secret, time.time()) != "000000" else "111111"})
    assert wrong.status_code == 422 and "not the current code" in wrong.get_data(as_text=True)
    assert event_types(db)[-1] == "second_factor_failed"
    done = post(client, "/account/two-factor", {"code": second_factor.code_at(secret, time.time())})
    codes = CODES_SHOWN.findall(done.get_data(as_text=True))
    assert done.status_code == 200 and len(set(codes)) == 10
    assert user_named(db, "ana").totp_secret == secret
    assert "second_factor_enrolled" in event_types(db)
    assert "On since" in client.get("/account").get_data(as_text=True)


def test_the_qr_code_is_made_locally_and_holds_the_uri(client, auth):
    auth.login_as("analyst", "ana")
    page = client.get("/account/two-factor").get_data(as_text=True)
    qr = re.search(r'data-testid="qr">(.*?)</div>', page, re.S).group(1)
    assert qr.strip().startswith("<svg") and "http" not in qr


@pytest.fixture
def must_enrol(app):
    app.config["REQUIRE_2FA_ROLES"] = ("supervisor", "auditor", "admin")


def test_a_required_role_reaches_nothing_before_enrolling(app, client, auth, db, must_enrol):
    auth.login_as("supervisor", "sam")
    for rule in app.url_map.iter_rules():
        if (rule.endpoint in PUBLIC_ENDPOINTS | {"auth.logout", "auth.second_factor", "account.two_factor"}
                or "GET" not in rule.methods or rule.endpoint.startswith(API)):
            continue
        url = rule.build({name: 1 for name in rule.arguments}, append_unknown=False)[1]
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"] == "/account/two-factor", url
    for url in ("/account/sign-out-everywhere", "/account/password", "/admin/users/1/roles"):
        response = post(client, url)
        assert response.headers["Location"] == "/account/two-factor", url
    page = client.get("/account/two-factor").get_data(as_text=True)
    secret = SECRET_SHOWN.search(page).group(1).replace(" ", "")
    post(client, "/account/two-factor", {"code": second_factor.code_at(secret, time.time())})
    assert client.get("/").status_code == 200


def test_a_working_role_is_not_asked_to_enrol(client, auth, must_enrol):
    auth.login_as("investigator", "ivy")
    assert client.get("/").status_code == 200


def test_production_requires_it_of_supervisors_auditors_admins_and_development_does_not(tmp_path):
    from config import load_settings
    production = load_settings("production", {"SECRET_KEY": "k" * 32}, tmp_path)
    assert set(production.REQUIRE_2FA_ROLES) == {"supervisor", "auditor", "admin"}
    assert load_settings("development", {}, tmp_path).REQUIRE_2FA_ROLES == ()
    assert load_settings("production", {"SECRET_KEY": "k" * 32, "REQUIRE_2FA_ROLES": "auditor"},
                         tmp_path).REQUIRE_2FA_ROLES == ("auditor",)


def test_cli_enrol_prints_the_uri_once_and_reset_removes_it(runner, db, make_user, client, auth):
    make_user("sue", "supervisor")
    result = runner.invoke(args=["users", "totp-enroll", "sue"])
    assert result.exit_code == 0, result.output
    uri = re.search(r"otpauth://totp/\S+", result.output).group(0)
    assert "issuer=Restraint" in uri
    assert len(set(re.findall(r"\b[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}\b", result.output))) == 10
    assert password_step(auth)
    result = runner.invoke(args=["users", "reset-2fa", "sue"])
    assert result.exit_code == 0, result.output
    assert user_named(db, "sue").totp_secret is None
    assert {"second_factor_enrolled", "second_factor_reset"} <= set(event_types(db))
    assert runner.invoke(args=["users", "reset-2fa", "nobody"]).exit_code == 1


def test_cli_reset_password_reads_stdin_and_checks_the_policy(runner, db, make_user, auth):
    make_user("sue", "supervisor")
    weak = runner.invoke(args=["users", "reset-password", "sue", "--password-stdin"],
                         input="password1234\n")
    assert weak.exit_code == 1 and "too common" in weak.output
    result = runner.invoke(args=["users", "reset-password", "sue", "--password-stdin"],
                           input="another long passphrase\n")
    assert result.exit_code == 0, result.output
    assert auth.login("sue", "another long passphrase").status_code == 302
    assert "password_changed" in event_types(db)


@pytest.mark.parametrize("current, new, confirm, message", [
    ("not my password", "a fine new passphrase", "a fine new passphrase", "not your current password"),
    (PASSWORD, "short", "short", "Field must be"),
    (PASSWORD, "password1234", "password1234", "too common"),
    (PASSWORD, "a fine new passphrase", "another one", "the two new passwords differ"),
])
def test_password_change_refusals_name_the_field(client, auth, db, current, new, confirm, message):
    auth.login_as("analyst", "ana")
    before = user_named(db, "ana").password_hash
    response = post(client, "/account/password", {"current_password": current, "new_password": new,
                                                   "confirm": confirm})
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert user_named(db, "ana").password_hash == before


@pytest.mark.parametrize("at, code", [(59, "287082"), (1111111109, "081804"), (1234567890, "005924"),
                                      (2000000000, "279037")])
def test_codes_follow_rfc_6238(at, code):
    """The SHA-1 test vectors of RFC 6238, appendix B (last six digits)."""
    import base64
    secret = base64.b32encode(b"12345678901234567890").decode()
    assert second_factor.code_at(secret, at) == code
    assert second_factor.matching_step(secret, code, at) == at // 30
