"""Security headers, set on every response in one place (OWASP ASVS V14.4)."""
from __future__ import annotations

from flask import Flask, current_app, g, request
from flask_login import current_user

from views.api.problems import is_api_request

#: No inline script anywhere; styles from our own files (the workflow diagram, drawn by
#: Mermaid in the browser, also needs its generated inline styles: see `allow_inline_styles`).
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'{styles}; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'")
STATIC_ENDPOINTS = frozenset({"static", "bootstrap.static", "favicon"})
#: An evidence file shown in the evidence page's frame: it loads nothing, runs no script, is
#: sandboxed (an opaque origin, as the frame's `sandbox` attribute makes it) and may be framed
#: only by our own pages.
SANDBOX_CSP = ("default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; script-src 'none'; "
               "object-src 'none'; base-uri 'none'; form-action 'none'; sandbox; "
               "frame-ancestors 'self'")


def allow_inline_styles() -> None:
    """Let this page's scripts add inline styles (never inline scripts)."""
    g.inline_styles = True


def sandbox_this_response() -> None:
    """Send this response (an evidence file) under SANDBOX_CSP, to be framed by our pages."""
    g.sandboxed = True


def set_headers(response):
    headers = response.headers
    styles = " 'unsafe-inline'" if g.get("inline_styles") else ""
    sandboxed = g.get("sandboxed")
    headers["Content-Security-Policy"] = SANDBOX_CSP if sandboxed else CSP.format(styles=styles)
    headers["X-Frame-Options"] = "SAMEORIGIN" if sandboxed else "DENY"
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "same-origin"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if request.endpoint not in STATIC_ENDPOINTS or _signed_in():
        # Case pages and exports are kept by no browser or proxy cache.
        headers["Cache-Control"] = "no-store"
        headers.pop("Expires", None)
        headers.pop("Last-Modified", None)
        if not is_api_request():  # the API's ETag is the case's version, for If-Match
            headers.pop("ETag", None)
    if current_app.config.get("HSTS"):
        headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
    return response


def _signed_in() -> bool:
    try:
        return current_user.is_authenticated
    except Exception:  # outside a request that loaded a user (e.g. static files served early)
        return False


def register(app: Flask) -> None:
    app.after_request(set_headers)
