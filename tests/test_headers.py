"""Security headers on every response, from one place: every GET route of the URL map signed
in and out, errors, and downloads."""
from __future__ import annotations

import pytest
from webclient import post

from app import create_app
from views.headers import STATIC_ENDPOINTS

EXPECTED = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def check(response, url: str, signed_in: bool) -> None:
    headers = response.headers
    for name, value in EXPECTED.items():
        assert headers.get(name) == value, (url, name)
    policy = headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy, url
    script = next(part for part in policy.split(";") if part.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script and "'unsafe-eval'" not in script, url
    if signed_in:
        assert headers["Cache-Control"] == "no-store", url
    assert "Strict-Transport-Security" not in headers  # only in production
    assert "Server" not in headers


def every_get(app, values: dict):
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        if rule.endpoint == "static":
            yield rule, "/static/restraint.css"
        elif rule.endpoint == "bootstrap.static":
            yield rule, "/bootstrap/static/css/bootstrap.min.css"
        else:
            yield rule, rule.build({name: values.get(name, 1) for name in rule.arguments},
                                   append_unknown=False)[1]


def test_headers_on_every_get_route_signed_out(app, client):
    checked = 0
    for rule, url in every_get(app, {}):
        with client.get(url) as response:
            check(response, url, signed_in=False)
            if rule.endpoint not in STATIC_ENDPOINTS:
                assert response.headers["Cache-Control"] == "no-store", url
        checked += 1
    assert checked >= 15


@pytest.mark.parametrize("username", ["sue", "aud", "ivy", "adm"])
def test_headers_on_every_get_route_signed_in(app, client, auth, cast, full_case, username):
    assert auth.login(username).status_code == 302
    values = {**full_case, "table": "funnel", "grant_id": 1}
    statuses = set()
    for _rule, url in every_get(app, values):
        with client.get(url) as response:
            check(response, url, signed_in=True)
            statuses.add(response.status_code)
    assert 200 in statuses


def test_headers_on_downloads_and_exports(app, client, auth, cast, full_case):
    assert auth.login("sue").status_code == 302
    downloads = [client.get(f"/cases/{full_case['case_id']}/evidence/{full_case['evidence_id']}/download"),
                 client.get("/cases/export.csv"), client.get("/dashboard/funnel.csv"),
                 post(client, "/audit/export", {"format": "csv"})]
    for response in downloads:
        assert response.status_code == 200
        check(response, response.request.path, signed_in=True)
        response.close()


def test_hsts_in_production(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    app = create_app({"ENV": "production", "DATABASE_URL": database_url,
                      "EVIDENCE_DIR": str(tmp_path / "evidence")})
    response = app.test_client().get("/login")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    app.extensions["database"].dispose()


def test_production_server_sends_no_version():
    """`make serve` runs gunicorn, whose Server header is its bare name; the app adds none."""
    import gunicorn
    assert gunicorn.SERVER == "gunicorn"


def test_the_favicon_is_served_from_our_own_files(client, auth, cast):
    with client.get("/favicon.ico") as response:  # signed out: browsers ask before anything
        assert response.status_code == 200 and response.mimetype == "image/vnd.microsoft.icon"
        assert response.data[:4] == b"\x00\x00\x01\x00"  # an ICO file's header
    auth.login("ivy")
    page = client.get("/account").get_data(as_text=True)
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page
    with client.get("/static/favicon.svg") as response:
        assert response.status_code == 200 and b"<svg" in response.data
