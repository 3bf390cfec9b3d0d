"""Offline verification of an exported audit log, with no database and no application.

    python -m workflow.audit_verify EXPORT.jsonl --public-key PUB.pem --checkpoints CHECKPOINTS.jsonl

Recomputes the hash chain of the export and checks every checkpoint: its signature, that
seq and time only increase, and that the chain had the signed head at the signed seq.
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


def chain_heads(path: str, wanted: set[int]) -> tuple[int, str, dict[int, str]]:
    """Walk the export: (count, head, the hash at each wanted seq); Broken at the first bad line."""
    expected, head, heads = 1, GENESIS, {}
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
                raise Broken(f"BROKEN at seq {expected}: line {number} has seq {seq}")
            if prev_hash != head:
                raise Broken(f"BROKEN at seq {seq}: prev_hash does not match the previous hash")
            if sha256(DOMAIN + prev_hash.encode() + payload.encode()).hexdigest() != stored:
                raise Broken(f"BROKEN at seq {seq}: hash does not match the payload")
            if f'"seq":{seq},' not in payload or not payload.startswith("{"):
                raise Broken(f"BROKEN at seq {seq}: the payload is not the event at this seq")
            head, expected = stored, expected + 1
            if seq in wanted:
                heads[seq] = stored
    return expected - 1, head, heads


def check_checkpoints(checkpoints: list[Checkpoint], public_key, count: int,
                      heads: dict[int, str]) -> None:
    previous = None
    for number, checkpoint in enumerate(checkpoints, start=1):
        name = f"checkpoint {number} (seq {checkpoint.seq})"
        problem = signature_problem(checkpoint, public_key)
        if problem:
            raise Broken(f"BAD {name}: {problem}")
        if previous and (checkpoint.seq <= previous.seq or checkpoint.at <= previous.at):
            raise Broken(f"BAD {name}: seq and time must increase from checkpoint {number - 1}")
        if checkpoint.seq > count:
            raise Broken(f"BAD {name}: the export ends at seq {count}, before the checkpoint")
        if heads.get(checkpoint.seq) != checkpoint.head:
            raise Broken(f"BAD {name}: the chain's hash at seq {checkpoint.seq} is not the signed head")
        previous = checkpoint


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workflow.audit_verify", description=__doc__.splitlines()[0])
    parser.add_argument("export")
    parser.add_argument("--public-key", required=True)
    parser.add_argument("--checkpoints")
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
        count, head, heads = chain_heads(args.export, {c.seq for c in checkpoints})
        check_checkpoints(checkpoints, public_key, count, heads)
    except Broken as broken:
        print(broken, file=sys.stderr)
        return 1
    except OSError as error:
        print(f"cannot read the export: {error}", file=sys.stderr)
        return 2
    print(f"OK {count} events head={head}; {len(checkpoints)} checkpoints verified")
    return 0


if __name__ == "__main__":
    sys.exit(main())
