"""The baseline of tests/bench/http_load.py: a bare Flask app with the real app's engine settings.

    gunicorn 'tests.bench.bare_app:create()'   (DATABASE_URL and SECRET_KEY from the environment)

GET /page: the signed-cookie session's user looked up, one SELECT of 50 cases, a Jinja table.
POST /write?id=N: a locking SELECT of counter N, an UPDATE of it, an INSERT, a COMMIT.
GET /sign-in?user=NAME puts the user in the session. No forms, no CSRF, no audit: what any
Flask app on this database would cost.
"""
from __future__ import annotations

import os

from flask import Flask, abort, render_template_string, request, session
from sqlalchemy import text

from models.database import WRITE, make_engine

TABLE = """<!doctype html><title>Cases</title><p>{{ user }}</p><table>
{% for id, reference, title, country, state in rows %}<tr><td><a href="/cases/{{ id }}">{{ reference }}</a></td>
<td>{{ title }}</td><td>{{ country }}</td><td>{{ state }}</td></tr>{% endfor %}</table>"""
#: The counters and log the bare writes touch, made once by the benchmark.
SCHEMA = ("CREATE TABLE IF NOT EXISTS bare_counters (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)",
          "CREATE TABLE IF NOT EXISTS bare_log (id {serial} PRIMARY KEY, counter_id INTEGER NOT NULL, "
          "n INTEGER NOT NULL)")


def prepare(engine, counters: int) -> None:
    """The bare tables, with `counters` rows to lock."""
    serial = "SERIAL" if engine.dialect.name == "postgresql" else "INTEGER"
    with engine.connect().execution_options(**WRITE) as connection:
        for statement in SCHEMA:
            connection.execute(text(statement.format(serial=serial)))
        connection.execute(text("INSERT INTO bare_counters (id, n) VALUES (:id, 0)"),
                           [{"id": n} for n in range(1, counters + 1)])
        connection.commit()


def create() -> Flask:
    """The bare app."""
    app = Flask(__name__)
    app.secret_key = os.environ["SECRET_KEY"]
    engine = make_engine(os.environ["DATABASE_URL"])
    lock = " FOR UPDATE" if engine.dialect.name == "postgresql" else ""

    @app.get("/sign-in")
    def sign_in():
        with engine.connect() as connection:
            user_id = connection.execute(text("SELECT id FROM users WHERE username = :name"),
                                         {"name": request.args["user"]}).scalar()
        session["user_id"] = user_id
        return "signed in"

    @app.get("/page")
    def page():
        with engine.connect() as connection:
            user = connection.execute(text("SELECT username FROM users WHERE id = :id"),
                                      {"id": session.get("user_id")}).scalar()
            if user is None:
                abort(403)
            rows = connection.execute(text("SELECT id, reference, title, country, state FROM cases "
                                           "ORDER BY id DESC LIMIT 50")).all()
        return render_template_string(TABLE, user=user, rows=rows)

    @app.post("/write")
    def write():
        counter = int(request.args["id"])
        with engine.connect().execution_options(**WRITE) as connection:
            n = connection.execute(text(f"SELECT n FROM bare_counters WHERE id = :id{lock}"),
                                   {"id": counter}).scalar()
            connection.execute(text("UPDATE bare_counters SET n = :n WHERE id = :id"),
                               {"n": n + 1, "id": counter})
            connection.execute(text("INSERT INTO bare_log (counter_id, n) VALUES (:id, :n)"),
                               {"id": counter, "n": n + 1})
            connection.commit()
        return "", 204

    return app
