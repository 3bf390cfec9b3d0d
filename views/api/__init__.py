"""The JSON API under /api/v1: bearer tokens only (cookies never authenticate it), the same
service functions as the forms, problem details for every error, an OpenAPI 3.1 document."""
from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Add the API and its reference; it answers only to bearer tokens, so CSRF does not apply."""
    from views import csrf
    # Importing the modules adds their operations to the blueprint.
    from views.api import audit, bearer, cases, docs, evidence, menu, tasks  # noqa: F401
    from views.api.operation import IdConverter, blueprint
    app.url_map.converters["id"] = IdConverter
    for part in (blueprint, docs.blueprint):
        app.register_blueprint(part)
        csrf.exempt(part)
    app.after_request(bearer.allow_origins)
