"""Driving the app through the test client as a browser would: CSRF tokens, sign-in."""
from __future__ import annotations

import re

PASSWORD = "correct horse battery staple"
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def csrf_token(client) -> str:
    """A valid CSRF token for this client's session, read from a page as a browser would."""
    page = client.get("/login", follow_redirects=True).get_data(as_text=True)
    return CSRF_META.search(page).group(1)


def post(client, url: str, data: dict | None = None, **kwargs):
    """POST a form with its CSRF token, as the page would."""
    return client.post(url, data={"csrf_token": csrf_token(client), **(data or {})}, **kwargs)


class Auth:
    """Signs the test client in and out as a user of a given role."""

    def __init__(self, client, make_user):
        self.client, self.make_user = client, make_user

    def login(self, username: str, password: str = PASSWORD, next_url: str | None = None):
        url = "/login" + (f"?next={next_url}" if next_url else "")
        return post(self.client, url, {"username": username, "password": password})

    def login_as(self, role: str, username: str | None = None) -> int:
        username = username or f"{role.replace('_', '-')}-user"
        user_id = self.make_user(username, role)
        response = self.login(username)
        assert response.status_code == 302, response.get_data(as_text=True)
        return user_id

    def logout(self):
        return post(self.client, "/logout")


def spreadsheet(response) -> str:
    """A report downloaded as CSV, as text: UTF-8 after the byte order mark spreadsheets need."""
    body = response.get_data()
    assert body.startswith("\ufeff".encode()), body[:20]
    return body.decode("utf-8-sig")
