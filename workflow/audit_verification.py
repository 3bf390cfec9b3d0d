"""Verifying the whole audit log: the chain, its Merkle tree, every checkpoint and cosignature."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from workflow import notes, transparency
from workflow.audit import verify_chain
from workflow.audit_chain import Verification
from workflow.clock import utcnow
from workflow.transparency import HEAD_PREFIX, LogKeys
from workflow.words import Text, _, _n


@dataclass(frozen=True)
class Report:
    """What `audit verify` found, and how much of the log a witness vouches for."""

    chain: Verification
    problem: str = ""
    checkpoints: int = 0
    latest_size: int | None = None
    latest_at: str | None = None
    latest_cosigners: int = 0
    witnessed_size: int = 0
    unchecked: str = ""

    @property
    def ok(self) -> bool:
        return self.chain.ok and not self.problem

    @property
    def unprotected(self) -> int:
        """Events after the last checkpoint a witness cosigned: the operator could drop them unseen."""
        return self.chain.count - self.witnessed_size

    def summary(self, now: datetime | None = None) -> str:
        if not self.chain.ok:
            return self.chain.summary()
        if self.problem:
            return f"BROKEN {self.problem}"
        line = f"OK {self.chain.count} events head={self.chain.head}"
        if self.latest_size is None:
            line += "; no signed checkpoint"
        else:
            made = datetime.fromisoformat(self.latest_at.removesuffix("Z"))
            line += (f"; checkpoint {self.latest_size} signed {_age((now or utcnow()) - made)} ago, "
                     f"cosigned by {self.latest_cosigners}; "
                     f"{self.chain.count - self.latest_size} events after it")
        return line + (f" ({self.unchecked})" if self.unchecked else "")

    def tail_in_words(self) -> Text:
        """The part of the log nobody outside vouches for, said plainly."""
        if not self.ok:
            return _("The log does not verify: nothing in it can be relied on until the break is explained.")
        if self.unprotected == 0:
            return _("Every event is covered by a checkpoint that a witness cosigned.")
        if self.witnessed_size == 0:
            return _n("No witness has cosigned a checkpoint: someone with the database could remove "
                      "or rewrite the %(num)s event without a witness noticing.",
                      "No witness has cosigned a checkpoint: someone with the database could remove "
                      "or rewrite any of the %(num)s events without a witness noticing.", self.chain.count)
        return _n("%(num)s event after seq %(seq)s (the last checkpoint a witness cosigned) is not yet "
                  "witnessed: someone with the database could remove it unseen until the next cosigned "
                  "checkpoint.",
                  "%(num)s events after seq %(seq)s (the last checkpoint a witness cosigned) are not yet "
                  "witnessed: someone with the database could remove them unseen until the next cosigned "
                  "checkpoint.", self.unprotected, seq=self.witnessed_size)


def _age(delta) -> str:
    seconds = max(int(delta.total_seconds()), 0)
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


def verify_log(session: Session, keys: LogKeys) -> Report:
    """Recompute the chain and tree, then check every checkpoint and every cosignature we can."""
    rows = transparency.checkpoint_notes(session)
    chain = verify_chain(session, {row.seq for row in rows})
    if not chain.ok:
        return Report(chain)
    public_key = keys.verifying_key
    signed = [row for row in rows if row.note is not None]
    cosigned = transparency.cosignatures(session, (row.id for row in signed))
    witnesses = {(w.name, w.key_hash): w for w in keys.witnesses}
    unknown, witnessed = 0, 0
    for row in rows:
        name = f"checkpoint of size {row.seq}"
        if row.seq > chain.count:
            return Report(chain, f"{name}: the log has only {chain.count} events "
                                 f"(events after seq {chain.count} were removed)")
        root, head = chain.heads[row.seq]
        if head != row.head:
            return Report(chain, f"{name}: the chain's hash at seq {row.seq} is not the signed head")
        if row.note is None:
            continue  # signed in the format before signed notes: its head is checked above
        problem = _note_problem(row, keys, public_key, root)
        if problem:
            return Report(chain, f"{name}: {problem}")
        body = notes.parse(row.note)[0]
        for cosignature in cosigned.get(row.id, []):
            witness = witnesses.get((cosignature.witness, cosignature.key_hash))
            if witness is None:
                unknown += 1
                continue
            try:
                notes.verify_cosignature(body, cosignature.line + "\n", witness.name, witness.public_key)
            except ValueError as error:
                return Report(chain, f"{name}: cosignature by {witness.name}: {error}")
            witnessed = max(witnessed, row.seq)
    unchecked = []
    if public_key is None and signed:
        unchecked.append("signatures not checked: set AUDIT_PUBLIC_KEY")
    if unknown:
        unchecked.append(f"{unknown} cosignatures by witnesses without a key in AUDIT_WITNESS_KEYS")
    latest = signed[-1] if signed else None
    return Report(chain, "", len(rows), latest.seq if latest else None, latest.at if latest else None,
                  len(cosigned.get(latest.id, [])) if latest else 0, witnessed, "; ".join(unchecked))


def _note_problem(row, keys: LogKeys, public_key, root: bytes) -> str | None:
    """Why a stored checkpoint note does not hold, or None."""
    try:
        body = notes.parse(row.note)[0]
        checkpoint = notes.Checkpoint.parse(body)
    except ValueError as error:
        return f"not a checkpoint note: {error}"
    if (checkpoint.size, checkpoint.root.hex(), checkpoint.extensions) != (
            row.seq, row.root, (HEAD_PREFIX + row.head,)):
        return "the note does not say what its row says"
    if checkpoint.root != root:
        return "the Merkle root of the log at this size is not the signed root"
    if checkpoint.origin != keys.origin:
        return f"signed for origin {checkpoint.origin}, not {keys.origin}"
    if public_key is not None:
        try:
            notes.verify(row.note, keys.origin, public_key)
        except ValueError as error:
            return str(error)
    return None
