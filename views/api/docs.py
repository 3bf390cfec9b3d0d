"""The API's description: the OpenAPI document, and its reference page rendered by Swagger UI
from the copy the swagger-ui-bundle package installs (no outside server is asked for anything)."""
from __future__ import annotations

from pathlib import Path

import swagger_ui_bundle
from flask import Blueprint, abort, jsonify, render_template, send_from_directory

from views.api.openapi import document
from views.headers import allow_inline_styles

blueprint = Blueprint("api_docs", __name__, url_prefix="/api")
SWAGGER_UI = Path(swagger_ui_bundle.swagger_ui_path)
#: The files of Swagger UI the page loads; nothing else of the package is served.
ASSETS = frozenset({"swagger-ui-bundle.js", "swagger-ui.css"})


@blueprint.route("/v1/openapi.json")
def openapi():
    """The OpenAPI 3.1 document of /api/v1."""
    return jsonify(document())


@blueprint.route("/docs")
def docs():
    """The API's reference, readable in a browser."""
    allow_inline_styles()  # Swagger UI styles its elements from script
    return render_template("api/docs.html")


@blueprint.route("/docs/assets/<name>")
def asset(name: str):
    """One of Swagger UI's files, from the installed package."""
    if name not in ASSETS:
        abort(404)
    return send_from_directory(SWAGGER_UI, name, max_age=3600)
