"""Appending to the audit chain inside the caller's transaction, and verifying it."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, literal_column, select, text
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


def event_row(seq: int, prev_hash: str, event_type: str, actor: Actor | None, *,
              case_id: int | None = None, entity_type: str | None = None,
              entity_id: object = None, from_state: str | None = None,
              to_state: str | None = None, details: dict | None = None,
              at: datetime | None = None) -> dict:
    """The column values of the event at `seq`, with its payload and hash."""
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
    return dict(columns, payload=payload, prev_hash=prev_hash, hash=chain_hash(prev_hash, payload))


def append(session: Session, event_type: str, actor: Actor | None, **fields) -> dict:
    """Add one event at the head of the chain, in the caller's transaction; returns its row.

    `fields` are the keyword arguments of `event_row`: case_id, entity_type, entity_id,
    from_state, to_state, details, at.
    """
    return append_many(session, [(event_type, actor, fields)])[0]


def _head(session: Session) -> tuple[int, str]:
    """The chain's head, locked for this transaction; read once per transaction.

    After the first append the transaction holds the chain's lock until it ends, so the head
    it wrote last is still the head: it is kept in the session, tied to this transaction.
    """
    transaction = session.get_transaction()
    kept = session.info.get("audit_head")
    if kept and kept[0] is transaction:
        return kept[1], kept[2]
    _lock_chain_head(session)
    head = session.execute(
        select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)).first()
    return (head.seq, head.hash) if head else (0, GENESIS)


def append_many(session: Session, events: list[tuple[str, Actor | None, dict]]) -> list[dict]:
    """Add events in order at the head of the chain."""
    seq, prev_hash = _head(session)
    rows = []
    for event_type, actor, fields in events:
        seq += 1
        rows.append(event_row(seq, prev_hash, event_type, actor, **fields))
        prev_hash = rows[-1]["hash"]
    # A plain INSERT: the log is never read back through the session that writes it.
    session.execute(insert(AuditEvent), rows)
    session.info["audit_head"] = (session.get_transaction(), seq, prev_hash)
    return rows


def payload_columns(row) -> tuple:
    """The columns of a row in the shape the payload holds them (see FIELDS)."""
    roles = row.actor_roles
    return (row.seq, format_utc(row.at), row.actor_id, row.actor_username,
            roles.split(",") if roles else [], row.case_id, row.event_type, row.entity_type,
            row.entity_id, row.from_state, row.to_state)


# The database compares the columns with the payload itself, in C, so that verification
# keeps pace with hashing; a row that differs is then explained by `columns_problem`.
COLUMNS_MATCH_PAYLOAD = {
    "sqlite": """
        json_extract(payload, '$.seq', '$.at', '$.actor_id', '$.actor_username',
                     '$.actor_roles', '$.case_id', '$.event_type', '$.entity_type',
                     '$.entity_id', '$.from_state', '$.to_state')
        IS json_array(seq, replace(at, ' ', 'T') || 'Z', actor_id, actor_username,
                      json(CASE WHEN actor_roles = '' THEN '[]'
                           ELSE '["' || replace(actor_roles, ',', '","') || '"]' END),
                      case_id, event_type, entity_type, entity_id, from_state, to_state)""",
    "postgresql": """
        (payload::jsonb - 'details') IS NOT DISTINCT FROM jsonb_build_object(
            'seq', seq, 'at', to_char(at, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
            'actor_id', actor_id, 'actor_username', actor_username,
            'actor_roles', coalesce(to_jsonb(string_to_array(nullif(actor_roles, ''), ',')),
                                    '[]'::jsonb),
            'case_id', case_id, 'event_type', event_type, 'entity_type', entity_type,
            'entity_id', entity_id, 'from_state', from_state, 'to_state', to_state)""",
}
_COLUMNS = [getattr(AuditEvent, name) for name in FIELDS]


def _columns_at(session: Session, seq: int) -> tuple:
    return payload_columns(session.execute(select(*_COLUMNS).where(AuditEvent.seq == seq)).one())


def _driver_rows(session: Session, query) -> Iterator[tuple]:
    """The rows of `query` as the driver's plain tuples, in batches, from a streaming cursor.

    The driver's own cursor, because at millions of rows SQLAlchemy's per-row work would
    cost more than the hashing; a named (server-side) cursor on PostgreSQL.
    """
    connection = session.connection()
    driver = connection.connection.dbapi_connection
    postgresql = connection.dialect.name == "postgresql"
    cursor = driver.cursor(name="audit_verify") if postgresql else driver.cursor()
    try:
        cursor.execute(str(query.compile(dialect=connection.dialect)))
        while batch := cursor.fetchmany(VERIFY_BATCH):
            yield from batch
    finally:
        cursor.close()


def _verify_in_database(session: Session) -> Verification:
    match = literal_column(COLUMNS_MATCH_PAYLOAD[session.get_bind().dialect.name])
    query = select(AuditEvent.seq, AuditEvent.payload, AuditEvent.prev_hash, AuditEvent.hash,
                   match).order_by(AuditEvent.seq)
    rows = _driver_rows(session, query)
    try:
        return verify(rows, explain=lambda seq: _columns_at(session, seq))
    finally:
        rows.close()  # verification may stop early, mid-way through the cursor


def _verify_in_python(session: Session) -> Verification:
    query = (select(*_COLUMNS, AuditEvent.payload, AuditEvent.prev_hash, AuditEvent.hash)
             .order_by(AuditEvent.seq).execution_options(yield_per=VERIFY_BATCH))
    with session.connection().execute(query) as result:
        return verify((row.seq, row.payload, row.prev_hash, row.hash, payload_columns(row))
                      for row in result)


def verify_chain(session: Session) -> Verification:
    """Recompute the whole chain, streaming in constant memory."""
    try:
        return _verify_in_database(session)
    except session.get_bind().dialect.loaded_dbapi.Error:
        # A payload the database cannot read as JSON: walk again in Python to name its seq.
        session.rollback()
        return _verify_in_python(session)
