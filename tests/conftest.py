"""Fixtures: an app on a fresh database (SQLite, or PostgreSQL when asked), clients, users."""
from __future__ import annotations

import io
import itertools
import os
import shutil
import threading
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, select, text
from webclient import PASSWORD, Auth

from app import create_app
from models import Response, Task, migrate
from models.database import Database
from workflow import accounts, audit, evidence, responses, reviews
from workflow.evidence_store import EvidenceStore
from workflow.log_keys import generate_keys
from workflow.command import ANY_VERSION

#: The four erosion pressures rated with a rationale, as every evaluation needs them.
RATED_PRESSURES = {
    "pressures": {p: "unchanged" for p in ("repeated_violation", "perceived_utility",
                                           "ease_of_access", "diminished_attention")},
    "pressure_rationales": {p: "as before" for p in ("repeated_violation", "perceived_utility",
                                                     "ease_of_access", "diminished_attention")}}

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
REQUIRE_POSTGRES = os.environ.get("REQUIRE_POSTGRES") == "1"
REQUIRE_BROWSER = os.environ.get("REQUIRE_BROWSER") == "1"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
_counter = itertools.count()


def pytest_generate_tests(metafunc):
    """`backend` is sqlite, or both databases for @both_databases, or postgresql for @postgres
    (or for @postgres_when_available, when there is one)."""
    if "backend" not in metafunc.fixturenames:
        return
    if metafunc.definition.get_closest_marker("both_databases"):
        backends = ["sqlite", "postgresql"]
    elif metafunc.definition.get_closest_marker("postgres_when_available"):
        backends = ["postgresql" if TEST_DATABASE_URL else "sqlite"]
    elif metafunc.definition.get_closest_marker("postgres"):
        backends = ["postgresql"]
    else:
        backends = ["sqlite"]
    metafunc.parametrize("backend", backends, scope="function")


def pytest_configure(config):
    config.addinivalue_line("markers", "both_databases: run on SQLite and on PostgreSQL")
    config.addinivalue_line("markers", "postgres_when_available: PostgreSQL when TEST_DATABASE_URL "
                                       "names one (CI), SQLite otherwise")


# --- SQLite: migrate once into a template file, copy it for every test -------------------

@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "restraint.db"
    database = Database(f"sqlite:///{path}")
    migrate.upgrade(database)
    database.dispose()
    return path


# --- PostgreSQL: migrate once into a template database, clone it for every test ----------

def _pg_admin_engine():
    return create_engine(make_url(TEST_DATABASE_URL).set(drivername="postgresql+psycopg"),
                         isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def pg_template():
    if not TEST_DATABASE_URL:
        message = "PostgreSQL tests need TEST_DATABASE_URL"
        if REQUIRE_POSTGRES:
            pytest.fail(f"REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set: {message}")
        pytest.skip(message)
    admin = _pg_admin_engine()
    name = f"restraint_template_{os.getpid()}"
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    database = Database(str(make_url(TEST_DATABASE_URL).set(database=name)
                            .render_as_string(hide_password=False)))
    migrate.upgrade(database)
    database.dispose()
    yield name
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def database_url(backend, request, tmp_path):
    if backend == "sqlite":
        path = tmp_path / "restraint.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    template = request.getfixturevalue("pg_template")
    name = f"restraint_test_{os.getpid()}_{next(_counter)}"
    admin = _pg_admin_engine()
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    yield make_url(TEST_DATABASE_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def extra_config() -> dict:
    """Settings a test module adds to the app's: override this fixture in the module."""
    return {}


@pytest.fixture
def log_key_files(tmp_path) -> tuple[Path, Path]:
    """A fresh Ed25519 pair for the audit log, as PEM files: (private, public)."""
    private_pem, public_pem = generate_keys()
    private, public = tmp_path / "log.pem", tmp_path / "log.pub.pem"
    private.write_bytes(private_pem)
    public.write_bytes(public_pem)
    return private, public


@pytest.fixture
def app(database_url, tmp_path, extra_config):
    app = create_app({"ENV": "test", "DATABASE_URL": database_url,
                      "EVIDENCE_DIR": str(tmp_path / "evidence"), **extra_config})
    yield app
    app.extensions["database"].dispose()


@pytest.fixture
def db(app) -> Database:
    return app.extensions["database"]


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# --- domain fixtures --------------------------------------------------------------------

@pytest.fixture
def make_user(db):
    """Create a user with roles; returns its id."""
    def make(username: str, *roles: str, password: str = PASSWORD) -> int:
        with db.transaction() as session:
            return accounts.create_user(session, audit.SYSTEM, username, password,
                                        list(roles) or ["investigator"]).id
    return make


@pytest.fixture
def auth(client, make_user) -> Auth:
    return Auth(client, make_user)


# --- browser ----------------------------------------------------------------------------

@pytest.fixture(scope="session")
def chromium():
    if not os.path.exists(CHROMIUM):
        message = f"browser tests need Chromium at {CHROMIUM}"
        if REQUIRE_BROWSER:
            pytest.fail(f"REQUIRE_BROWSER=1 but {message}")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"])
        yield browser
        browser.close()


@pytest.fixture
def live_server(app):
    """The app served over HTTP on a free local port; yields its base URL."""
    from werkzeug.serving import make_server
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


#: Reports every Content-Security-Policy violation on the console, where the tests see it.
REPORT_CSP = """document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + e.blockedURI);
});"""


@pytest.fixture
def new_context(chromium, live_server):
    """Opens browser contexts on the live server; the test fails on any CSP violation in them."""
    contexts, violations = [], []

    def on_console(message):
        if "Content Security Policy" in message.text or message.text.startswith("CSP violation"):
            violations.append(message.text)

    def make():
        context = chromium.new_context(base_url=live_server)
        context.add_init_script(REPORT_CSP)
        context.on("console", on_console)
        contexts.append(context)
        return context
    yield make
    for context in contexts:
        context.close()
    if violations:
        pytest.fail(f"Content-Security-Policy violations: {violations}")


@pytest.fixture
def page(new_context):
    return new_context().new_page()


# --- cases ------------------------------------------------------------------------------

CAST = {  # username: roles
    "ivy": ("investigator",), "ian": ("investigator",), "ana": ("analyst",),
    "leo": ("legal_officer",), "sue": ("supervisor",), "sam": ("supervisor",),
    "aud": ("auditor",), "adm": ("admin",), "out": ("investigator", "analyst", "legal_officer"),
}
COMPLETE = dict(title="Chlorine barrel bomb on a residential block",
                occurred_on=date(2016, 8, 10), country="Syria",
                place="Saraqib", suspected_agent="chlorine")


@pytest.fixture
def cast(make_user, db):
    """One user per part, as Actors: ivy and ian investigate, sue and sam supervise, out is on no team."""
    from workflow.audit import Actor
    actors = {}
    for username, roles in CAST.items():
        user_id = make_user(username, *roles)
        actors[username] = Actor(user_id, username, tuple(sorted(roles)))
    return actors


@pytest.fixture
def make_case(db, cast):
    """Open a case as ivy (complete details by default); with `staffed`, ivy leads and ana, leo join."""
    from workflow import cases

    def make(staffed: bool = True, **fields) -> int:
        with db.transaction() as session:
            case = cases.open_case(session, cast["ivy"], **{**COMPLETE, **fields})
            case_id = case.id
        if staffed:
            for username, role in (("ivy", "lead_investigator"), ("ana", "analyst"),
                                   ("leo", "legal_officer")):
                with db.transaction() as session:
                    cases.set_member(session, cast["sue"], case_id, expected_version=ANY_VERSION,
                                     user_id=cast[username].id, case_role=role)
        return case_id
    return make


@pytest.fixture
def people(cast) -> dict:
    """The cast by the part they play in the demonstration story."""
    return {"investigator": cast["ivy"], "analyst": cast["ana"], "legal_officer": cast["leo"],
            "supervisor": cast["sue"]}


@pytest.fixture
def satisfy(db, people):
    """Record what the gate from a case's stage to `target` asks for, by the people whose part it is."""
    from workflow.demo import satisfy_gate
    return lambda case_id, target: satisfy_gate(db, case_id, target, people)


@pytest.fixture
def move(db, cast, satisfy):
    """Take a case through gates (ivy requests, sue approves) until it stands in `stage`."""
    from workflow import reviews
    from workflow.pathway import STAGES

    def to_stage(case_id: int, stage: str) -> None:
        path = {"closed": ["investigation", "attribution", "legal_consequence", "implementation",
                           "evaluation", "closed"]}.get(stage, STAGES[1:STAGES.index(stage) + 1])
        for target in path:
            satisfy(case_id, target)
            with db.transaction() as session:
                request = reviews.request_gate(session, cast["ivy"], case_id,
                                               expected_version=ANY_VERSION, target=target)
                request_id = request.id
            with db.transaction() as session:
                reviews.approve_gate(session, cast["sue"], request_id, expected_version=ANY_VERSION,
                                     reason="fine")
    return to_stage


# --- a case holding one record of every kind ---------------------------------------------

def add_evidence_with_file(app, db, actor, case_id: int) -> int:
    """An evidence item holding a small stored file; returns its id."""
    stored = EvidenceStore(app.config["EVIDENCE_DIR"]).put(io.BytesIO(b"report text"))
    with db.transaction() as session:
        return evidence.add_evidence(session, actor, case_id, expected_version=ANY_VERSION,
                                     kind="document", title="Report", stored=stored,
                                     original_filename="r.txt").id


@pytest.fixture
def full_case(app, db, cast, make_case, move, satisfy) -> dict:
    """A case in legal consequence holding one record of every kind, and a pending request; its ids."""
    case_id = make_case()
    evidence_id = add_evidence_with_file(app, db, cast["ivy"], case_id)
    move(case_id, "legal_consequence")
    satisfy(case_id, "implementation")
    with db.transaction() as session:
        response = session.scalars(select(Response).where(Response.case_id == case_id)).first()
        milestone = responses.add_milestone(session, cast["leo"], case_id,
                                            expected_version=ANY_VERSION, response_id=response.id,
                                            description="Listing published", due_on=date(2030, 1, 1))
        task = session.scalars(select(Task).where(Task.case_id == case_id, Task.status == "open")).first()
        ids = dict(case_id=case_id, evidence_id=evidence_id, response_id=response.id,
                   milestone_id=milestone.id, task_id=task.id, user_id=cast["ivy"].id)
    with db.transaction() as session:
        ids["request_id"] = reviews.request_gate(session, cast["leo"], case_id,
                                                 expected_version=ANY_VERSION,
                                                 target="implementation").id
    return ids


# --- the JSON API ---------------------------------------------------------------------------

@pytest.fixture
def api(client, db, cast):
    """A client of the API acting with a token (all scopes) of the cast member named."""
    from apiclient import Api, make_token
    return lambda username, **options: Api(client, make_token(db, cast[username], **options))
