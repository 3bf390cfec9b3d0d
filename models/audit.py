"""The append-only, hash-chained audit log (DESIGN §5)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base

# SQLite only aliases INTEGER PRIMARY KEY to the rowid, so use INTEGER there.
SeqType = BigInteger().with_variant(Integer(), "sqlite")


class AuditEvent(Base):
    """One event; `payload` is the canonical JSON that was hashed, the other columns repeat it."""

    __tablename__ = "audit_events"
    __table_args__ = (
        # One for each way the log is read (a case's events, the log's filters): every event
        # writes each of them.
        Index("ix_audit_events_case_seq", "case_id", "seq"),
        Index("ix_audit_events_event_type_at", "event_type", "at"),
        Index("ix_audit_events_actor_username_seq", "actor_username", "seq"),
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


class AuditTreeLeaf(Base):
    """The Merkle tree over the chain, one row per event (RFC 6962, DESIGN §5).

    `nodes` holds, 32 bytes each from level 0 up, the event's leaf hash and the hash of every
    perfect subtree that this leaf completes: every node of the tree is stored exactly once, so
    any proof is read from the table without rehashing the log.
    """

    __tablename__ = "audit_tree"

    #: The event's seq; its leaf index is seq - 1.
    seq: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=False)
    nodes: Mapped[bytes] = mapped_column(LargeBinary)


class AuditCheckpoint(Base):
    """A signed checkpoint of the log: a C2SP tlog-checkpoint note over the tree of `seq` events.

    Rows written before the transparency log have no `note` and no `root`: their signature is
    over the old JSON form, and verification checks their head against the chain.
    """

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The tree size: the number of events the checkpoint covers.
    seq: Mapped[int] = mapped_column(SeqType, unique=True)
    #: The chain hash of the event at `seq`.
    head: Mapped[str] = mapped_column(String(64))
    #: UTC, when it was made (canonical text).
    at: Mapped[str] = mapped_column(String(32))
    #: Hex of the signing key's 4-byte key hash (16 hex digits of the key for old rows).
    key_id: Mapped[str] = mapped_column(String(16))
    signature: Mapped[str] = mapped_column(String(200))
    #: Hex of the Merkle tree root at `seq`.
    root: Mapped[str | None] = mapped_column(String(64))
    #: The signed note exactly as served to witnesses.
    note: Mapped[str | None] = mapped_column(Text)


class AuditCosignature(Base):
    """A witness's C2SP tlog-cosignature of one checkpoint: it saw that tree and found it consistent."""

    __tablename__ = "audit_cosignatures"
    __table_args__ = (UniqueConstraint("checkpoint_id", "witness", "key_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    checkpoint_id: Mapped[int] = mapped_column(ForeignKey("audit_checkpoints.id"))
    #: The witness's key name.
    witness: Mapped[str] = mapped_column(String(200))
    key_hash: Mapped[str] = mapped_column(String(8))
    #: The witness's own clock when it cosigned, in Unix seconds.
    timestamp: Mapped[int] = mapped_column(BigInteger)
    #: The signature line as the witness sent it.
    line: Mapped[str] = mapped_column(Text)
    #: UTC, naive: when it reached us.
    received_at: Mapped[datetime]


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
