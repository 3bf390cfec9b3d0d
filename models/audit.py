"""The append-only, hash-chained audit log (DESIGN §5)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base

# SQLite only aliases INTEGER PRIMARY KEY to the rowid, so use INTEGER there.
SeqType = BigInteger().with_variant(Integer(), "sqlite")


class AuditEvent(Base):
    """One event; `payload` is the canonical JSON that was hashed, the other columns repeat it."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_case_seq", "case_id", "seq"),
        # When did a case last enter a stage: asked by the gates on every request.
        Index("ix_audit_events_case_to_state_at", "case_id", "to_state", "at"),
        # Every case's moves between stages, read from the index alone by the dashboard.
        Index("ix_audit_events_moves", "event_type", "case_id", "seq", "to_state", "at"),
        Index("ix_audit_events_event_type_at", "event_type", "at"),
        Index("ix_audit_events_actor_seq", "actor_id", "seq"),
    )

    #: Position in the one global chain: 1, 2, 3, … with no gaps.
    seq: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=False)
    #: UTC, naive.
    at: Mapped[datetime]
    actor_id: Mapped[int | None]
    actor_username: Mapped[str | None] = mapped_column(String(64))
    #: The actor's roles at the time, comma-separated.
    actor_roles: Mapped[str] = mapped_column(String(200), default="")
    case_id: Mapped[int | None]
    event_type: Mapped[str] = mapped_column(String(64))
    entity_type: Mapped[str | None] = mapped_column(String(64))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str | None] = mapped_column(String(32))
    payload: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditCheckpoint(Base):
    """A signed checkpoint of the chain; seq and time only increase."""

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(SeqType, unique=True)
    head: Mapped[str] = mapped_column(String(64))
    #: UTC, as signed (canonical text).
    at: Mapped[str] = mapped_column(String(32))
    key_id: Mapped[str] = mapped_column(String(16))
    signature: Mapped[str] = mapped_column(String(200))


class AuditVerification(Base):
    """The result of one verification of the chain, so the next auditor sees when and what."""

    __tablename__ = "audit_verifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    by_username: Mapped[str] = mapped_column(String(64))
    ok: Mapped[bool]
    count: Mapped[int]
    head: Mapped[str] = mapped_column(String(64))
    bad_seq: Mapped[int | None] = mapped_column(SeqType)
    reason: Mapped[str] = mapped_column(Text, default="")
