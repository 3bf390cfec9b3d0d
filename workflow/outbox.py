"""Sending the notifications' emails from the outbox, after commit, with retries.

The notifications table is the outbox: a notification written with `email_state = 'pending'`
in the transaction of its change is sent from here, by `flask notifications send` (once) or
its `--loop` (the worker), so only what committed is ever sent. A round leases a batch of due
emails in a short transaction (two workers never take the same one), sends them over one SMTP
connection and records each as sent, in its own transaction, as soon as the server accepts
it. A failure (server down, refusal, timeout) leaves the email pending with the attempt
counted and the next try after an exponential backoff: none is lost. None is sent twice
either, but for one case: a worker that dies between the server's accepting a message and
the record of it sends it again after the lease; the copy carries the same Message-ID, by
which mail systems recognise it.

An email carries the case's reference, the kind of event and a link, nothing of the case's
content (need-to-know over mail): the page behind the link asks to sign in.
"""
from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from urllib.parse import urlsplit

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from models.case import Case
from models.database import constant
from models.notification import Notification
from models.user import User
from workflow.clock import utcnow
from workflow.notifications import SUBJECTS
from workflow.words import Text, _

#: How many emails a round takes, and how long a worker holds them: longer than sending them
#: can take, each command waiting TIMEOUT_SECONDS at most.
BATCH = 10
LEASE = timedelta(minutes=10)

Transaction = Callable[[], AbstractContextManager[Session]]


#: The settings a round reads (config.py): MAIL_SERVER, MAIL_PORT, MAIL_USE_TLS,
#: MAIL_USERNAME, MAIL_PASSWORD, MAIL_FROM and MAIL_RETRY_SECONDS.
Settings = Mapping[str, object]
#: How an email's words are said in its recipient's language: the sentence, and the recipient's
#: locale (None: English). The caller, which knows the catalogs, gives it; plain English without.
Say = Callable[[Text, "str | None"], str]


def english(text: Text, locale: str | None = None) -> str:
    """The sentence in English, whatever the recipient reads."""
    return str.__str__(text)

#: How long a connection or a command may wait on the server.
TIMEOUT_SECONDS = 30
#: The longest wait between two tries of an email.
MAX_RETRY = timedelta(hours=1)


def backoff(settings: Settings, attempts: int) -> timedelta:
    """The wait before the next try, after `attempts` failed ones: doubling, up to an hour."""
    doublings = min(max(attempts - 1, 0), 20)  # past that, the cap holds anyway
    return min(timedelta(seconds=settings["MAIL_RETRY_SECONDS"] * 2 ** doublings), MAX_RETRY)


@dataclass(frozen=True)
class Outgoing:
    """One email taken from the outbox to send."""

    id: int
    kind: str
    reference: str
    address: str
    attempts: int
    #: The recipient's language (None: English).
    locale: str | None = None


@dataclass
class Report:
    """What a round did."""

    sent: int = 0
    failed: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)


def compose(settings: Settings, email: Outgoing, link: str, say: Say = english) -> EmailMessage:
    """The email: the case's reference, the kind of event and the link; no case content; in
    the recipient's language (`say`)."""
    message = EmailMessage()
    message["From"] = settings["MAIL_FROM"]
    message["To"] = email.address
    event = SUBJECTS[email.kind]
    message["Subject"] = say(_("[Restraint] %(reference)s: %(event)s", reference=email.reference,
                               event=event), email.locale)
    message["Date"] = format_datetime(datetime.now().astimezone())
    host = urlsplit(link).hostname or "restraint.localhost"
    # The same for every try: a copy sent again after a crash is known for what it is.
    message["Message-ID"] = f"<notification-{email.id}@{host}>"
    message.set_content(say(_(
        "Case %(reference)s: %(event)s\n\n"
        "Open it here (you will be asked to sign in):\n%(link)s\n\n"
        "This email tells only that something happened on the case;\n"
        "what happened is in the application, for those who may see it.\n"
        "Choose which events you are emailed about under My account.\n",
        reference=email.reference, event=event, link=link), email.locale))
    return message


_DUE = (select(Notification.id, Notification.kind, Case.reference, User.email, User.active,
               Notification.email_attempts, User.locale)
        .join(Case, Case.id == Notification.case_id).join(User, User.id == Notification.user_id))


def _take(session: Session, now: datetime) -> tuple[list[Outgoing], int]:
    """Lease the due emails (a batch); those that have nowhere to go are set aside at once.
    Returns the emails to send and how many were set aside."""
    query = (_DUE.where(Notification.email_state == constant("pending"),
                        Notification.email_next_at <= now,
                        or_(Notification.email_lease_until.is_(None),
                            Notification.email_lease_until < now))
             .order_by(Notification.email_next_at, Notification.id).limit(BATCH))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=Notification, skip_locked=True)
    taken, skipped = [], 0
    for id_, kind, reference, address, active, attempts, locale in session.execute(query):
        if not active or not address:
            why = "the account is inactive" if not active else "the account has no email address"
            session.execute(update(Notification).where(Notification.id == id_).values(
                email_state="skipped", email_error=why, email_lease_until=None))
            skipped += 1
            continue
        taken.append(Outgoing(id_, kind, reference, address, attempts, locale))
    if taken:
        session.execute(update(Notification).where(Notification.id.in_([e.id for e in taken]))
                        .values(email_lease_until=now + LEASE))
    return taken, skipped


def _sent(transaction: Transaction, email: Outgoing) -> None:
    with transaction() as session:
        session.execute(update(Notification).where(Notification.id == email.id).values(
            email_state="sent", email_sent_at=utcnow(), email_attempts=email.attempts + 1,
            email_lease_until=None, email_error=""))


def _failed(transaction: Transaction, settings: Settings, emails: list[Outgoing],
            error: Exception) -> str:
    """Count a failed try of each email and set its next; the error as the report says it."""
    reason = f"{type(error).__name__}: {error}"[:300]
    now = utcnow()
    with transaction() as session:
        for email in emails:
            session.execute(update(Notification).where(Notification.id == email.id).values(
                email_attempts=email.attempts + 1, email_lease_until=None, email_error=reason,
                email_next_at=now + backoff(settings, email.attempts + 1)))
    return reason


def _connect(settings: Settings) -> smtplib.SMTP:
    smtp = smtplib.SMTP(settings["MAIL_SERVER"], settings["MAIL_PORT"], timeout=TIMEOUT_SECONDS)
    try:
        if settings["MAIL_USE_TLS"]:
            smtp.starttls(context=ssl.create_default_context())
        if settings["MAIL_USERNAME"]:
            smtp.login(settings["MAIL_USERNAME"], settings["MAIL_PASSWORD"])
    except BaseException:
        smtp.close()
        raise
    return smtp


def send_due(transaction: Transaction, settings: Settings, link: Callable[[int], str],
             say: Say = english) -> Report:
    """Send the emails that are due (one batch); `link` gives a notification's address, `say`
    the email's words in its recipient's language."""
    with transaction() as session:
        emails, skipped = _take(session, utcnow())
    report = Report(skipped=skipped)
    if not emails:
        return report
    try:
        smtp = _connect(settings)
    except (OSError, smtplib.SMTPException) as error:
        report.failed = len(emails)
        report.errors.append(_failed(transaction, settings, emails, error))
        return report
    try:
        for position, email in enumerate(emails):
            try:
                smtp.send_message(compose(settings, email, link(email.id), say))
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused,
                    smtplib.SMTPDataError) as error:  # this message only
                report.failed += 1
                report.errors.append(_failed(transaction, settings, [email], error))
                continue
            except (OSError, smtplib.SMTPException) as error:  # the connection: the rest wait
                rest = emails[position:]
                report.failed += len(rest)
                report.errors.append(_failed(transaction, settings, rest, error))
                break
            _sent(transaction, email)
            report.sent += 1
    finally:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()
    return report


def waiting(session: Session) -> int:
    """How many emails are still to send."""
    return session.scalar(select(func.count()).select_from(Notification)
                          .where(Notification.email_state == constant("pending")))
