"""Email through a real SMTP server (aiosmtpd on loopback): what a message holds, and the worker
that sends the outbox after commit, through an outage, each message once."""
from __future__ import annotations

import email
import email.policy
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update

from models import Notification, User
from workflow import accounts, audit, cases, comments, notifications, outbox, reviews
from workflow.command import ANY_VERSION

ROOT = Path(__file__).resolve().parents[1]
#: The loopback ports these tests' SMTP servers listen on.
PORTS = {"content": 2525, "outage": 2526, "choices": 2527, "workers": 2528}
#: Words of the case that must never leave in an email: its title, place, summary, the
#: reason a gate was rejected for, and what a note said.
SECRETS = dict(title="Orchard basement exposure", place="Qasr al-Wadi",
               summary="Witness W-17 saw the second canister")
REASON = "Witness W-17 statement is unsigned"
NOTE = "@sue the canister serial 55-QX is in the locker"


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((tuple(envelope.rcpt_tos), email.message_from_bytes(envelope.content, policy=email.policy.default)))
        return "250 Message accepted for delivery"


def smtp_server(port: int) -> tuple[Controller, Inbox]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, inbox


@pytest.fixture
def extra_config(request) -> dict:
    port = PORTS[request.node.get_closest_marker("smtp_port").args[0]]
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port, "MAIL_RETRY_SECONDS": 1,
            "PUBLIC_URL": "https://restraint.example.org"}


@pytest.fixture
def addresses(db, cast) -> None:
    """Everyone in the cast has an address: username@example.org."""
    with db.transaction() as session:
        session.execute(update(User).values(email=User.username + "@example.org"))


def secret_case(db, cast, make_case, satisfy) -> int:
    """A case whose every word but its reference is secret, with a rejected request and a note."""
    case_id = make_case(**SECRETS)
    satisfy(case_id, "investigation")
    with db.transaction() as session:
        request_id = reviews.request_gate(session, cast["ivy"], case_id,
                                          expected_version=ANY_VERSION, target="investigation",
                                          note="see " + SECRETS["summary"]).id
    with db.transaction() as session:
        reviews.reject_gate(session, cast["sue"], request_id, expected_version=ANY_VERSION,
                            reason=REASON)
    with db.transaction() as session:
        comments.add_comment(session, cast["ivy"], case_id, body=NOTE)
    return case_id


def pending(db) -> list[Notification]:
    with db.sessions() as session:
        return session.scalars(select(Notification).where(Notification.email_state == "pending")
                               .order_by(Notification.id)).all()


@pytest.mark.smtp_port("content")
def test_an_email_says_the_reference_the_kind_and_a_link_and_nothing_of_the_case(
        db, runner, cast, addresses, make_case, satisfy):
    case_id = secret_case(db, cast, make_case, satisfy)
    with db.sessions() as session:
        reference = session.get(cases.Case, case_id).reference
    expected = {(n.id, n.kind): n for n in pending(db)}
    # Request to sue and sam, the rejection to ivy, the mention to sue (and ana, leo were added
    # to the team, ivy named its lead): every one of them with an address.
    assert Counter(kind for _, kind in expected) == {
        "team_added": 3, "gate_requested": 2, "gate_decided": 1, "mentioned": 1}
    controller, inbox = smtp_server(PORTS["content"])
    try:
        result = runner.invoke(args=["notifications", "send"])
    finally:
        controller.stop()
    assert result.exit_code == 0, result.output
    assert f"email: {len(expected)} sent, 0 failed" in result.output
    assert len(inbox.messages) == len(expected)
    with db.sessions() as session:
        users = dict(session.execute(select(User.id, User.email)).all())
    sent = {}
    for recipients, message in inbox.messages:
        number = int(message["Message-ID"].removeprefix("<notification-").split("@")[0])
        sent[number] = (recipients, message)
    for (number, kind), notification in expected.items():
        recipients, message = sent[number]
        assert recipients == (users[notification.user_id],)
        assert message["Subject"] == f"[Restraint] {reference}: {notifications.SUBJECTS[kind]}"
        body = message.get_content()
        assert f"https://restraint.example.org/account/notifications/{number}" in body
        whole = message.as_string()
        for secret in (*SECRETS.values(), REASON, NOTE, "55-QX", "W-17", "canister"):
            assert secret not in whole, (kind, secret)
        # Nothing else of the case: no username, no stage's name (only the kind's sentence).
        for word in ("ivy", "sue", "Investigation", "investigation"):
            assert word not in body.replace("@example.org", ""), (kind, word)
    assert not pending(db)
    with db.sessions() as session:
        assert {n.email_state for n in session.scalars(select(Notification))} == {"sent"}


@pytest.mark.smtp_port("choices")
def test_no_email_for_a_kind_turned_off_nor_to_someone_without_an_address(
        db, runner, cast, addresses, make_case, satisfy):
    with db.transaction() as session:
        notifications.set_email_kinds(session, cast["sam"], set(notifications.KINDS) - {"gate_requested"})
        session.execute(update(User).where(User.username == "sue").values(email=""))
    case_id = make_case()
    satisfy(case_id, "investigation")
    with db.transaction() as session:
        reviews.request_gate(session, cast["ivy"], case_id, expected_version=ANY_VERSION,
                             target="investigation")
    with db.sessions() as session:
        told = session.execute(select(User.username, Notification.email_state).join(
            User, User.id == Notification.user_id).where(Notification.kind == "gate_requested")).all()
    # Both are told in the app; neither by email.
    assert sorted(told) == [("sam", None), ("sue", None)]


@pytest.mark.smtp_port("outage")
@pytest.mark.both_databases
def test_the_worker_survives_an_outage_and_then_delivers_each_email_once(
        db, database_url, tmp_path, cast, addresses, make_case, satisfy):
    secret_case(db, cast, make_case, satisfy)
    waiting = {n.id for n in pending(db)}
    assert len(waiting) == 7
    environment = {**os.environ, "RESTRAINT_ENV": "test", "DATABASE_URL": database_url,
                   "EVIDENCE_DIR": str(tmp_path / "evidence"), "MAIL_SERVER": "127.0.0.1",
                   "MAIL_PORT": str(PORTS["outage"]), "MAIL_RETRY_SECONDS": "1",
                   "PUBLIC_URL": "https://restraint.example.org"}
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", "notifications", "send", "--loop",
         "--interval", "0.2"], cwd=ROOT, env=environment, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True)
    controller = None
    try:
        # The server is down: every email is tried, fails, and waits for its next try.
        until(lambda: all(n.email_attempts >= 2 for n in pending(db)) and len(pending(db)) == len(waiting),
              "two failed tries of every email")
        assert worker.poll() is None, "the worker died during the outage"
        with db.sessions() as session:
            errors = set(session.scalars(select(Notification.email_error)))
        assert any("Connection refused" in error or "ConnectionRefused" in error for error in errors)
        controller, inbox = smtp_server(PORTS["outage"])
        until(lambda: not pending(db), "every email sent once the server is back")
        time.sleep(2.5)  # rounds go on: none is sent again
        assert worker.poll() is None
        numbers = Counter(message["Message-ID"] for _, message in inbox.messages)
        assert len(numbers) == len(waiting) and set(numbers.values()) == {1}
        assert {int(m.removeprefix("<notification-").split("@")[0]) for m in numbers} == waiting
    finally:
        worker.send_signal(signal.SIGTERM)
        output = worker.communicate(timeout=30)[0]
        if controller is not None:
            controller.stop()
    assert worker.returncode == 0, output
    assert "stopped" in output and f"{len(waiting)} failed" in output and "sent" in output


def until(condition, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.1)


@pytest.mark.smtp_port("workers")
@pytest.mark.both_databases
def test_two_workers_at_once_send_each_email_once(app, db, cast, addresses, make_case, satisfy):
    secret_case(db, cast, make_case, satisfy)
    waiting = {n.id for n in pending(db)}
    controller, inbox = smtp_server(PORTS["workers"])
    reports = []

    def work():
        reports.append(outbox.send_due(db.transaction, app.config, lambda n: f"https://x/{n}"))
    try:
        workers = [threading.Thread(target=work) for _ in range(2)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=60)
    finally:
        controller.stop()
    numbers = Counter(message["Message-ID"] for _, message in inbox.messages)
    assert len(numbers) == len(waiting) and set(numbers.values()) == {1}
    assert sum(report.sent for report in reports) == len(waiting) and not pending(db)


def test_retries_wait_twice_as_long_each_time_up_to_an_hour():
    waits = [outbox.backoff({"MAIL_RETRY_SECONDS": 60}, attempts)
             for attempts in (1, 2, 3, 7, 10_000)]
    assert [wait.total_seconds() for wait in waits] == [60, 120, 240, 3600, 3600]


@pytest.mark.smtp_port("choices")
def test_an_email_to_an_account_deactivated_since_is_set_aside_not_sent(
        db, runner, cast, addresses, make_case):
    make_case()  # ana and leo are told they joined the team, ivy that she leads it
    with db.transaction() as session:
        accounts.set_active(session, audit.SYSTEM, accounts.find_user(session, "leo"), False)
    controller, inbox = smtp_server(PORTS["choices"])
    try:
        result = runner.invoke(args=["notifications", "send"])
    finally:
        controller.stop()
    assert result.exit_code == 0 and "email: 2 sent, 0 failed, 1 not sendable" in result.output
    assert sorted(recipients for recipients, _ in inbox.messages) == [("ana@example.org",),
                                                                      ("ivy@example.org",)]
    with db.sessions() as session:
        states = dict(session.execute(select(User.username, Notification.email_state).join(
            User, User.id == Notification.user_id)).all())
        assert states == {"ana": "sent", "ivy": "sent", "leo": "skipped"}


@pytest.mark.smtp_port("content")
def test_an_email_is_written_in_its_recipients_language(app):
    from views.notifications import email_words
    settings = {"MAIL_FROM": "restraint@example.org"}
    arabic = outbox.Outgoing(1, "task_overdue", "CW-2026-0001", "a@example.org", 0, "ar")
    english = outbox.Outgoing(2, "task_overdue", "CW-2026-0001", "b@example.org", 0, None)
    with app.app_context():
        said = outbox.compose(settings, arabic, "https://x/1", email_words)
        plain = outbox.compose(settings, english, "https://x/2", email_words)
    assert said["Subject"] == "[Restraint] CW-2026-0001: مهمة متأخرة."
    assert "https://x/1" in said.get_content() and "تسجيل الدخول" in said.get_content()
    assert plain["Subject"] == "[Restraint] CW-2026-0001: A task is overdue."
    assert plain.get_content() == outbox.compose(settings, english, "https://x/2").get_content()
