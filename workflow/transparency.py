"""The transparency log over the audit chain: stored tree, proofs, signed checkpoints, cosignatures.

The tree is RFC 6962's over the events' chain hashes (leaf index = seq - 1); checkpoints are
C2SP tlog-checkpoint notes signed with the log's Ed25519 key, whose key name is the origin.
"""
from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import NamedTuple
from weakref import WeakKeyDictionary

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import bindparam, event, func, select
from sqlalchemy.orm import Session

from models.audit import AuditCheckpoint, AuditCosignature, AuditEvent, AuditTreeLeaf
from workflow import merkle, notes
from workflow.log_keys import load_private_key, load_public_key
from workflow.clock import format_utc, utcnow
from workflow.errors import Conflict, Invalid, NotFound

HASH = 32
#: The extension line of a checkpoint that names the chain's head at its size.
HEAD_PREFIX = "head "
#: Node lookups per query: well under every database's limit of bound parameters.
LOOKUP_BATCH = 500


@dataclass(frozen=True)
class Witness:
    """A witness whose cosignatures this log accepts: its key name and Ed25519 public key."""

    name: str
    public_key: Ed25519PublicKey

    @classmethod
    def parse(cls, vkey: str) -> Witness:
        name, key_type, public_key = notes.parse_verifier_key(vkey)
        if key_type != notes.COSIGNATURE_V1:
            raise ValueError(f"{name}: not a cosignature/v1 key (type {key_type})")
        return cls(name, public_key)

    @property
    def key_hash(self) -> str:
        return notes.key_hash(self.name, notes.COSIGNATURE_V1, _raw(self.public_key)).hex()


@dataclass(frozen=True)
class LogKeys:
    """Who the log is and how it signs: the origin, the keys, when checkpoints fall due."""

    origin: str
    private_key: Ed25519PrivateKey | None = None
    public_key: Ed25519PublicKey | None = None
    every_seconds: int = 60
    every_events: int = 1000
    witnesses: tuple[Witness, ...] = ()

    @property
    def verifying_key(self) -> Ed25519PublicKey | None:
        return self.public_key or (self.private_key.public_key() if self.private_key else None)


def load_keys(config) -> LogKeys:
    """The log's keys from the app's settings; ValueError naming the setting that is wrong."""
    private_key = public_key = None
    for name in ("AUDIT_SIGNING_KEY", "AUDIT_PUBLIC_KEY"):
        path = config.get(name)
        if not path:
            continue
        try:
            pem = Path(path).read_bytes()
            if name == "AUDIT_SIGNING_KEY":
                private_key = load_private_key(pem)
            else:
                public_key = load_public_key(pem)
        except (OSError, ValueError) as error:
            raise ValueError(f"{name}: cannot read the key at {path}: {error}") from None
    try:
        witnesses = tuple(Witness.parse(vkey) for vkey in config.get("AUDIT_WITNESS_KEYS", "").split())
    except ValueError as error:
        raise ValueError(f"AUDIT_WITNESS_KEYS: {error}") from None
    return LogKeys(config["AUDIT_LOG_ORIGIN"], private_key, public_key,
                   config["AUDIT_CHECKPOINT_SECONDS"], config["AUDIT_CHECKPOINT_EVENTS"], witnesses)


def _raw(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def log_key_hash(origin: str, public_key: Ed25519PublicKey) -> str:
    """Hex of the 4-byte key hash that names the log's key in its signature lines."""
    return notes.key_hash(origin, notes.ED25519, _raw(public_key)).hex()


# --- the stored tree ----------------------------------------------------------------------

_TREE = AuditTreeLeaf.__table__
# Core statements, built once: every append reads the frontier and writes its rows, and the
# ORM's per-statement work would cost more than the tree itself.
_NODES = select(_TREE.c.seq, _TREE.c.nodes).where(_TREE.c.seq.in_(bindparam("seqs", expanding=True)))
_INSERT = _TREE.insert()


def node_seq(level: int, index: int) -> int:
    """The event that completed perfect subtree (level, index): its last leaf."""
    return (index + 1) << level


def nodes(session: Session, wanted: Iterable[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
    """The stored hashes of perfect subtrees, by (level, index)."""
    wanted = set(wanted)
    by_seq: dict[int, list[tuple[int, int]]] = {}
    for level, index in wanted:
        by_seq.setdefault(node_seq(level, index), []).append((level, index))
    found = {}
    seqs = sorted(by_seq)
    connection = session.connection()
    for start in range(0, len(seqs), LOOKUP_BATCH):
        batch = seqs[start:start + LOOKUP_BATCH]
        for seq, stored in connection.execute(_NODES, {"seqs": batch}):
            for level, index in by_seq[seq]:
                found[(level, index)] = bytes(stored[level * HASH:(level + 1) * HASH])
    missing = wanted - found.keys()
    if missing or any(len(value) != HASH for value in found.values()):
        raise Conflict("The audit tree is missing nodes: run `flask --app app audit verify`.")
    return found


#: (size, chain head, frontier hashes) after the last append this process committed: the next
#: transaction that finds the same head rebuilds the frontier without a query. The head's hash
#: names the whole history, so a stale entry never matches another log or another history.
_last_frontier: tuple = (0, "", ())


def remember_frontier(size: int, head: str, frontier_: merkle.Frontier) -> None:
    global _last_frontier
    _last_frontier = (size, head, frontier_.hashes)


def frontier(session: Session, size: int, head: str = "") -> merkle.Frontier:
    """The right edge of the tree of `size` events whose last event's hash is `head`, to append to."""
    kept_size, kept_head, hashes = _last_frontier
    if head and (kept_size, kept_head) == (size, head):
        return merkle.Frontier(size, hashes)
    names = merkle.frontier_subtrees(size)
    stored = nodes(session, names)
    return merkle.Frontier(size, [stored[name] for name in names])


def tree_size(session: Session) -> int:
    return session.scalar(select(func.coalesce(func.max(AuditEvent.seq), 0)))


def _range_hashes(session: Session, ranges: list[tuple[int, int]]) -> list[bytes]:
    pieces = [merkle.subtrees(start, end) for start, end in ranges]
    stored = nodes(session, (name for piece in pieces for name in piece))
    return [merkle.fold([stored[name] for name in piece]) for piece in pieces]


def root_at(session: Session, size: int) -> bytes:
    """The tree's root when it held `size` events."""
    return _range_hashes(session, [(0, size)])[0] if size else merkle.EMPTY_ROOT


def _check_size(session: Session, size: int, name: str) -> None:
    current = tree_size(session)
    if not 1 <= size <= current:
        raise Invalid(f"{name} must be between 1 and the log's size, {current}.", name)


def consistency_proof(session: Session, old: int, new: int) -> list[bytes]:
    """RFC 9162 consistency proof from the tree of `old` events to that of `new`."""
    _check_size(session, new, "new")
    if not 1 <= old <= new:
        raise Invalid(f"old must be between 1 and new ({new}).", "old")
    return _range_hashes(session, merkle.consistency_ranges(old, new))


def inclusion_proofs(session: Session, seqs: list[int], size: int) -> dict[int, list[bytes]]:
    """RFC 9162 inclusion proofs of the events at `seqs` in the tree of `size`, read in batches."""
    ranges = {seq: merkle.inclusion_ranges(seq - 1, size) for seq in seqs}
    pieces = {r: merkle.subtrees(*r) for r in {r for rs in ranges.values() for r in rs}}
    stored = nodes(session, (name for piece in pieces.values() for name in piece))
    hashes = {r: merkle.fold([stored[name] for name in piece]) for r, piece in pieces.items()}
    return {seq: [hashes[r] for r in rs] for seq, rs in ranges.items()}


def inclusion_proof(session: Session, seq: int, size: int) -> list[bytes]:
    """The inclusion proof of one event in the tree of `size` events."""
    _check_size(session, size, "size")
    if not 1 <= seq <= size:
        raise Invalid(f"seq must be between 1 and size ({size}).", "seq")
    return inclusion_proofs(session, [seq], size)[seq]


# --- checkpoints ----------------------------------------------------------------------------

def checkpoint_body(origin: str, size: int, root: bytes, head: str) -> str:
    return notes.Checkpoint(origin, size, root, (HEAD_PREFIX + head,)).body()


def latest_checkpoint(session: Session) -> AuditCheckpoint | None:
    """The newest signed-note checkpoint."""
    return session.scalar(select(AuditCheckpoint).where(AuditCheckpoint.note.is_not(None))
                          .order_by(AuditCheckpoint.seq.desc()).limit(1))


def sign_checkpoint(session: Session, keys: LogKeys, size: int, root: bytes, head: str) -> AuditCheckpoint:
    """Sign the tree of `size` events and keep the note, in the caller's transaction."""
    if keys.private_key is None:
        raise Conflict("No signing key: set AUDIT_SIGNING_KEY (see `flask --app app audit keygen`).")
    body = checkpoint_body(keys.origin, size, root, head)
    line = notes.sign(body, keys.origin, keys.private_key)
    signature = notes.parse(notes.note(body, line))[1][0]
    row = AuditCheckpoint(seq=size, head=head, at=format_utc(utcnow()), root=root.hex(),
                          key_id=signature.key_hash.hex(),
                          signature=base64.b64encode(signature.signature).decode(),
                          note=notes.note(body, line))
    session.add(row)
    session.flush()
    _saw(session, row)
    return row


class _Seen(NamedTuple):
    """A checkpoint as `is_due` reads it."""

    seq: int
    at: str


#: Per database, the newest checkpoint this process has seen committed. A newer one can only
#: make the next less due, so while this one says "not due" no statement is needed to know it.
_seen: WeakKeyDictionary = WeakKeyDictionary()


def checkpoint_due(session: Session, keys: LogKeys, size: int, now: datetime) -> bool:
    """Whether a checkpoint falls due at `size` events; the newest is read only when the one
    this process saw last says it may be."""
    seen = _seen.get(session.get_bind())
    if seen is not None and not is_due(seen, size, keys, now):
        return False
    last = latest_checkpoint(session)
    if last is not None:
        _saw(session, last)
    return is_due(last, size, keys, now)


def _saw(session: Session, checkpoint) -> None:
    """Keep `checkpoint` as seen once the transaction that read or signed it commits."""
    session.info["checkpoint_seen"] = _newest(session.info.get("checkpoint_seen"),
                                              _Seen(checkpoint.seq, checkpoint.at))


def _newest(*seen: _Seen | None) -> _Seen:
    return max((one for one in seen if one is not None), key=lambda one: one.seq)


@event.listens_for(Session, "after_commit")
def _keep_seen(session: Session) -> None:
    seen = session.info.pop("checkpoint_seen", None)
    if seen is not None:
        engine = session.get_bind()
        _seen[engine] = _newest(_seen.get(engine), seen)


@event.listens_for(Session, "after_soft_rollback")
def _forget_seen(session: Session, _previous) -> None:
    session.info.pop("checkpoint_seen", None)


def is_due(last: AuditCheckpoint | _Seen | None, size: int, keys: LogKeys, now: datetime) -> bool:
    """A checkpoint falls due when the last is too old or too many events behind."""
    if last is None:
        return size > 0
    if size <= last.seq:
        return False
    made = datetime.fromisoformat(last.at.removesuffix("Z"))
    return (size - last.seq > keys.every_events
            or now - made >= timedelta(seconds=keys.every_seconds))


def make_checkpoint(session: Session, keys: LogKeys) -> AuditCheckpoint:
    """Sign the log as it stands now (the `audit checkpoint` command)."""
    size = tree_size(session)
    if size == 0:
        raise Conflict("The audit log is empty: there is nothing to sign.")
    last = latest_checkpoint(session)
    if last is not None and last.seq >= size:
        raise Conflict(f"No new events since the checkpoint of size {last.seq}.")
    head = session.scalar(select(AuditEvent.hash).where(AuditEvent.seq == size))
    return sign_checkpoint(session, keys, size, root_at(session, size), head)


def checkpoint_notes(session: Session) -> list[AuditCheckpoint]:
    """Every checkpoint, oldest first."""
    return session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.seq)).all()


def checkpoint_lines(session: Session) -> list[str]:
    """Every checkpoint with its cosignatures as JSON lines, for the offline verifier."""
    rows = checkpoint_notes(session)
    cosigned = cosignatures(session, (row.id for row in rows))
    return [json.dumps({"size": row.seq, "head": row.head, "at": row.at, "note": row.note,
                        "cosignatures": [c.line for c in cosigned.get(row.id, [])]},
                       ensure_ascii=False, separators=(",", ":")) + "\n" for row in rows]


# --- cosignatures ---------------------------------------------------------------------------

def add_cosignatures(session: Session, keys: LogKeys, text: str) -> list[AuditCosignature]:
    """Keep the cosignatures of known witnesses on a note this log signed; refuse anything else."""
    try:
        body, signatures = notes.parse(text)
        size = notes.Checkpoint.parse(body).size
    except ValueError as error:
        raise Invalid(f"Not a signed checkpoint: {error}") from None
    checkpoint = (session.scalar(select(AuditCheckpoint).where(AuditCheckpoint.seq == size))
                  if size < 2 ** 62 else None)
    if checkpoint is None or checkpoint.note is None or notes.parse(checkpoint.note)[0] != body:
        raise NotFound("This log never signed that checkpoint.")
    known = {(w.name, w.key_hash): w for w in keys.witnesses}
    kept = []
    for signature in signatures:
        witness = known.get((signature.name, signature.key_hash.hex()))
        if witness is None:
            continue
        try:
            timestamp = notes.verify_cosignature(body, signature, witness.name, witness.public_key)
        except ValueError as error:
            raise Invalid(f"Cosignature by {witness.name}: {error}") from None
        exists = session.scalar(select(AuditCosignature.id).where(
            AuditCosignature.checkpoint_id == checkpoint.id, AuditCosignature.witness == witness.name,
            AuditCosignature.key_hash == witness.key_hash))
        if exists is None:
            kept.append(AuditCosignature(checkpoint_id=checkpoint.id, witness=witness.name,
                                         key_hash=witness.key_hash, timestamp=timestamp,
                                         line=signature.line.rstrip("\n"), received_at=utcnow()))
    if not kept and not any((s.name, s.key_hash.hex()) in known for s in signatures):
        raise Invalid("No cosignature by a witness this log knows (see AUDIT_WITNESS_KEYS).")
    session.add_all(kept)
    session.flush()
    return kept


def cosignatures(session: Session, checkpoint_ids: Iterable[int]) -> dict[int, list[AuditCosignature]]:
    found: dict[int, list[AuditCosignature]] = {}
    for row in session.scalars(select(AuditCosignature).where(
            AuditCosignature.checkpoint_id.in_(list(checkpoint_ids))).order_by(AuditCosignature.id)):
        found.setdefault(row.checkpoint_id, []).append(row)
    return found


def latest_witnessed(session: Session) -> AuditCheckpoint | None:
    """The newest checkpoint that at least one witness cosigned."""
    return session.scalar(select(AuditCheckpoint).join(
        AuditCosignature, AuditCosignature.checkpoint_id == AuditCheckpoint.id)
        .order_by(AuditCheckpoint.seq.desc()).limit(1))


def tree_rows(frontier_: merkle.Frontier, first_seq: int, hashes: list[str]) -> list[dict]:
    """The tree rows of new events at first_seq, first_seq + 1, …; advances the frontier."""
    return [{"seq": first_seq + offset,
             "nodes": b"".join(frontier_.append(merkle.leaf_hash(bytes.fromhex(hash_))))}
            for offset, hash_ in enumerate(hashes)]


def insert_tree_rows(session: Session, rows: list[dict]) -> None:
    session.connection().execute(_INSERT, rows)
