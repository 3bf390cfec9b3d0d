"""Need-to-know and read-only roles, swept over the app's URL map, so new routes are covered."""
from __future__ import annotations

from datetime import timedelta

import pytest
from apiclient import bearer, make_token
from sqlalchemy import func, select, update
from urlmap import API, url

from models import (
    ApiToken,
    AuditEvent,
    Case,
    CustodyEvent,
    EvidenceItem,
    Finding,
    GateRequest,
    Response,
    Task,
)
from webclient import post
from workflow import cases, clock, reviews, tokens
from workflow.command import ANY_VERSION

#: URL arguments that name something inside a case.
CASE_ARGUMENTS = {"case_id", "evidence_id", "task_id", "request_id", "response_id", "milestone_id"}
#: What a refused POST might have tried to send, so that only permission can stop it.
FORM = {"version": "99", "target": "investigation", "reason": "x", "note": "x", "title": "x",
        "role": "investigator", "case_role": "investigator", "status": "adopted", "kind": "document"}


def everything(db) -> tuple:
    """Counts and versions a refused request must leave as they were."""
    with db.sessions() as session:
        counts = tuple(session.scalar(select(func.count()).select_from(model)) for model in
                       (AuditEvent, Case, CustodyEvent, EvidenceItem, Finding, GateRequest, Response, Task))
        versions = tuple(session.scalars(select(Case.version).order_by(Case.id)))
        statuses = tuple(session.scalars(select(Task.status).order_by(Task.id)))
    return counts, versions, statuses


#: Signing in and out, and one's own account (password, second factor, sessions): every
#: signed-in user may use them, whatever their roles.
OWN_ACCOUNT = ("static", "bootstrap.static", "auth.login", "auth.logout", "auth.second_factor",
               "language.choose")


def routes(app, *, case_only: bool):
    for rule in app.url_map.iter_rules():
        if (rule.endpoint in OWN_ACCOUNT or rule.endpoint.startswith("account.")
                or rule.endpoint.startswith(API)):
            continue
        if case_only and not rule.arguments & CASE_ARGUMENTS:
            continue
        yield rule


def sign_in(auth, username: str) -> None:
    assert auth.login(username).status_code == 302


def test_off_the_team_every_case_route_is_404_and_changes_nothing(app, client, auth, db, cast, full_case):
    sign_in(auth, "out")
    before = everything(db)
    checked = []
    for rule in routes(app, case_only=True):
        address = url(rule, {**full_case, "user_id": cast["out"].id})
        if "GET" in rule.methods:
            assert client.get(address).status_code == 404, address
        if "POST" in rule.methods:
            assert post(client, address, {**FORM, "user_id": cast["out"].id}).status_code == 404, address
        checked.append(rule.endpoint)
    assert len(checked) >= 20 and {"tasks.claim", "evidence.download", "reviews.approve"} <= set(checked)
    assert everything(db) == before
    for page in ("/cases", "/tasks", "/reviews", "/", "/insight", "/insight/unbound.csv"):
        assert "CW-" not in client.get(page).get_data(as_text=True), page


def test_auditor_gets_403_on_every_post_outside_the_audit_workspace(app, client, auth, db, cast,
                                                                   full_case):
    sign_in(auth, "aud")
    before = everything(db)
    posts = [rule for rule in routes(app, case_only=False)
             if "POST" in rule.methods and not rule.endpoint.startswith(("audit.", "transparency."))]
    for rule in posts:
        address = url(rule, {**full_case, "user_id": cast["ivy"].id})
        assert post(client, address, {**FORM, "user_id": cast["ivy"].id}).status_code == 403, address
    assert len(posts) >= 25
    assert everything(db) == before
    assert client.get(f"/cases/{full_case['case_id']}").status_code == 200  # and reads everything


def test_admin_gets_403_or_404_on_every_case_route(app, client, auth, db, cast, full_case):
    sign_in(auth, "adm")
    before = everything(db)
    for rule in routes(app, case_only=True):
        address = url(rule, {**full_case, "user_id": cast["ivy"].id})
        if "GET" in rule.methods:
            assert client.get(address).status_code in (403, 404), address
        if "POST" in rule.methods:
            assert post(client, address, FORM).status_code in (403, 404), address
    for page in ("/cases", "/tasks", "/reviews", "/insight"):
        assert client.get(page).status_code == 403
    assert everything(db) == before


@pytest.mark.parametrize("role_user", ["ivy", "ana", "leo"])
def test_removed_member_loses_the_case_at_once(client, auth, db, cast, full_case, role_user):
    sign_in(auth, role_user)
    case_id = full_case["case_id"]
    assert client.get(f"/cases/{case_id}").status_code == 200
    with db.transaction() as session:  # team changes wait until the case is out of review
        reviews.withdraw_gate(session, cast["leo"], full_case["request_id"],
                              expected_version=ANY_VERSION)
    with db.transaction() as session:
        cases.remove_member(session, cast["sue"], case_id, expected_version=ANY_VERSION,
                            user_id=cast[role_user].id)
    assert client.get(f"/cases/{case_id}").status_code == 404
    assert client.get(f"/cases/{case_id}/evidence/{full_case['evidence_id']}/download").status_code == 404


# --- the JSON API, swept with tokens ---------------------------------------------------------

def api_calls(app, ids: dict, *, case_only: bool = False, writes_only: bool = False):
    """(method, url) of every API operation, with the ids of `ids` in its URL."""
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api."):
            continue
        if case_only and "case_id" not in rule.arguments:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if writes_only and method == "GET":
                continue
            yield method, url(rule, ids)


def used(client, secret: str) -> str:
    """The token, used once: its first use from an address is audited, before the sweep counts."""
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 200
    return secret


def call(client, method: str, address: str, secret: str):
    """An API call that only a refusal can stop: any version, a body that fits most commands."""
    return client.open(address, method=method, json=FORM if method != "GET" else None,
                       headers=bearer(secret, "*"))


def test_a_session_cookie_opens_nothing_in_the_api(app, client, auth, db, cast, full_case):
    sign_in(auth, "sue")
    before = everything(db)
    calls = list(api_calls(app, {**full_case, "user_id": cast["ivy"].id}))
    for method, address in calls:
        response = client.open(address, method=method, json=FORM if method != "GET" else None,
                               headers={"If-Match": "*"})
        assert response.status_code == 401, (method, address)
        assert response.content_type == "application/problem+json"
    assert len(calls) >= 40
    assert everything(db) == before


def test_api_off_the_team_every_case_resource_is_404_and_changes_nothing(app, client, db, cast,
                                                                         full_case):
    secret = used(client, make_token(db, cast["out"]))
    before = everything(db)
    calls = list(api_calls(app, {**full_case, "user_id": cast["out"].id}, case_only=True))
    for method, address in calls:
        response = call(client, method, address, secret)
        # An investigator's token holds no audit scope: the case's log is refused for the
        # token before any case is looked up, for a case that exists or not alike.
        refused = 403 if "/audit-events" in address else 404
        assert response.status_code == refused, (method, address, response.json)
        assert "CW-" not in response.get_data(as_text=True)
    assert len(calls) >= 35
    assert everything(db) == before
    listed = client.get("/api/v1/cases", headers=bearer(secret)).json
    assert listed["items"] == []


def test_api_auditor_token_gets_403_on_every_write_and_reads_everything(app, client, db, cast,
                                                                        full_case):
    secret = used(client, make_token(db, cast["aud"]))
    before = everything(db)
    writes = list(api_calls(app, {**full_case, "user_id": cast["ivy"].id}, writes_only=True))
    for method, address in writes:
        assert call(client, method, address, secret).status_code == 403, (method, address)
    assert len(writes) >= 24
    assert everything(db) == before
    case = client.get(f"/api/v1/cases/{full_case['case_id']}", headers=bearer(secret))
    assert case.status_code == 200 and case.json["reference"].startswith("CW-")


def test_api_admin_token_sees_no_case_content(app, client, db, cast, full_case):
    secret = used(client, make_token(db, cast["adm"]))
    before = everything(db)
    for method, address in api_calls(app, {**full_case, "user_id": cast["ivy"].id}):
        if address == "/api/v1/me":
            continue
        response = call(client, method, address, secret)
        assert response.status_code in (403, 404), (method, address)
        assert "CW-" not in response.get_data(as_text=True)
    assert everything(db) == before
    assert client.get("/api/v1/me", headers=bearer(secret)).json["roles"] == ["admin"]


def test_api_read_token_gets_403_on_every_write(app, client, db, cast, full_case):
    secret = used(client, make_token(db, cast["sue"], scopes=("read",)))
    before = everything(db)
    for method, address in api_calls(app, {**full_case, "user_id": cast["ivy"].id},
                                     writes_only=True):
        response = call(client, method, address, secret)
        assert response.status_code == 403 and "write scope" in response.json["detail"], address
    assert everything(db) == before
    assert client.get(f"/api/v1/cases/{full_case['case_id']}", headers=bearer(secret)).status_code == 200


@pytest.mark.parametrize("how", ["expired", "revoked"])
def test_api_expired_or_revoked_token_is_401_everywhere(app, client, db, cast, full_case, how):
    secret = make_token(db, cast["sue"])
    # Every refusal counts against the token's throttle; here each call is to show its own 401.
    app.config.update(LOGIN_MAX_FAILURES=1000, LOGIN_MAX_FAILURES_PER_ADDRESS=1000)
    with db.transaction() as session:
        token_id = session.scalar(select(ApiToken.id).where(ApiToken.token_hash == tokens.digest(secret)))
        if how == "revoked":
            tokens.revoke_token(session, cast["sue"], token_id)
        else:
            session.execute(update(ApiToken).where(ApiToken.id == token_id).values(
                created_at=clock.utcnow() - timedelta(days=2),
                expires_at=clock.utcnow() - timedelta(seconds=1)))
    before = everything(db)[1:]  # each refusal is itself audited
    for method, address in api_calls(app, {**full_case, "user_id": cast["ivy"].id}):
        response = call(client, method, address, secret)
        assert response.status_code == 401, (method, address)
        assert how in response.json["detail"] and "Bearer" in response.headers["WWW-Authenticate"]
    assert everything(db)[1:] == before
