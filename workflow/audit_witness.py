"""A witness of the audit log: it remembers the last checkpoint it accepted and accepts only growth.

    python -m workflow.audit_witness URL --log-key PUB.pem --state DIR [--witness-key KEY.pem --name NAME]

Fetches URL/audit/checkpoint, checks the log's signature (key name = the checkpoint's origin),
and checks with URL/audit/proof/consistency that the new tree contains the one it accepted
before (kept in DIR). Only then does it keep the new checkpoint; with --witness-key it also
cosigns it (C2SP tlog-cosignature) and posts the cosignature to URL/audit/cosignatures.
Exit 0 with one line; exit 1 with one line naming the refusal (ROLLBACK, FORK, BAD SIGNATURE,
BAD RESPONSE, UNREACHABLE, REFUSED); the kept state never changes on a refusal.
Standard library and `cryptography` only.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from workflow import merkle, notes
from workflow.log_keys import load_private_key, load_public_key

TIMEOUT_SECONDS = 10
MAX_RESPONSE_BYTES = 1024 * 1024
STATE_FILE = "checkpoint"


class Refused(Exception):
    """The witness will not accept what the log served."""


def _fetch(url: str, data: bytes | None = None) -> bytes:
    request = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET",
                                     headers={"Content-Type": "text/plain; charset=utf-8"} if data else {})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            body = response.read(MAX_RESPONSE_BYTES + 1)
    except urllib.error.HTTPError as error:
        reason = error.read(300).decode("utf-8", "replace").strip()
        raise Refused(f"REFUSED: {url} answered {error.code}: {reason}") from None
    except (urllib.error.URLError, OSError) as error:
        raise Refused(f"UNREACHABLE: {url}: {getattr(error, 'reason', error)}") from None
    if len(body) > MAX_RESPONSE_BYTES:
        raise Refused(f"BAD RESPONSE: {url} sent more than {MAX_RESPONSE_BYTES} bytes")
    return body


def read_checkpoint(text: str, log_key) -> tuple[str, notes.Checkpoint]:
    """The body and checkpoint of a note signed by the log; Refused otherwise."""
    try:
        body = notes.parse(text)[0]
        checkpoint = notes.Checkpoint.parse(body)
    except ValueError as error:
        raise Refused(f"BAD RESPONSE: not a checkpoint note: {error}") from None
    try:
        notes.verify(text, checkpoint.origin, log_key)
    except ValueError as error:
        raise Refused(f"BAD SIGNATURE: {error}") from None
    return body, checkpoint


def check_growth(base: str, old: notes.Checkpoint, new: notes.Checkpoint) -> None:
    """The new tree must contain the old one: equal, or proven consistent by the log."""
    if new.origin != old.origin:
        raise Refused(f"BAD SIGNATURE: the checkpoint is for {new.origin}, not {old.origin}")
    if new.size < old.size:
        raise Refused(f"ROLLBACK: the log shrank from {old.size} to {new.size} events")
    if new.size == old.size:
        if new.root != old.root:
            raise Refused(f"FORK: two different trees of {new.size} events")
        return
    query = urllib.parse.urlencode({"old": old.size, "new": new.size})
    try:
        reply = json.loads(_fetch(f"{base}/audit/proof/consistency?{query}"))
        proof = [bytes.fromhex(node) for node in reply["proof"]]
    except (ValueError, KeyError, TypeError):
        raise Refused("BAD RESPONSE: the consistency proof is not JSON of hex hashes") from None
    if not merkle.verify_consistency(old.size, new.size, old.root, new.root, proof):
        raise Refused(f"FORK: the tree of {new.size} events does not contain the tree of "
                      f"{old.size} events this witness accepted (the log was rewritten)")


def keep(state: Path, text: str) -> None:
    """Replace the kept checkpoint atomically: a crash leaves the old one or the new one."""
    state.mkdir(parents=True, exist_ok=True)
    partial = state / f"{STATE_FILE}.new"
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, state / STATE_FILE)


def witness(base: str, log_key, state: Path, signer=None, name: str = "") -> str:
    """Fetch, check, keep and optionally cosign the log's latest checkpoint; the line to print."""
    try:
        text = _fetch(f"{base}/audit/checkpoint").decode("utf-8")
    except UnicodeDecodeError:
        raise Refused("BAD RESPONSE: the checkpoint is not UTF-8 text") from None
    body, new = read_checkpoint(text, log_key)
    kept = state / STATE_FILE
    if kept.exists():
        old = read_checkpoint(kept.read_text(encoding="utf-8"), log_key)[1]
        check_growth(base, old, new)
        how = f"consistent with the {old.size} events accepted before"
    else:
        how = "the first this witness has seen"
    keep(state, text)
    line = f"OK checkpoint {new.size} of {new.origin}, {how}"
    if signer is not None:
        cosignature = notes.cosign(body, name, signer, int(time.time()))
        _fetch(f"{base}/audit/cosignatures", notes.note(body, cosignature).encode("utf-8"))
        line += f"; cosigned as {name}"
    return line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workflow.audit_witness",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("url", help="the log's base URL, e.g. https://restraint.example.org")
    parser.add_argument("--log-key", required=True, help="the log's Ed25519 public key (PEM)")
    parser.add_argument("--state", required=True, help="folder where the accepted checkpoint is kept")
    parser.add_argument("--witness-key", help="this witness's Ed25519 private key (PEM), to cosign")
    parser.add_argument("--name", help="this witness's key name (with --witness-key)")
    args = parser.parse_args(argv)
    if bool(args.witness_key) != bool(args.name):
        print("--witness-key and --name go together", file=sys.stderr)
        return 2
    try:
        log_key = load_public_key(Path(args.log_key).read_bytes())
        signer = load_private_key(Path(args.witness_key).read_bytes()) if args.witness_key else None
    except (OSError, ValueError) as error:
        print(f"cannot read a key: {error}", file=sys.stderr)
        return 2
    try:
        print(witness(args.url.rstrip("/"), log_key, Path(args.state), signer, args.name or ""))
    except Refused as refused:
        print(refused, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
