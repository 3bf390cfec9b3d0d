"""The sign-in throttle: per (account, address) and per address, a progressive delay on an
account instead of a lock a stranger could set, serialised per username, proxies trusted
only when configured, and at most one audit event per window for throttled attempts."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select
from webclient import PASSWORD, csrf_token

import workflow.accounts
from app import create_app
from models.audit import AuditEvent
from models.login_failure import LoginFailure
from workflow import accounts

WRONG = "not the password at all"


def failed_events(db, reason: str | None = None) -> list[str]:
    with db.sessions() as session:
        payloads = session.scalars(select(AuditEvent.payload).where(
            AuditEvent.event_type == "login_failed")).all()
    return [p for p in payloads if reason is None or f'"reason":"{reason}"' in p]


@pytest.fixture
def delays(monkeypatch) -> list[int]:
    """The waits imposed, recorded instead of slept."""
    waited: list[int] = []
    monkeypatch.setattr(workflow.accounts, "sleep", waited.append)
    return waited


@pytest.fixture
def hashes(monkeypatch) -> list[int]:
    """Counts the password hashes computed."""
    calls: list[int] = []
    real = workflow.accounts.check_password_hash

    def counting(*args):
        calls.append(1)
        return real(*args)
    monkeypatch.setattr(workflow.accounts, "check_password_hash", counting)
    return calls


def sign_in_from(client, address: str, username: str, password: str):
    token = csrf_token(client)
    return client.post("/login", data={"csrf_token": token, "username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def test_a_stranger_cannot_lock_a_named_user_out(app, client, make_user, delays):
    make_user("sam", "supervisor")
    stranger = app.test_client()
    for n in range(10):  # ten addresses, each up to its own limit
        for _ in range(app.config["LOGIN_MAX_FAILURES"] + 2):
            sign_in_from(stranger, f"203.0.113.{n}", "sam", WRONG)
    response = sign_in_from(client, "198.51.100.7", "sam", PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    # The account's many failures slowed every later attempt, up to the configured ceiling.
    assert delays and max(delays) == app.config["LOGIN_MAX_DELAY_SECONDS"]
    assert delays == sorted(delays)


def test_throttled_attempts_run_no_hash_and_write_one_event_per_window(app, client, make_user,
                                                                       db, hashes, delays):
    make_user("sam", "supervisor")
    limit = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(limit):
        sign_in_from(client, "203.0.113.1", "sam", WRONG)
    assert len(hashes) == limit
    for _ in range(10):
        assert sign_in_from(client, "203.0.113.1", "sam", PASSWORD).status_code == 429
    assert len(hashes) == limit
    assert len(failed_events(db, "throttled")) == 1
    assert len(failed_events(db)) == limit + 1


def test_an_unknown_username_is_recorded_but_never_echoed(client, make_user, db, delays):
    response = sign_in_from(client, "203.0.113.1", "no-such-person-xyz", WRONG)
    assert "no-such-person-xyz" not in response.get_data(as_text=True)
    assert '"username_tried":"no-such-person-xyz"' in failed_events(db)[0]
    known = sign_in_from(client, "203.0.113.1", "sam-is-not-here", WRONG).get_data(as_text=True)
    assert "sam-is-not-here" not in known


def test_the_delay_grows_and_has_a_ceiling():
    throttle = accounts.Throttle(5, 900, 20, 8)
    assert [throttle.delay(n) for n in range(3, 11)] == [0, 0, 1, 2, 4, 8, 8, 8]


def _race(db, attempts: int, address: str) -> None:
    throttle = accounts.Throttle(5, 900, 1000, 0)
    barrier = threading.Barrier(attempts)
    errors = []

    def attempt():
        try:
            barrier.wait()
            accounts.sign_in(db.transaction, "sam", WRONG, address, throttle)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
    threads = [threading.Thread(target=attempt) for _ in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


@pytest.mark.both_databases
def test_forty_parallel_attempts_check_no_more_than_the_limit(db, make_user, hashes):
    make_user("sam", "supervisor")
    _race(db, 40, "203.0.113.9")
    with db.sessions() as session:
        counted = session.scalar(select(func.count()).select_from(LoginFailure)
                                 .where(~LoginFailure.throttled))
    assert counted == 5 and len(hashes) == 5
    assert len(failed_events(db, "wrong password")) == 5
    assert len(failed_events(db, "throttled")) == 1


def test_proxy_headers_are_ignored_unless_trusted(database_url, tmp_path, make_user, db, delays):
    make_user("sam", "supervisor")
    for hops, expected in ((0, "127.0.0.1"), (1, "192.0.2.44")):
        app = create_app({"ENV": "test", "DATABASE_URL": database_url, "TRUSTED_PROXIES": hops,
                          "EVIDENCE_DIR": str(tmp_path / "evidence")})
        client = app.test_client()
        token = csrf_token(client)
        client.post("/login", data={"csrf_token": token, "username": "sam", "password": WRONG},
                    headers={"X-Forwarded-For": "192.0.2.44"})
        assert f'"address":"{expected}"' in failed_events(db)[-1]
        app.extensions["database"].dispose()


def test_behind_a_trusted_proxy_one_address_does_not_lock_out_the_others(database_url, tmp_path,
                                                                         make_user, delays):
    make_user("sam", "supervisor")
    make_user("ivy", "investigator")
    app = create_app({"ENV": "test", "DATABASE_URL": database_url, "TRUSTED_PROXIES": 1,
                      "EVIDENCE_DIR": str(tmp_path / "evidence")})
    guesser, colleague = app.test_client(), app.test_client()
    for n in range(app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] + 5):
        token = csrf_token(guesser)
        guesser.post("/login", data={"csrf_token": token, "username": f"guess{n}", "password": WRONG},
                     headers={"X-Forwarded-For": "192.0.2.66"})
    token = csrf_token(colleague)
    response = colleague.post("/login", data={"csrf_token": token, "username": "ivy", "password": PASSWORD},
                              headers={"X-Forwarded-For": "192.0.2.67"})
    assert response.status_code == 302
    app.extensions["database"].dispose()
