"""The audit hash chain itself: canonical payloads, hashes and verification.

Standard library only, so an offline verifier can use it without the app or a database.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field

from workflow import merkle

GENESIS = "0" * 64
DOMAIN = b"audit-v1\0"
#: The queryable columns that the payload repeats and that must equal it.
FIELDS = ("seq", "at", "actor_id", "actor_username", "actor_roles", "case_id", "event_type",
          "entity_type", "entity_id", "from_state", "to_state")


_SCALARS = frozenset({str, int, bool, type(None)})


def _refuse_floats(value) -> None:
    # A walk with a stack, not recursion: this runs over every audit event's details.
    stack = [value]
    while stack:
        value = stack.pop()
        kind = type(value)
        if kind in _SCALARS:
            continue
        if kind is dict:
            stack.extend(value.values())
        elif kind is list or kind is tuple:
            stack.extend(value)
        elif isinstance(value, float):
            raise TypeError("audit payloads hold no floats: store numbers as integers or text")
        elif isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, (list, tuple)):
            stack.extend(value)


def canonical_json(value) -> str:
    """JSON with sorted keys, no spaces and no floats: one text for one value."""
    _refuse_floats(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)


def chain_hash(prev_hash: str, payload: str) -> str:
    """SHA-256 over the domain tag, the previous hash and the payload."""
    return hashlib.sha256(DOMAIN + prev_hash.encode("ascii") + payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Verification:
    """The outcome of walking the chain; `heads` holds (tree root, chain hash) at the sizes asked for."""

    ok: bool
    count: int
    head: str
    bad_seq: int | None = None
    reason: str = ""
    heads: dict = field(default_factory=dict)

    def summary(self) -> str:
        if self.ok:
            return f"OK {self.count} events head={self.head}"
        return f"BROKEN at seq {self.bad_seq}: {self.reason}"


def columns_problem(columns: tuple, payload: str) -> str | None:
    """Name the first column (values in FIELDS order) that differs from the payload, or None."""
    try:
        document = json.loads(payload)
    except ValueError:
        return "payload is not valid JSON"
    if not isinstance(document, dict):
        return "payload is not a JSON object"
    for name, value in zip(FIELDS, columns):
        if document.get(name, ...) != value:
            return f"column {name} does not match the payload"
    return None


def verify(rows: Iterable[tuple], explain: Callable[[int], tuple] | None = None,
           sizes: Collection[int] = ()) -> Verification:
    """Walk rows of (seq, payload, prev_hash, hash, columns, tree nodes) in seq order.

    `columns` is the tuple of FIELDS values to compare with the payload, or the database's
    own verdict on that comparison: true when equal; when false, `explain(seq)` fetches the
    columns so that the one that differs can be named. `tree nodes` are the stored nodes of
    the Merkle tree that the event completes; they are recomputed from the chain and compared.
    The tree's root and the chain's hash are kept at each size in `sizes`.
    """
    expected, head, count, heads = 1, GENESIS, 0, {}
    sha256, fromhex, edge = hashlib.sha256, bytes.fromhex, []
    for seq, payload, prev_hash, stored_hash, columns, nodes in rows:
        if seq != expected:
            reason = (f"seq {expected} is missing (next row has seq {seq})" if seq > expected
                      else f"seq {seq} is out of order")
            return Verification(False, count, head, expected, reason, heads)
        if prev_hash != head:
            return Verification(False, count, head, seq, "prev_hash does not match the previous hash",
                                heads)
        # chain_hash, inlined: this loop runs once per event of the whole log.
        if sha256(DOMAIN + prev_hash.encode() + payload.encode()).hexdigest() != stored_hash:
            return Verification(False, count, head, seq, "hash does not match the payload", heads)
        if type(columns) is tuple or not columns:
            problem = columns_problem(columns if columns else explain(seq), payload)
            if problem:
                return Verification(False, count, head, seq, problem, heads)
        # merkle.Frontier.append, inlined and compared node by node as it goes, for the same reason.
        carry, size, offset = sha256(b"\x00" + fromhex(stored_hash)).digest(), count, 32
        intact = nodes is not None and nodes[:32] == carry
        while intact and size & 1:
            carry = sha256(b"\x01" + edge.pop() + carry).digest()
            intact, offset, size = nodes[offset:offset + 32] == carry, offset + 32, size >> 1
        if not intact or len(nodes) != offset:
            return Verification(False, count, head, seq,
                                "the Merkle tree's nodes at this seq do not match the chain", heads)
        edge.append(carry)
        head, count, expected = stored_hash, count + 1, expected + 1
        if count in sizes:
            heads[count] = (merkle.fold(edge), head)
    return Verification(True, count, head, heads=heads)
