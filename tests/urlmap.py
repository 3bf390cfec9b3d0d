"""The app's URL map as the sweeps walk it: every route, its address built with real ids."""
from __future__ import annotations

from webclient import PASSWORD, post

#: Files, not pages: the stylesheets, scripts and icon.
STATIC = ("static", "bootstrap.static", "favicon")
#: The JSON API and its description: swept with tokens, never with cookies.
API = ("api.", "api_docs.")


def url(rule, ids: dict) -> str:
    """The address of `rule` with the ids of `ids` (1 for any it does not name)."""
    return rule.build({name: ids.get(name, 1) for name in rule.arguments}, append_unknown=False)[1]


def get_routes(app):
    """Every rule a signed-in browser may GET: all but the static files and the API."""
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and rule.endpoint not in STATIC and not rule.endpoint.startswith(API):
            yield rule


def page_ids(full_case: dict, cast: dict) -> dict:
    """The ids that fill the URL map's arguments: the full case's records, and ivy as the user."""
    return {**full_case, "user_id": cast["ivy"].id, "grant_id": 1, "table": "funnel"}



def addresses(app, ids: dict) -> list[str]:
    """The address of every GET route (see `get_routes`), in map order."""
    return [url(rule, ids) for rule in get_routes(app)]


def html_pages(app, username: str, candidates) -> list[str]:
    """Those of `candidates` that show `username` a page (200, HTML), in their order."""
    client = app.test_client()
    assert post(client, "/login", {"username": username, "password": PASSWORD}).status_code == 302
    pages = []
    for address in candidates:
        response = client.get(address)
        if response.status_code == 200 and response.mimetype == "text/html":
            pages.append(address)
        response.close()  # a download holds its file open until closed
    return pages


# --- in a browser ------------------------------------------------------------------------

#: One user of each role, each on the full case's team where the role has a part in cases.
ROLES = {"supervisor": "sue", "investigator": "ivy", "analyst": "ana", "legal_officer": "leo",
         "auditor": "aud", "admin": "adm"}


def sign_in(page, username: str) -> None:
    """Sign `page` in as `username` through the login form, as a person would."""
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")


def more_pages(make_case, move, full_case: dict) -> list[str]:
    """Pages the URL map's bare addresses do not show: two more cases, for the forms only their
    stages have (a case just reported: the gate request with its note; a closed one: reopening),
    and views chosen by a query (decided reviews, search results, one case's audit events)."""
    reported, closed = make_case(), make_case(title="Sarin attack on a market")
    move(closed, "closed")
    case_id = full_case["case_id"]
    return [f"/cases/{reported}", f"/cases/{closed}", "/reviews?tab=decided", "/search?q=chlorine",
            f"/audit?case={case_id}", f"/workflow?case={case_id}"]
