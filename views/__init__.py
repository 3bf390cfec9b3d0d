"""Flask blueprints, forms and the wiring that every view shares."""
from __future__ import annotations

import json

from flask import Flask, current_app
from flask_bootstrap import Bootstrap5
from flask_wtf.csrf import CSRFProtect

from views import (
    access,
    account,
    admin,
    audit,
    auth,
    bounds,
    cases,
    comments,
    db,
    diagram,
    dossier,
    durations,
    errors,
    evidence,
    headers,
    insight,
    language,
    main,
    menu,
    previews,
    record_history,
    records,
    registers,
    reviews,
    search,
    tasks,
    transparency,
    words,
)

csrf = CSRFProtect()
bootstrap = Bootstrap5()


def register_views(app: Flask) -> None:
    """Bind extensions, blueprints, error pages, the sign-in guard, input bounds and
    security headers to `app`."""
    bounds.register(app)  # first: the bounded `int` converter must exist before any route
    csrf.init_app(app)
    csrf.exempt(transparency.cosign)  # witnesses are programs: their signature is the proof
    bootstrap.init_app(app)
    auth.login_manager.init_app(app)
    app.teardown_appcontext(db.close_session)
    app.before_request(access.require_sign_in)
    app.context_processor(access.template_helpers)
    app.context_processor(durations.template_helpers)
    app.context_processor(record_history.template_helpers)
    for blueprint in (auth.blueprint, main.blueprint, admin.blueprint, cases.blueprint,
                      reviews.blueprint, diagram.blueprint, evidence.blueprint, menu.blueprint,
                      tasks.blueprint, audit.blueprint, transparency.blueprint, account.blueprint,
                      dossier.blueprint, comments.blueprint, records.blueprint,
                      search.blueprint, previews.blueprint, registers.blueprint,
                      insight.blueprint):
        app.register_blueprint(blueprint)
    app.add_url_rule("/favicon.ico", "favicon", favicon)
    from views import api  # after the bounded `int` converter: its routes use it
    api.register(app)
    errors.register(app)
    headers.register(app)
    app.jinja_env.filters["fromjson"] = json.loads
    words.register(app)
    language.register(app)


def favicon():
    """The icon browsers ask for at /favicon.ico, from the static files (pages name the SVG)."""
    return current_app.send_static_file("favicon.ico")
