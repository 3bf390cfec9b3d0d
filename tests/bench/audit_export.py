"""Benchmark: export N audit events to JSONL and verify the export offline.

    .venv/bin/python tests/bench/audit_export.py --events 1000000

Fills a fresh SQLite database (as tests/bench/audit_verify.py does), runs
`flask audit export` and `python -m workflow.audit_verify` in processes of their own, and a
bare loop over the same file (parse each line, SHA-256 it) in the same run; prints events/s
and peak RSS of each, and the verifier's rate against the bare loop's.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[0] = str(ROOT)  # the project's packages, in place of this folder

from tests.bench.audit_verify import timed  # noqa: E402


def bare_loop(path: str) -> None:
    """Parse each line and recompute its hash; nothing else."""
    count = 0
    with open(path, encoding="utf-8") as export:
        for line in export:
            event = json.loads(line)
            hashlib.sha256(b"audit-v1\0" + event["prev_hash"].encode() + event["payload"].encode()).hexdigest()
            count += 1
    print(count)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--bare", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare:
        bare_loop(args.bare)
        return
    with tempfile.TemporaryDirectory() as tmp:
        database, export, keys = Path(tmp) / "bench.db", Path(tmp) / "log.jsonl", Path(tmp) / "keys"
        subprocess.run([sys.executable, str(ROOT / "tests/bench/audit_verify.py"), "--fill",
                        str(database), "--events", str(args.events)], check=True, cwd=ROOT)
        env = dict(os.environ, DATABASE_URL=f"sqlite:///{database}", RESTRAINT_ENV="development",
                   SECRET_KEY="b" * 32, AUDIT_SIGNING_KEY=str(keys / "audit-signing.pem"))
        flask = [sys.executable, "-m", "flask", "--app", "app"]
        keygen_env = {name: value for name, value in env.items() if name != "AUDIT_SIGNING_KEY"}
        subprocess.run([*flask, "audit", "keygen", "--out", str(keys)], check=True, env=keygen_env,
                       cwd=ROOT, capture_output=True)
        subprocess.run([*flask, "audit", "checkpoint"], check=True, env=env, cwd=ROOT, capture_output=True)
        subprocess.run([*flask, "audit", "checkpoints", "--output", str(Path(tmp) / "cp.jsonl")],
                       check=True, env=env, cwd=ROOT, capture_output=True)
        export_s, export_rss, _ = timed([*flask, "audit", "export", "--format", "jsonl", "--output",
                                         str(export)], env)
        verify_s, verify_rss, summary = timed(
            [sys.executable, "-m", "workflow.audit_verify", str(export), "--public-key",
             str(keys / "audit-signing.pub.pem"), "--checkpoints", str(Path(tmp) / "cp.jsonl")], env)
        bare_s, bare_rss, _ = timed([sys.executable, __file__, "--bare", str(export)], env)
        size = export.stat().st_size / 1e6
    n = args.events
    print(f"export:         {n / export_s:,.0f} events/s, peak RSS {export_rss} MB ({size:.0f} MB file)")
    print(f"offline verify: {n / verify_s:,.0f} events/s, peak RSS {verify_rss} MB ({summary[:60]}…)")
    print(f"bare loop:      {n / bare_s:,.0f} events/s, peak RSS {bare_rss} MB")
    print(f"verify / bare:  {bare_s / verify_s:.2f} (target >= 0.5; peak RSS target < 200 MB)")


if __name__ == "__main__":
    main()
