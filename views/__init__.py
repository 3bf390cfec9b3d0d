"""Flask blueprints, forms and the wiring that every view shares."""
from __future__ import annotations

import json

from flask import Flask
from flask_bootstrap import Bootstrap5
from flask_wtf.csrf import CSRFProtect

from views import (
    access,
    admin,
    audit,
    auth,
    cases,
    db,
    diagram,
    errors,
    evidence,
    main,
    menu,
    reviews,
    tasks,
    transparency,
)

csrf = CSRFProtect()
bootstrap = Bootstrap5()


def register_views(app: Flask) -> None:
    """Bind extensions, blueprints, error pages and the sign-in guard to `app`."""
    csrf.init_app(app)
    csrf.exempt(transparency.cosign)  # witnesses are programs: their signature is the proof
    bootstrap.init_app(app)
    auth.login_manager.init_app(app)
    app.teardown_appcontext(db.close_session)
    app.before_request(access.require_sign_in)
    app.context_processor(access.template_helpers)
    for blueprint in (auth.blueprint, main.blueprint, admin.blueprint, cases.blueprint,
                      reviews.blueprint, diagram.blueprint, evidence.blueprint, menu.blueprint,
                      tasks.blueprint, audit.blueprint, transparency.blueprint):
        app.register_blueprint(blueprint)
    errors.register(app)
    app.jinja_env.filters["fromjson"] = json.loads
