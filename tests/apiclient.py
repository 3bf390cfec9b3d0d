"""Driving the JSON API as a program would: personal access tokens and bearer requests."""
from __future__ import annotations

from datetime import timedelta

from workflow import clock, permissions, tokens
from workflow.audit import Actor

ALL_SCOPES = ("read", "write", "audit")


def make_token(db, actor: Actor, scopes=None, days: int = 30, name: str = "test") -> str:
    """A token of `actor` (made as the account page makes it), with every scope the actor's
    roles may hold unless `scopes` are named; returns its secret."""
    if scopes is None:
        reads_audit = permissions.can(actor, permissions.READ_AUDIT)
        scopes = ALL_SCOPES if reads_audit else tuple(s for s in ALL_SCOPES if s != "audit")
    with db.transaction() as session:
        return tokens.create_token(session, actor, name=name, scopes=list(scopes),
                                   expires_on=clock.today() + timedelta(days=days)).secret


def bearer(secret: str, version=None, **headers) -> dict:
    """The headers of an API request with `secret`, and If-Match for `version` when given."""
    if version is not None:
        headers["If-Match"] = version if isinstance(version, str) else f'"v{version}"'
    return {"Authorization": f"Bearer {secret}", **headers}


class Api:
    """A test client bound to one token: `api.get(path)`, `api.post(path, json, version=…)`."""

    def __init__(self, client, secret: str):
        self.client, self.secret = client, secret

    def call(self, method: str, path: str, json=None, version=None, **kwargs):
        headers = bearer(self.secret, version, **kwargs.pop("headers", {}))
        return self.client.open("/api/v1" + path, method=method, json=json, headers=headers,
                                **kwargs)

    def get(self, path: str, **kwargs):
        return self.call("GET", path, **kwargs)

    def post(self, path: str, json=None, version=None, **kwargs):
        return self.call("POST", path, json, version, **kwargs)

    def version(self, case_id: int) -> int:
        return self.get(f"/cases/{case_id}").json["version"]
