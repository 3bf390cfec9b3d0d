"""Requests under a threaded server: one pooled connection per request, and sign-in outside
the write lock."""
from __future__ import annotations

import threading
import time
import urllib.parse
import urllib.request
from datetime import date
from http.cookiejar import CookieJar

import pytest
from plans import sent_statements
from sqlalchemy import func, select

from models.case import Case
from models.database import make_engine
from models.login_failure import LoginFailure
from models.message import DeterrenceMessage
from tests.webclient import CSRF_META, PASSWORD
from workflow import accounts, deterrence
from workflow.command import ANY_VERSION

CLIENTS = 32


@pytest.fixture
def extra_config() -> dict:
    # Two connections and no overflow: a request that held its read connection while
    # waiting for a second one for its write would stall the others until the timeout.
    return {"DATABASE_POOL_SIZE": 2, "DATABASE_MAX_OVERFLOW": 0, "DATABASE_POOL_TIMEOUT": 5}


class Browser:
    """A client with its own cookies, speaking HTTP to the live server."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()),
                                                  _NoRedirect())

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=60) as response:
            return response.read().decode()

    def post(self, path: str, form: dict, token_from: str) -> int:
        token = CSRF_META.search(self.get(token_from)).group(1)
        body = urllib.parse.urlencode({"csrf_token": token, **form}).encode()
        try:
            with self.opener.open(self.base + path, body, timeout=60) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_args):
        return None


@pytest.mark.both_databases
def test_32_concurrent_posts_through_a_threaded_server_finish_without_a_stall(
        live_server, db, make_case):
    case_ids = [make_case() for _ in range(CLIENTS)]
    with db.sessions() as session:
        versions = dict(session.execute(select(Case.id, Case.version)).all())
    browsers = [Browser(live_server) for _ in case_ids]
    for browser in browsers:
        assert browser.post("/login", {"username": "ivy", "password": PASSWORD},
                            token_from="/login") == 302
    statuses: list[int] = []
    barrier = threading.Barrier(CLIENTS)

    def work(browser: Browser, case_id: int) -> None:
        barrier.wait()
        statuses.append(browser.post(f"/cases/{case_id}/messages", {
            "version": versions[case_id], "said_on": "2017-04-06", "speaker": "Spokesperson",
            "audience": "Security Council", "summary": "Use will not go unanswered."},
            token_from=f"/cases/{case_id}"))

    threads = [threading.Thread(target=work, args=pair) for pair in zip(browsers, case_ids)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    # Generous: a stall shows as the pool's timeout failing requests, or threads still waiting.
    assert not any(thread.is_alive() for thread in threads)
    assert time.monotonic() - started < 180
    assert statuses == [302] * CLIENTS
    with db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(DeterrenceMessage)) == CLIENTS


def test_a_gate_command_completes_while_a_slow_password_check_runs(app, db, make_user, cast,
                                                                   make_case, monkeypatch):
    """SQLite has one writer at a time: the password's hash must not be computed holding it."""
    case_id = make_case()
    monkeypatch.setattr(accounts, "password_hash_method", "scrypt:131072:8:1")  # about a second
    make_user("slow", "investigator")
    throttle = accounts.Throttle(5, 900)
    signing_in = threading.Thread(target=accounts.sign_in, args=(
        db.transaction, "slow", PASSWORD, "203.0.113.5", throttle))
    signing_in.start()
    try:
        _wait_for_a_counted_attempt(db)
        with db.transaction() as session:
            deterrence.record_message(session, cast["ivy"], case_id, expected_version=ANY_VERSION,
                                      said_on=date(2017, 4, 6), speaker="Spokesperson",
                                      audience="Security Council", summary="Said.")
        assert signing_in.is_alive(), "the command waited for the password check to finish"
    finally:
        signing_in.join()
    with db.sessions() as session:
        # The right password: the counted attempt is forgotten again.
        assert session.scalar(select(func.count()).select_from(LoginFailure)) == 0


def test_a_command_completes_while_a_password_given_again_is_checked(app, db, make_user, cast,
                                                                    make_case, monkeypatch):
    """A change of one's own password or recovery codes checks the current password the same
    way: counted first, then hashed with no write transaction open."""
    case_id = make_case()
    monkeypatch.setattr(accounts, "password_hash_method", "scrypt:131072:8:1")  # about a second
    slow = make_user("slow", "investigator")
    checking = threading.Thread(target=accounts.reauthenticate, args=(
        db.transaction, slow, PASSWORD, "203.0.113.5", accounts.Throttle(5, 900)))
    checking.start()
    try:
        _wait_for_a_counted_attempt(db)
        with db.transaction() as session:
            deterrence.record_message(session, cast["ivy"], case_id, expected_version=ANY_VERSION,
                                      said_on=date(2017, 4, 6), speaker="Spokesperson",
                                      audience="Security Council", summary="Said.")
        assert checking.is_alive(), "the command waited for the password check to finish"
    finally:
        checking.join()
    with db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(LoginFailure)) == 0


def _wait_for_a_counted_attempt(db) -> None:
    """Until an attempt is counted (and committed), which is before its hash starts."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with db.sessions() as session:
            if session.scalar(select(func.count()).select_from(LoginFailure)):
                return
        time.sleep(0.005)
    pytest.fail("no attempt was counted in 30 seconds")


def test_the_pool_is_sized_from_the_settings(app):
    pool = app.extensions["database"].engine.pool
    assert (pool.size(), pool._max_overflow, pool.timeout()) == (2, 0, 5)


@pytest.mark.postgres
def test_no_statement_of_a_gate_command_is_compiled_by_postgresqls_jit(db, make_case, move):
    """On tables the planner has no statistics of yet, the decision's load of its case is
    estimated above jit_above_cost: compiling it took about 30 ms of a 1 ms approval."""
    case_id = make_case()
    with sent_statements(db) as sent:
        move(case_id, "investigation")
    planned = 0
    with db.engine.connect() as connection:
        for statement, values in sent:
            values = values[0] if isinstance(values, list) else values
            (plan,), = connection.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", values)
            assert "JIT" not in plan[0], statement
            planned += 1
    assert planned > 10


@pytest.mark.postgres
def test_the_options_a_postgresql_address_sets_are_kept_beside_jit_off(database_url):
    engine = make_engine(database_url + "?options=-c%20statement_timeout%3D7000")
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SHOW statement_timeout").scalar() == "7s"
            assert connection.exec_driver_sql("SHOW jit").scalar() == "off"
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_the_statements_of_pages_stay_prepared_on_postgresql_from_request_to_request(
        client, auth, cast, db, make_case):
    """psycopg forgets what it has prepared on a connection at every ROLLBACK: a page that
    ended its read transaction so had PostgreSQL plan each of its queries again."""
    case_id = make_case()
    assert auth.login("ivy").status_code == 302
    for _ in range(8):  # psycopg prepares a statement at its fifth run on a connection
        assert client.get(f"/cases/{case_id}").status_code == 200
    # The pool's two connections, held together: the pages ran on one of them.
    with db.engine.connect() as first, db.engine.connect() as second:
        prepared = sum(connection.exec_driver_sql("SELECT count(*) FROM pg_prepared_statements")
                       .scalar() for connection in (first, second))
    assert prepared > 0
