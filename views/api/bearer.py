"""Who calls the API: a personal access token in `Authorization: Bearer`, never a cookie; and
which other sites' pages may call it (CORS, off unless API_CORS_ORIGINS names them)."""
from __future__ import annotations

from flask import current_app, g, request

from views import db
from views.api.operation import blueprint
from views.api.problems import Problem
from views.auth import client_address, throttle
from workflow import tokens


@blueprint.before_request
def authenticate():
    """Every operation needs `Authorization: Bearer <token>`; a session cookie counts for nothing."""
    if request.method == "OPTIONS":  # a CORS preflight carries no credentials
        return None
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    secret = secret.strip()
    challenge = {"WWW-Authenticate": 'Bearer realm="restraint"'}
    if scheme.lower() != "bearer" or not secret or len(secret) > 200:
        raise Problem(401, "Send a personal access token: Authorization: Bearer rst_… "
                           "(made on your account page).", "token", challenge)
    limits = throttle()
    identified = tokens.identify(db.session(), secret, client_address(), limits)
    if not identified.ok:
        with db.transaction() as write:
            tokens.record_refusal(write, secret, client_address(), limits, identified)
        if identified.throttled:
            raise Problem(429, "Too many refused tokens from this address: wait, then try again.",
                          "throttled", {"Retry-After": str(limits.window_seconds)})
        raise Problem(401, f"This token does not work: {identified.refusal}.", "token",
                      {"WWW-Authenticate": 'Bearer realm="restraint", error="invalid_token"'})
    if identified.note:
        with db.transaction() as write:
            tokens.note_use(write, identified.token.id, client_address())
    g.api_token = identified.token
    g.api_actor = tokens.actor_of(identified.token)
    return None


def allow_origins(response):
    """CORS only for the origins API_CORS_ORIGINS names; none by default."""
    origin = request.headers.get("Origin")
    allowed = current_app.config.get("API_CORS_ORIGINS") or ()
    if origin and origin in allowed:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type, If-Match"
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, PUT, PATCH, DELETE"
        response.headers["Access-Control-Expose-Headers"] = "ETag, Link, Location, X-Content-SHA256"
        response.headers["Vary"] = "Origin"
    return response

