"""Appending to the audit chain inside the caller's transaction, and verifying it."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from models.audit import AuditEvent
from workflow.audit_chain import FIELDS, GENESIS, Verification, canonical_json, chain_hash, verify
from workflow.clock import format_utc, utcnow

#: Key of the PostgreSQL advisory lock that serializes appends.
APPEND_LOCK_KEY = 0x52455354  # "REST"
VERIFY_BATCH = 10_000


@dataclass(frozen=True)
class Actor:
    """Who does something, as the audit log remembers them."""

    id: int | None
    username: str
    roles: tuple[str, ...] = ()

    @classmethod
    def of(cls, user) -> Actor:
        return cls(user.id, user.username, tuple(sorted(user.roles)))


#: The actor of commands run from the command line.
SYSTEM = Actor(None, "system", ())


def _lock_chain_head(session: Session) -> None:
    """Serialize appends; on SQLite the IMMEDIATE write transaction already does."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": APPEND_LOCK_KEY})


def append(session: Session, event_type: str, actor: Actor | None, *, case_id: int | None = None,
           entity_type: str | None = None, entity_id: object = None,
           from_state: str | None = None, to_state: str | None = None,
           details: dict | None = None, at: datetime | None = None) -> AuditEvent:
    """Add one event at the head of the chain, in the caller's transaction."""
    _lock_chain_head(session)
    head = session.execute(
        select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)).first()
    seq, prev_hash = (head.seq + 1, head.hash) if head else (1, GENESIS)
    at = at or utcnow()
    roles = tuple(actor.roles) if actor else ()
    columns = dict(
        seq=seq, at=at, actor_id=actor.id if actor else None,
        actor_username=actor.username if actor else None, actor_roles=",".join(roles),
        case_id=case_id, event_type=event_type, entity_type=entity_type,
        entity_id=None if entity_id is None else str(entity_id),
        from_state=from_state, to_state=to_state)
    document = dict(columns, at=format_utc(at), actor_roles=list(roles), details=details or {})
    payload = canonical_json(document)
    event = AuditEvent(**columns, payload=payload, prev_hash=prev_hash,
                       hash=chain_hash(prev_hash, payload))
    session.add(event)
    session.flush()
    return event


def payload_columns(row) -> tuple:
    """The columns of a row in the shape the payload holds them (see FIELDS)."""
    roles = row.actor_roles
    return (row.seq, format_utc(row.at), row.actor_id, row.actor_username,
            roles.split(",") if roles else [], row.case_id, row.event_type, row.entity_type,
            row.entity_id, row.from_state, row.to_state)


def verify_chain(session: Session) -> Verification:
    """Recompute the whole chain, streaming in constant memory."""
    columns = [getattr(AuditEvent, name) for name in FIELDS]
    query = (select(*columns, AuditEvent.payload, AuditEvent.prev_hash, AuditEvent.hash)
             .order_by(AuditEvent.seq).execution_options(yield_per=VERIFY_BATCH))
    # Closed explicitly: verification may stop early, mid-way through a server-side cursor.
    with session.execute(query) as result:
        return verify((payload_columns(row), row.payload, row.prev_hash, row.hash)
                      for row in result)
