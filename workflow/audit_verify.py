"""Offline verification of an exported audit log, with no database and no application.

    python -m workflow.audit_verify EXPORT.jsonl --public-key PUB.pem [--checkpoints FILE] [--partial]

A whole export: recomputes the hash chain and its Merkle tree, the links between each case's
events, and checks every checkpoint in FILE (from `audit checkpoints`): its signature, that
the log had the signed root and head at the signed size, and that the export reaches it.
A case's export (--partial) ends with the checkpoint it is proven against: every event's
hash, its inclusion proof in that signed tree, and the link from each event of the case to
the one before it, so that any removed, changed, reordered or inserted event shows.
Exit 0 with one summary line, 1 naming the first problem, 2 when a file cannot be read.
Imports only the standard library and `cryptography`.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
from dataclasses import dataclass, field

from workflow import merkle, notes
from workflow.audit_chain import DOMAIN, GENESIS
from workflow.log_keys import load_public_key

HEAD_PREFIX = "head "


class Broken(Exception):
    """The export or a checkpoint does not hold."""


@dataclass(frozen=True)
class SignedTree:
    """A checkpoint whose signature verified: the tree's size, root and the chain's head."""

    origin: str
    size: int
    root: bytes
    head: str | None


def read_checkpoint(note: str, public_key, what: str) -> SignedTree:
    """Parse a checkpoint note and check the log's signature on it (key name = origin)."""
    try:
        body = notes.parse(note)[0]
        checkpoint = notes.Checkpoint.parse(body)
        notes.verify(note, checkpoint.origin, public_key)
    except ValueError as error:
        raise Broken(f"BAD {what}: {error}") from None
    heads = [line[len(HEAD_PREFIX):] for line in checkpoint.extensions if line.startswith(HEAD_PREFIX)]
    return SignedTree(checkpoint.origin, checkpoint.size, checkpoint.root, heads[0] if heads else None)


@dataclass
class Walk:
    """What walking an export found."""

    count: int = 0
    first_seq: int = 0
    last_seq: int = 0
    head: str = GENESIS
    #: (tree root, chain hash) at the sizes asked for; a whole export only.
    heads: dict = field(default_factory=dict)
    cases: set = field(default_factory=set)
    signed: SignedTree | None = None
    #: (seq, hash, inclusion proof) of each event of a partial export.
    events: list = field(default_factory=list)
    #: Seqs where a case's first event in a partial export links to an event not in it.
    open_starts: list = field(default_factory=list)


def _event(line: str, number: int, expected: int) -> tuple[int, str, str, str, dict, list | None]:
    try:
        event = json.loads(line)
        seq, prev_hash, stored, payload = (event["seq"], event["prev_hash"], event["hash"],
                                           event["payload"])
        document = json.loads(payload)
        if not (isinstance(seq, int) and isinstance(document, dict)):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        raise Broken(f"BROKEN at seq {expected}: line {number} is not an export line") from None
    return seq, prev_hash, stored, payload, document, event.get("proof")


def walk(path: str, public_key, sizes: set[int], partial: bool) -> Walk:
    """Check every line of the export; Broken at the first that does not hold."""
    result, expected, tree, case_heads = Walk(), 1, merkle.Frontier(), {}
    sha256 = hashlib.sha256
    with open(path, encoding="utf-8") as export:
        for number, line in enumerate(export, start=1):
            if line.startswith('{"checkpoint"'):
                if not partial or result.signed:
                    raise Broken(f"BROKEN: line {number} is a checkpoint where an event was expected")
                try:
                    note = json.loads(line)["checkpoint"]
                except (ValueError, KeyError, TypeError):
                    raise Broken(f"BROKEN: line {number} is not a checkpoint line") from None
                result.signed = read_checkpoint(note, public_key, "checkpoint at the end of the export")
                continue
            if result.signed:
                raise Broken(f"BROKEN: line {number} follows the checkpoint that ends the export")
            seq, prev_hash, stored, payload, document, proof = _event(line, number, expected)
            if seq != expected:
                if not (partial and seq > expected):
                    raise Broken(f"BROKEN at seq {expected}: line {number} has seq {seq}")
                expected, result.head = seq, prev_hash  # a gap: the link across it cannot be checked
            if prev_hash != result.head:
                raise Broken(f"BROKEN at seq {seq}: prev_hash does not match the previous hash")
            if sha256(DOMAIN + prev_hash.encode() + payload.encode()).hexdigest() != stored:
                raise Broken(f"BROKEN at seq {seq}: hash does not match the payload")
            if document.get("seq") != seq:
                raise Broken(f"BROKEN at seq {seq}: the payload is not the event at this seq")
            _check_case_link(document, case_heads, seq, stored, result)
            if partial:
                result.events.append((seq, stored, proof))
            else:
                tree.append(merkle.leaf_hash(bytes.fromhex(stored)))
                if seq in sizes:
                    result.heads[seq] = (tree.root(), stored)
            result.first_seq = result.first_seq or seq
            result.head, result.last_seq, expected = stored, seq, expected + 1
            result.count += 1
            if document.get("case_id") is not None:
                result.cases.add(document["case_id"])
    if result.open_starts and (result.signed or not partial):
        raise Broken(f"BROKEN at seq {result.open_starts[0]}: events of its case before it are "
                     f"missing from the export")
    if partial and result.signed:
        _check_inclusion(result)
    return result


def _check_case_link(document: dict, case_heads: dict, seq: int, stored: str, result: Walk) -> None:
    """Each event of a case names the case's previous event; the first names none (zeros)."""
    case_id = document.get("case_id")
    if case_id is None:
        return
    link, previous = document.get("case_prev"), case_heads.get(case_id)
    case_heads[case_id] = stored
    if link is None:
        return  # written before events carried their case's link
    if previous is None and link != GENESIS:
        # An export from a seq on may start mid-case; a case's export (with its checkpoint) may not.
        result.open_starts.append(seq)
        return
    if link != (previous or GENESIS):
        raise Broken(f"BROKEN at seq {seq}: the case's previous event is not the one before it in "
                     f"the export (an event of case {case_id} was removed, changed or moved)")


def _check_inclusion(result: Walk) -> None:
    signed = result.signed
    for seq, stored, proof in result.events:
        if seq > signed.size:
            raise Broken(f"BROKEN at seq {seq}: the event is not in the signed tree of size {signed.size}")
        try:
            hashes = [bytes.fromhex(node) for node in proof or []]
        except (TypeError, ValueError):
            raise Broken(f"BROKEN at seq {seq}: the inclusion proof is not hex hashes") from None
        if proof is None or not merkle.verify_inclusion(seq - 1, signed.size,
                                                        merkle.leaf_hash(bytes.fromhex(stored)),
                                                        hashes, signed.root):
            raise Broken(f"BROKEN at seq {seq}: the event is not in the signed tree of size {signed.size}")


def check_checkpoints(lines: list[str], public_key, result: Walk) -> int:
    """Check each exported checkpoint against the walked export; returns how many it covers."""
    previous = None
    for number, line in enumerate(lines, start=1):
        record = json.loads(line)
        size, what = int(record["size"]), f"checkpoint {number} (size {record['size']})"
        if previous is not None and size <= previous:
            raise Broken(f"BAD {what}: sizes must increase from checkpoint {number - 1}")
        previous = size
        if size > result.last_seq:
            raise Broken(f"BAD {what}: the export ends at seq {result.last_seq}, before the checkpoint "
                         f"(events were removed from the end of the log)")
        root, head = result.heads[size]
        if record.get("note") is None:  # signed before checkpoints were notes: its head only
            if head != record["head"]:
                raise Broken(f"BAD {what}: the chain's hash at seq {size} is not the signed head")
            continue
        signed = read_checkpoint(record["note"], public_key, what)
        if signed.size != size:
            raise Broken(f"BAD {what}: the note is for size {signed.size}")
        if signed.root != root:
            raise Broken(f"BAD {what}: the Merkle root of the export at size {size} is not the signed root")
        if signed.head not in (None, head):
            raise Broken(f"BAD {what}: the chain's hash at seq {size} is not the signed head")
    return len(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workflow.audit_verify",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("export")
    parser.add_argument("--public-key", required=True, help="the log's Ed25519 public key (PEM)")
    parser.add_argument("--checkpoints", help="the checkpoints, from `audit checkpoints`")
    parser.add_argument("--partial", action="store_true",
                        help="the export holds part of the log (one case, or from a seq on)")
    args = parser.parse_args(argv)
    try:
        with open(args.public_key, "rb") as handle:
            public_key = load_public_key(handle.read())
        lines = []
        if args.checkpoints:
            with open(args.checkpoints, encoding="utf-8") as handle:
                lines = [line for line in handle if line.strip()]
            sizes = {int(json.loads(line)["size"]) for line in lines}
        else:
            sizes = set()
    except (OSError, ValueError, KeyError, TypeError) as error:
        print(f"cannot read the key or the checkpoints: {error}", file=sys.stderr)
        return 2
    try:
        result = walk(args.export, public_key, sizes, args.partial)
        covered = 0 if args.partial else check_checkpoints(lines, public_key, result)
    except Broken as broken:
        print(broken, file=sys.stderr)
        return 1
    except OSError as error:
        print(f"cannot read the export: {error}", file=sys.stderr)
        return 2
    print(summary(result, args.partial, covered))
    return 0


def summary(result: Walk, partial: bool, covered: int) -> str:
    """One line that says what was proven, and what was not."""
    if not partial:
        return f"OK {result.count} events head={result.head}; {covered} checkpoints verified"
    span = f"seq {result.first_seq}-{result.last_seq}"
    cases = ", ".join(str(case) for case in sorted(result.cases)) or "none"
    if result.signed is None:
        return (f"OK (partial) {result.count} events ({span}, cases {cases}); NOT PROVEN: the export "
                f"carries no checkpoint, so only each event's own hash and the links between them "
                f"were checked")
    return (f"OK (partial) {result.count} events ({span}, case {cases}), each included in the "
            f"signed tree of size {result.signed.size} of {result.signed.origin}; none of the case's "
            f"events between seq {result.first_seq} and {result.last_seq} is missing; events after "
            f"seq {result.last_seq} are not covered by this export")


if __name__ == "__main__":
    sys.exit(main())
