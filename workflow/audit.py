"""Appending to the audit chain inside the caller's transaction, and verifying it."""
from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, event, func, literal_column, select, text
from sqlalchemy.orm import Session

from models.audit import AuditEvent, AuditTreeLeaf
from workflow import merkle, notifications, tallies, transparency
from workflow.audit_chain import FIELDS, GENESIS, Verification, canonical_json, chain_hash, verify
from workflow.clock import format_utc, utcnow
from workflow.stages import CLOSED

#: Key of the PostgreSQL advisory lock that serializes appends.
APPEND_LOCK_KEY = 0x52455354  # "REST"
VERIFY_BATCH = 10_000


@dataclass(frozen=True)
class Actor:
    """Who does something, as the audit log remembers them."""

    id: int | None
    username: str
    roles: tuple[str, ...] = ()
    #: How the command came in when not through the pages, e.g. (("channel", "api"), ("token_id", 7)):
    #: every event the actor writes carries it in its details as `via`.
    via: tuple[tuple[str, object], ...] = ()

    @classmethod
    def of(cls, user) -> Actor:
        return cls(user.id, user.username, tuple(sorted(user.roles)))


#: The actor of commands run from the command line.
SYSTEM = Actor(None, "system", ())


def lock_chain_head(session: Session) -> None:
    """Serialize appends; on SQLite the IMMEDIATE write transaction already does."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": APPEND_LOCK_KEY})


def event_row(seq: int, prev_hash: str, event_type: str, actor: Actor | None, *,
              case_id: int | None = None, entity_type: str | None = None,
              entity_id: object = None, from_state: str | None = None,
              to_state: str | None = None, details: dict | None = None,
              at: datetime | None = None, case_prev: str | None = None) -> dict:
    """The column values of the event at `seq`, with its payload and hash.

    `case_prev` is the chain hash of the case's previous event (zeros for its first): the
    link that lets a per-case export show that none of its events was removed.
    """
    at = at or utcnow()
    roles = tuple(actor.roles) if actor else ()
    columns = dict(
        seq=seq, at=at, actor_id=actor.id if actor else None,
        actor_username=actor.username if actor else None, actor_roles=",".join(roles),
        case_id=case_id, event_type=event_type, entity_type=entity_type,
        entity_id=None if entity_id is None else str(entity_id),
        from_state=from_state, to_state=to_state)
    details = details or {}
    if actor is not None and actor.via:
        details = {**details, "via": dict(actor.via)}
    document = dict(columns, at=format_utc(at), actor_roles=list(roles), details=details)
    if case_prev is not None:
        document["case_prev"] = case_prev
    payload = canonical_json(document)
    return dict(columns, payload=payload, prev_hash=prev_hash, hash=chain_hash(prev_hash, payload))


def append(session: Session, event_type: str, actor: Actor | None, **fields) -> dict:
    """Add one event at the head of the chain, in the caller's transaction; returns its row.

    `fields` are the keyword arguments of `event_row`: case_id, entity_type, entity_id,
    from_state, to_state, details, at.
    """
    return append_many(session, [(event_type, actor, fields)])[0]


@dataclass
class _Head:
    """The log's head as this transaction left it; valid while the transaction holds the lock."""

    transaction: object
    seq: int
    hash: str
    frontier: merkle.Frontier
    #: The hash of each case's last event, as far as this transaction has looked or written.
    case_heads: dict = field(default_factory=dict)
    #: A case closed: sign a checkpoint at commit whatever the schedule says.
    checkpoint_now: bool = False
    #: The tree's rows of this transaction's events, written together at commit.
    tree_rows: list = field(default_factory=list)


def _head(session: Session, case_id: int | None = None) -> _Head:
    """The chain's head, locked for this transaction; read once per transaction.

    After the first append the transaction holds the chain's lock until it ends, so the head
    it wrote last is still the head: it is kept in the session, tied to this transaction.
    """
    transaction = session.get_transaction()
    kept = session.info.get("audit_head")
    if kept and kept.transaction is transaction:
        return kept
    lock_chain_head(session)
    # The head, and the last event of the case about to be written, in one statement.
    head = session.connection().execute(_HEAD_AND_CASE, {"case_id": case_id}).first()
    seq, hash_ = (head.seq, head.hash) if head else (0, GENESIS)
    kept = _Head(transaction, seq, hash_, transparency.frontier(session, seq, hash_))
    if case_id is not None:
        kept.case_heads[case_id] = (head.case_hash if head else None) or GENESIS
    session.info["audit_head"] = kept
    return kept


_HEAD_AND_CASE = select(
    AuditEvent.seq, AuditEvent.hash,
    select(AuditEvent.hash).where(AuditEvent.case_id == bindparam("case_id"))
    .order_by(AuditEvent.seq.desc()).limit(1).scalar_subquery().label("case_hash"),
).order_by(AuditEvent.seq.desc()).limit(1)


def _case_prev(session: Session, head: _Head, case_id: int) -> str:
    if case_id not in head.case_heads:
        head.case_heads[case_id] = session.scalar(
            select(AuditEvent.hash).where(AuditEvent.case_id == case_id)
            .order_by(AuditEvent.seq.desc()).limit(1)) or GENESIS
    return head.case_heads[case_id]


def append_many(session: Session, events: list[tuple[str, Actor | None, dict]]) -> list[dict]:
    """Add events in order at the head of the chain, with their leaves of the Merkle tree."""
    head = _head(session, next((fields.get("case_id") for _type, _actor, fields in events), None))
    first, seq, prev_hash, rows = head.seq + 1, head.seq, head.hash, []
    for event_type, actor, fields in events:
        seq += 1
        case_id = fields.get("case_id")
        case_prev = _case_prev(session, head, case_id) if case_id is not None else None
        rows.append(event_row(seq, prev_hash, event_type, actor, case_prev=case_prev, **fields))
        prev_hash = rows[-1]["hash"]
        if case_id is not None:
            head.case_heads[case_id] = prev_hash
        head.checkpoint_now |= fields.get("to_state") == CLOSED
    # One Core executemany: the log is never read back through the session that writes it.
    session.connection().execute(AuditEvent.__table__.insert(), rows)
    tallies.recorded(session, rows)  # the dashboard's figures change with the events, under the lock
    notifications.derive(session, events, rows)  # whom the events tell: one INSERT, or none
    head.tree_rows += transparency.tree_rows(head.frontier, first, [row["hash"] for row in rows])
    head.seq, head.hash = seq, prev_hash
    return rows


def checkpoint_at_commit(session: Session) -> None:
    """Sign a checkpoint when this transaction commits, whatever the schedule (if keys are set)."""
    _head(session).checkpoint_now = True


@event.listens_for(Session, "before_commit")
def _complete_at_commit(session: Session) -> None:
    """Write the transaction's tree rows; sign a checkpoint if one fell due (or a case closed)."""
    head = session.info.get("audit_head")
    if head is None or head.transaction is not session.get_transaction():
        return
    if head.tree_rows:
        transparency.insert_tree_rows(session, head.tree_rows)
        head.tree_rows = []
        transparency.remember_frontier(head.seq, head.hash, head.frontier)
    keys = session.info.get("log_keys")
    if keys is None or keys.private_key is None:
        return
    if head.checkpoint_now or transparency.checkpoint_due(session, keys, head.seq, utcnow()):
        last = transparency.latest_checkpoint(session)
        if last is None or last.seq < head.seq:
            transparency.sign_checkpoint(session, keys, head.seq, head.frontier.root(), head.hash)
    head.checkpoint_now = False


def payload_columns(row) -> tuple:
    """The columns of a row in the shape the payload holds them (see FIELDS)."""
    roles = row.actor_roles
    return (row.seq, format_utc(row.at), row.actor_id, row.actor_username,
            roles.split(",") if roles else [], row.case_id, row.event_type, row.entity_type,
            row.entity_id, row.from_state, row.to_state)


# The database compares the columns with the payload itself, in C, so that verification
# keeps pace with hashing; a row that differs is then explained by `columns_problem`.
# `seq` is qualified: the query joins the tree, which has a seq too.
COLUMNS_MATCH_PAYLOAD = {
    "sqlite": """
        json_extract(payload, '$.seq', '$.at', '$.actor_id', '$.actor_username',
                     '$.actor_roles', '$.case_id', '$.event_type', '$.entity_type',
                     '$.entity_id', '$.from_state', '$.to_state')
        IS json_array(audit_events.seq, replace(at, ' ', 'T') || 'Z', actor_id, actor_username,
                      json(CASE WHEN actor_roles = '' THEN '[]'
                           ELSE '["' || replace(actor_roles, ',', '","') || '"]' END),
                      case_id, event_type, entity_type, entity_id, from_state, to_state)""",
    "postgresql": """
        (payload::jsonb - 'details' - 'case_prev') IS NOT DISTINCT FROM jsonb_build_object(
            'seq', audit_events.seq, 'at', to_char(at, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
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


def _joined(query):
    """Each event with its row of the tree (none if that row is gone)."""
    return (query.add_columns(AuditTreeLeaf.nodes)
            .outerjoin(AuditTreeLeaf, AuditTreeLeaf.seq == AuditEvent.seq).order_by(AuditEvent.seq))


def _verify_in_database(session: Session, sizes: Collection[int]) -> Verification:
    match = literal_column(COLUMNS_MATCH_PAYLOAD[session.get_bind().dialect.name])
    rows = _driver_rows(session, _joined(select(AuditEvent.seq, AuditEvent.payload,
                                                AuditEvent.prev_hash, AuditEvent.hash, match)))
    try:
        return verify(rows, explain=lambda seq: _columns_at(session, seq), sizes=sizes)
    finally:
        rows.close()  # verification may stop early, mid-way through the cursor


def _verify_in_python(session: Session, sizes: Collection[int]) -> Verification:
    query = _joined(select(*_COLUMNS, AuditEvent.payload, AuditEvent.prev_hash, AuditEvent.hash)
                    ).execution_options(yield_per=VERIFY_BATCH)
    with session.connection().execute(query) as result:
        return verify(((row.seq, row.payload, row.prev_hash, row.hash, payload_columns(row),
                        row.nodes) for row in result), sizes=sizes)


def verify_chain(session: Session, sizes: Collection[int] = ()) -> Verification:
    """Recompute the whole chain and its Merkle tree, streaming in constant memory.

    The tree's root and the chain's head are kept at each of `sizes` (the checkpoints' sizes).
    """
    try:
        result = _verify_in_database(session, sizes)
    except session.get_bind().dialect.loaded_dbapi.Error:
        # A payload the database cannot read as JSON: walk again in Python to name its seq.
        session.rollback()
        result = _verify_in_python(session, sizes)
    if result.ok:
        leaves = session.scalar(select(func.count()).select_from(AuditTreeLeaf))
        if leaves != result.count:
            return Verification(False, result.count, result.head, result.count + 1,
                                f"the Merkle tree has {leaves} leaves for {result.count} events "
                                f"(events were removed after seq {result.count})", result.heads)
    return result
