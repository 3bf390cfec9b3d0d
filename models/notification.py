"""Notifications: what a person is told of, in the app and (as the outbox) by email."""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from models.audit import SeqType
from models.base import Base, choice
from vocabulary import EMAIL_STATES, NOTIFICATION_KINDS
from workflow.clock import utcnow


class Notification(Base):
    """One thing one person is told of; its email columns make the table the mail outbox too."""

    __tablename__ = "notifications"
    __table_args__ = (
        # The overdue sweep tells of each overdue thing once a day: its key holds the day.
        UniqueConstraint("user_id", "dedupe_key", name="uq_notifications_user_dedupe"),
        Index("ix_notifications_user_read", "user_id", "read_at", "id"),
        # What the mail worker looks for: the emails still to send, by when they are due.
        Index("ix_notifications_email_due", "email_next_at",
              sqlite_where=text("email_state = 'pending'"),
              postgresql_where=text("email_state = 'pending'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(choice(*NOTIFICATION_KINDS, name="notification_kind"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    #: The record it is about (a task, a gate request, a comment …), as the audit log names it.
    entity_type: Mapped[str | None] = mapped_column(String(64))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    #: Who did what it tells of (none for the daily overdue sweep).
    actor_username: Mapped[str | None] = mapped_column(String(64))
    #: A few words of the event (target stage, decision, subject), canonical JSON.
    details: Mapped[str] = mapped_column(Text, default="{}")
    #: The audit event it comes from, when it comes from one.
    audit_seq: Mapped[int | None] = mapped_column(SeqType)
    #: None, or what makes it once-only (the overdue sweep: kind, record and day).
    dedupe_key: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
    #: None: no email for it; else the outbox's state of its email.
    email_state: Mapped[str | None] = mapped_column(choice(*EMAIL_STATES, name="email_state",
                                                           length=16))
    email_attempts: Mapped[int] = mapped_column(default=0)
    #: When the worker may (next) try to send it.
    email_next_at: Mapped[datetime | None]
    #: A worker that took it to send holds it until then (so two workers never both send it).
    email_lease_until: Mapped[datetime | None]
    email_sent_at: Mapped[datetime | None]
    #: Why the last attempt failed, or why it is not sendable.
    email_error: Mapped[str] = mapped_column(String(300), default="")

    @property
    def details_dict(self) -> dict:
        return json.loads(self.details)


class NotificationPreference(Base):
    """Whether a person is emailed about one kind of notification (no row: they are)."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    kind: Mapped[str] = mapped_column(choice(*NOTIFICATION_KINDS, name="preference_kind"),
                                      primary_key=True)
    email: Mapped[bool] = mapped_column(default=True)
