"""The application factory."""
from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from config import load_settings
from models.database import Database, Pool
from workflow import accounts, transparency


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: settings, database, extensions, blueprints and CLI."""
    app = Flask(__name__, instance_relative_config=True)
    env = (test_config or {}).get("ENV")
    app.config.update(load_settings(env).as_flask_config())
    if test_config:
        app.config.update(test_config)

    hops = app.config["TRUSTED_PROXIES"]
    if hops:  # the client's address and scheme as the trusted proxies saw them
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)

    pool = Pool(app.config["DATABASE_POOL_SIZE"], app.config["DATABASE_MAX_OVERFLOW"],
                app.config["DATABASE_POOL_TIMEOUT"])
    # What the services need of the settings travels with the database's sessions.
    app.extensions["database"] = Database(app.config["DATABASE_URL"], pool=pool, info={
        "log_keys": transparency.load_keys(app.config),
        "mail_enabled": bool(app.config["MAIL_SERVER"])})
    accounts.password_hash_method = app.config["PASSWORD_HASH_METHOD"]

    from views import register_views
    register_views(app)

    from cli import register_commands
    register_commands(app)
    return app
