"""CSRF comes from Flask-WTF only: every form renders its own token, every POST route wants it."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
#: A token written by hand: the global `csrf_token()` or an input named csrf_token typed out.
HAND_WRITTEN = re.compile(r"(?<![\w.])csrf_token\(\)|name=\"csrf_token\"")
#: Programs post here with a signature as their proof, not a browser with a session.
EXEMPT = {"transparency.cosign"}
#: The JSON API takes no cookie, so no CSRF token: a POST there without a bearer token is 401
#: (tests/test_access_sweep.py).
API = ("api.", "api_docs.")


def test_no_template_writes_a_csrf_token_by_hand():
    found = [f"{path.relative_to(TEMPLATES)}:{number}"
             for path in sorted(TEMPLATES.rglob("*.html"))
             for number, line in enumerate(path.read_text().splitlines(), 1)
             if HAND_WRITTEN.search(line)]
    assert found == []


def post_routes(app) -> list[str]:
    return sorted(rule.build({name: 1 for name in rule.arguments}, append_unknown=False)[1]
                  for rule in app.url_map.iter_rules()
                  if "POST" in rule.methods and rule.endpoint not in EXEMPT
                  and not rule.endpoint.startswith(API))


def test_every_post_route_refuses_a_missing_token_with_400(app, client, auth):
    auth.login_as("supervisor")
    routes = post_routes(app)
    assert len(routes) > 30
    refused = {url: client.post(url, data={"version": "1"}).status_code for url in routes}
    assert {url: status for url, status in refused.items() if status != 400} == {}


@pytest.mark.parametrize("role", ["admin", "auditor"])
def test_a_wrong_token_is_refused_too(app, client, auth, role):
    auth.login_as(role)
    for url in post_routes(app):
        assert client.post(url, data={"csrf_token": "forged"}).status_code == 400, url
