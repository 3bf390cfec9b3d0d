"""Benchmark: `flask audit verify` against a bare sqlite3 + hashlib loop over the same rows.

    .venv/bin/python tests/bench/audit_verify.py --events 1000000

Fills a fresh, migrated SQLite database with N chained events, then runs the command and
the bare loop, each in its own process, and prints events/s, their ratio and peak RSS.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The project's packages, in place of this folder.
sys.path[0] = str(ROOT)

BATCH = 20_000


def fill(path: Path, events: int) -> None:
    """Migrate a new database and append `events` chained events in large batches."""
    from models import migrate
    from models.database import Database
    from tests.bench.log_fill import store
    from workflow.audit import Actor, event_row
    from workflow.audit_chain import GENESIS
    from workflow.merkle import Frontier

    database = Database(f"sqlite:///{path}")
    migrate.upgrade(database)
    actors = [Actor(n, f"user{n}", ("investigator", "supervisor")) for n in range(1, 21)]
    start, prev_hash, batch, frontier = datetime(2020, 1, 1), GENESIS, [], Frontier()
    for seq in range(1, events + 1):
        row = event_row(seq, prev_hash, "case_updated", actors[seq % 20], case_id=seq % 5000,
                        entity_type="case", entity_id=seq % 5000,
                        details={"field": "summary", "note": f"edit {seq}"},
                        at=start + timedelta(seconds=seq))
        batch.append(row)
        prev_hash = row["hash"]
        if len(batch) == BATCH:
            store(database, batch, frontier)
            batch = []
    if batch:
        store(database, batch, frontier)
    database.dispose()


def bare_loop(path: str) -> None:
    """Read the same rows (every column) with sqlite3 and recompute each hash with hashlib."""
    connection = sqlite3.connect(path)
    prev, count = "0" * 64, 0
    for *_, payload, prev_hash, stored in connection.execute(
            "SELECT seq, at, actor_id, actor_username, actor_roles, case_id, event_type, "
            "entity_type, entity_id, from_state, to_state, payload, prev_hash, hash "
            "FROM audit_events ORDER BY seq"):
        digest = hashlib.sha256(b"audit-v1\0" + prev_hash.encode() + payload.encode()).hexdigest()
        if prev_hash != prev or digest != stored:
            raise SystemExit(f"bare loop: chain broken at row {count + 1}")
        prev, count = stored, count + 1
    print(count)


def timed(command: list[str], env: dict) -> tuple[float, int, str]:
    """Wall seconds, peak RSS in MB and output of one child process."""
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             env=env, cwd=ROOT, text=True)
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)  # the rusage of this child alone
    elapsed = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"{command[2]} failed: {output}")
    return elapsed, usage.ru_maxrss // 1024, output.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--bare", help=argparse.SUPPRESS)
    parser.add_argument("--fill", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare:
        bare_loop(args.bare)
        return
    if args.fill:
        fill(Path(args.fill), args.events)
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        started = time.perf_counter()
        # In a child process, so that the measured children do not inherit its memory.
        subprocess.run([sys.executable, __file__, "--fill", str(path), "--events", str(args.events)],
                       check=True, cwd=ROOT)
        print(f"filled {args.events} events in {time.perf_counter() - started:.1f} s "
              f"({path.stat().st_size / 1e6:.0f} MB)")
        env = dict(os.environ, DATABASE_URL=f"sqlite:///{path}", RESTRAINT_ENV="development",
                   SECRET_KEY="b" * 32)
        bare_s, bare_rss, _ = timed([sys.executable, __file__, "--bare", str(path)], env)
        flask = [sys.executable, "-m", "flask", "--app", "app", "audit", "verify"]
        verify_s, verify_rss, output = timed(flask, env)
    bare_rate, verify_rate = args.events / bare_s, args.events / verify_s
    print(f"audit verify: {verify_rate:,.0f} events/s, peak RSS {verify_rss} MB ({output[:40]}…)")
    print(f"bare loop:    {bare_rate:,.0f} events/s, peak RSS {bare_rss} MB")
    print(f"ratio:        {verify_rate / bare_rate:.2f} (target >= 0.5; peak RSS target < 200 MB)")


if __name__ == "__main__":
    main()
