"""Offline verification of an exported audit log, with no database and no application.

    python -m workflow.audit_verify EXPORT.jsonl --public-key PUB.pem --checkpoints CHECKPOINTS.jsonl

Recomputes the hash chain of the export and checks every checkpoint: its signature, that
seq and time only increase, and that the chain had the signed head at the signed seq.
With --partial (an export of one case, or from a seq on), gaps in seq are allowed: every
event's own hash is still checked, links where events follow each other, and the
checkpoints whose seq the export holds.
Exit 0 with one summary line, or 1 naming the first bad seq or checkpoint and why.
Imports only the standard library and `cryptography`.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys

from workflow.audit_chain import DOMAIN, GENESIS
from workflow.checkpoints import Checkpoint, load_public_key, signature_problem


class Broken(Exception):
    """The export or a checkpoint does not hold."""


def chain_heads(path: str, wanted: set[int], partial: bool = False) -> tuple[int, str, dict[int, str]]:
    """Walk the export: (count, head, the hash at each wanted seq); Broken at the first bad line."""
    expected, head, heads, count = 1, GENESIS, {}, 0
    sha256, loads = hashlib.sha256, json.loads
    with open(path, encoding="utf-8") as export:
        for number, line in enumerate(export, start=1):
            try:
                event = loads(line)
                seq, prev_hash, stored, payload = (event["seq"], event["prev_hash"], event["hash"],
                                                   event["payload"])
            except (ValueError, KeyError, TypeError):
                raise Broken(f"BROKEN at seq {expected}: line {number} is not an export line") from None
            if seq != expected:
                if not (partial and isinstance(seq, int) and seq > expected):
                    raise Broken(f"BROKEN at seq {expected}: line {number} has seq {seq}")
                expected, head = seq, prev_hash  # a gap: the link across it cannot be checked
            if prev_hash != head:
                raise Broken(f"BROKEN at seq {seq}: prev_hash does not match the previous hash")
            if sha256(DOMAIN + prev_hash.encode() + payload.encode()).hexdigest() != stored:
                raise Broken(f"BROKEN at seq {seq}: hash does not match the payload")
            if f'"seq":{seq},' not in payload or not payload.startswith("{"):
                raise Broken(f"BROKEN at seq {seq}: the payload is not the event at this seq")
            head, expected, count = stored, expected + 1, count + 1
            if seq in wanted:
                heads[seq] = stored
    return count, expected - 1, head, heads


def check_checkpoints(checkpoints: list[Checkpoint], public_key, last_seq: int,
                      heads: dict[int, str], partial: bool = False) -> int:
    """Check each checkpoint; returns how many the export covers."""
    previous, covered = None, 0
    for number, checkpoint in enumerate(checkpoints, start=1):
        name = f"checkpoint {number} (seq {checkpoint.seq})"
        problem = signature_problem(checkpoint, public_key)
        if problem:
            raise Broken(f"BAD {name}: {problem}")
        if previous and (checkpoint.seq <= previous.seq or checkpoint.at <= previous.at):
            raise Broken(f"BAD {name}: seq and time must increase from checkpoint {number - 1}")
        previous = checkpoint
        if partial and checkpoint.seq not in heads:
            continue
        if checkpoint.seq > last_seq:
            raise Broken(f"BAD {name}: the export ends at seq {last_seq}, before the checkpoint")
        if heads.get(checkpoint.seq) != checkpoint.head:
            raise Broken(f"BAD {name}: the chain's hash at seq {checkpoint.seq} is not the signed head")
        covered += 1
    return covered


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workflow.audit_verify", description=__doc__.splitlines()[0])
    parser.add_argument("export")
    parser.add_argument("--public-key", required=True)
    parser.add_argument("--checkpoints")
    parser.add_argument("--partial", action="store_true",
                        help="the export holds part of the log (one case, or from a seq on)")
    args = parser.parse_args(argv)
    try:
        with open(args.public_key, "rb") as handle:
            public_key = load_public_key(handle.read())
        checkpoints = []
        if args.checkpoints:
            with open(args.checkpoints, encoding="utf-8") as handle:
                checkpoints = [Checkpoint.from_json(line) for line in handle if line.strip()]
    except (OSError, ValueError, KeyError, TypeError) as error:
        print(f"cannot read the key or the checkpoints: {error}", file=sys.stderr)
        return 2
    try:
        count, last_seq, head, heads = chain_heads(args.export, {c.seq for c in checkpoints},
                                                   args.partial)
        covered = check_checkpoints(checkpoints, public_key, last_seq, heads, args.partial)
    except Broken as broken:
        print(broken, file=sys.stderr)
        return 1
    except OSError as error:
        print(f"cannot read the export: {error}", file=sys.stderr)
        return 2
    if args.partial:
        print(f"OK (partial) {count} events up to seq {last_seq}; {len(checkpoints)} checkpoint "
              f"signatures verified, {covered} against events in this export")
    else:
        print(f"OK {count} events head={head}; {len(checkpoints)} checkpoints verified")
    return 0


if __name__ == "__main__":
    sys.exit(main())
