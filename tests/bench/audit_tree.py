"""Benchmark: the transparency log's Merkle tree: its cost on appends, and its proofs at scale.

    .venv/bin/python tests/bench/audit_tree.py --events 1000000
    .venv/bin/python tests/bench/audit_tree.py --database-url postgresql+psycopg://root@127.0.0.1:5432/test

1. The gate-command rate (request_gate + approve_gate through the services, as
   tests/bench/gate_commands.py measures it) with the tree stored on every append, and with
   the tree's work switched off in this process only (transparency.frontier, tree_rows and
   insert_tree_rows made no-ops; the rows skipped are filled in, unmeasured, after each
   round), alternating the two for --rounds rounds; prints the median of each and the ratio.
2. A log of N events (1,000 of them, spread over the log, belong to case 7) bulk-inserted
   with their tree rows; times the inclusion proofs of case 7's events in the tree of N,
   and the whole proven jsonl export of case 7 after a checkpoint is signed, and verifies
   every proof with workflow.merkle.
3. The consistency proof from the tree of 1,000 events to the tree of N, timed and verified
   against the roots of both sizes.

Runs on a fresh SQLite file, or with --database-url (an existing PostgreSQL database to
connect through) in a database bench_tree_<pid> that it creates and drops.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The project's packages, in place of this folder.
sys.path[0] = str(ROOT)

from sqlalchemy import create_engine, func, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from models import migrate  # noqa: E402
from models.audit import AuditEvent, AuditTreeLeaf  # noqa: E402
from models.database import Database  # noqa: E402
from tests.bench.gate_commands import prepare, service_rate  # noqa: E402
from workflow import audit_log, log_keys, merkle, notes, transparency  # noqa: E402
from workflow.audit import Actor, event_row  # noqa: E402
from workflow.audit_chain import GENESIS  # noqa: E402
from workflow.roles import AUDITOR  # noqa: E402

BATCH = 20_000
CASE = 7
CASE_EVENTS = 1000
OLD_SIZE = 1000
ORIGIN = "bench.restraint.example/audit"


# --- where the benchmark runs ------------------------------------------------------------

@contextmanager
def fresh_database(url: str | None, tmp: Path, name: str) -> Iterator[Database]:
    """A new, migrated database: a SQLite file in `tmp`, or bench_tree_<pid> next to `url`."""
    if url is None:
        database = Database(f"sqlite:///{tmp / name}.db")
        migrate.upgrade(database)
        try:
            yield database
        finally:
            database.dispose()
        return
    admin = create_engine(make_url(url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    own = f"bench_tree_{os.getpid()}"
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{own}"'))
        connection.execute(text(f'CREATE DATABASE "{own}"'))
    database = Database(make_url(url).set(database=own).render_as_string(hide_password=False))
    try:
        migrate.upgrade(database)
        yield database
    finally:
        database.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{own}" WITH (FORCE)'))
        admin.dispose()


# --- 1. append cost with and without the tree --------------------------------------------

class _NoTree:
    """Stands in for the frontier while the tree is off; nothing reads it."""

    def root(self) -> bytes:
        raise AssertionError("the tree is off")


@contextmanager
def tree_off() -> Iterator[None]:
    """Switch the tree's work off in this process: no frontier read, no rows made or inserted."""
    saved = transparency.frontier, transparency.tree_rows, transparency.insert_tree_rows
    transparency.frontier = lambda session, size, head="": _NoTree()
    transparency.tree_rows = lambda frontier_, first_seq, hashes: []
    transparency.insert_tree_rows = lambda session, rows: None
    try:
        yield
    finally:
        transparency.frontier, transparency.tree_rows, transparency.insert_tree_rows = saved


def fill_in_tree(database: Database) -> int:
    """Store the tree rows of the events appended while the tree was off (not measured)."""
    with database.transaction() as session:
        done = session.scalar(select(func.coalesce(func.max(AuditTreeLeaf.seq), 0)))
        hashes = session.scalars(select(AuditEvent.hash).where(AuditEvent.seq > done)
                                 .order_by(AuditEvent.seq)).all()
        if hashes:
            transparency.insert_tree_rows(session, transparency.tree_rows(
                transparency.frontier(session, done), done + 1, list(hashes)))
    return len(hashes)


def append_cost(database: Database, cases_per_round: int, rounds: int) -> tuple[list[float], list[float]]:
    """Gate-command rates with the tree and without it, alternating, in the same database."""
    case_ids, investigator, supervisor = prepare(database, 2 * rounds * cases_per_round)
    chunks = iter([case_ids[n:n + cases_per_round] for n in range(0, len(case_ids), cases_per_round)])
    with_tree, without_tree = [], []
    for round_ in range(rounds):
        # Which goes first alternates too, so that neither always runs on the larger log.
        for tree in ((True, False) if round_ % 2 == 0 else (False, True)):
            chunk = next(chunks)
            if tree:
                with_tree.append(service_rate(database, chunk, investigator, supervisor)[0])
            else:
                with tree_off():
                    without_tree.append(service_rate(database, chunk, investigator, supervisor)[0])
                fill_in_tree(database)
    return with_tree, without_tree


# --- 2 and 3. a large log, its proofs ----------------------------------------------------

def case_of(seq: int, events: int) -> int:
    """CASE_EVENTS events of CASE spread evenly over the log; the others over 5,000 other cases."""
    step = max(events // CASE_EVENTS, 1)
    if seq % step == 0 and seq // step <= CASE_EVENTS:
        return CASE
    return 100 + seq % 5000


def _bulk_insert(session, table, rows: list[dict]) -> None:
    """One executemany on the driver with plain tuples: SQLAlchemy's per-row work would double the build."""
    dialect = session.get_bind().dialect
    columns = list(rows[0])
    processors = [(at, process) for at, name in enumerate(columns)
                  if (process := table.c[name].type.dialect_impl(dialect).bind_processor(dialect))
                  is not None]
    values = [list(row.values()) for row in rows]
    for at, process in processors:  # e.g. datetimes as SQLite's text
        for row in values:
            row[at] = process(row[at])
    marker = "?" if dialect.paramstyle == "qmark" else "%s"
    session.connection().exec_driver_sql(
        f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join([marker] * len(columns))})",
        [tuple(row) for row in values])


def build_log(database: Database, events: int) -> list[int]:
    """Bulk-insert `events` chained events with their tree rows; returns the seqs of CASE."""
    actors = [Actor(n, f"user{n}", ("investigator", "supervisor")) for n in range(1, 21)]
    start, prev_hash, case_heads = datetime(2020, 1, 1), GENESIS, {}
    frontier_, case_seqs, rows = merkle.Frontier(), [], []

    def flush() -> None:
        with database.transaction() as session:
            if database.engine.dialect.name == "sqlite":
                # The unique indexes on the hashes take random inserts: give them room (build only).
                session.execute(text("PRAGMA cache_size = -262144"))
            _bulk_insert(session, AuditEvent.__table__, rows)
            _bulk_insert(session, AuditTreeLeaf.__table__, transparency.tree_rows(
                frontier_, rows[0]["seq"], [row["hash"] for row in rows]))
        rows.clear()

    for seq in range(1, events + 1):
        case_id = case_of(seq, events)
        row = event_row(seq, prev_hash, "case_updated", actors[seq % 20], case_id=case_id,
                        entity_type="case", entity_id=case_id,
                        details={"field": "summary", "note": f"edit {seq}"},
                        at=start + timedelta(seconds=seq), case_prev=case_heads.get(case_id, GENESIS))
        rows.append(row)
        prev_hash = case_heads[case_id] = row["hash"]
        if case_id == CASE:
            case_seqs.append(seq)
        if len(rows) == BATCH:
            flush()
    if rows:
        flush()
    # The measurements run on new connections, with the app's settings.
    database.engine.dispose()
    return case_seqs


def timed(function, *args):
    started = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - started, result


def leaf_of(hash_: str) -> bytes:
    return merkle.leaf_hash(bytes.fromhex(hash_))


def proofs(database: Database, events: int, case_seqs: list[int]) -> list[str]:
    """Parts 2 and 3 on the log as built: figures as printed lines."""
    lines = []
    with database.sessions() as session:
        root_s, root = timed(transparency.root_at, session, events)
        lines.append(f"root_at({events:,}):   {root_s * 1000:,.1f} ms")
        proof_s, proven = timed(transparency.inclusion_proofs, session, case_seqs, events)
        hashes = dict(session.execute(select(AuditEvent.seq, AuditEvent.hash)
                                      .where(AuditEvent.seq.in_(case_seqs))).all())
    verified = sum(merkle.verify_inclusion(seq - 1, events, leaf_of(hashes[seq]), proof, root)
                   for seq, proof in proven.items())
    nodes = sum(len(proof) for proof in proven.values())
    lines.append(f"inclusion proofs:   {proof_s * 1000:,.1f} ms for {len(proven):,} events of case {CASE} "
                 f"in the tree of {events:,} ({nodes:,} hashes; {proof_s / len(proven) * 1e6:,.0f} µs/event)")
    lines.append(f"  verified:         {verified:,} of {len(proven):,}")

    private_pem, _ = log_keys.generate_keys()
    keys = transparency.LogKeys(ORIGIN, log_keys.load_private_key(private_pem))
    with database.transaction() as session:
        head = session.scalar(select(AuditEvent.hash).where(AuditEvent.seq == events))
        sign_s, _ = timed(lambda: transparency.sign_checkpoint(
            session, keys, events, transparency.root_at(session, events), head))
    lines.append(f"checkpoint signed:  {sign_s * 1000:,.1f} ms (root_at + sign, size {events:,})")
    auditor = Actor(None, "auditor", (AUDITOR,))
    with database.sessions() as session:
        export_s, exported = timed(lambda: list(audit_log.export_lines(session, auditor, "jsonl",
                                                                       case_id=CASE)))
    body = notes.verify(json.loads(exported[-1])["checkpoint"], ORIGIN, keys.verifying_key)
    checkpoint = notes.Checkpoint.parse(body)
    events_out = [json.loads(line) for line in exported[:-1]]
    export_verified = sum(merkle.verify_inclusion(
        event["seq"] - 1, checkpoint.size, leaf_of(event["hash"]),
        [bytes.fromhex(node) for node in event["proof"]], checkpoint.root) for event in events_out)
    size = sum(len(line.encode()) for line in exported)
    lines.append(f"case export:        {export_s * 1000:,.1f} ms for {len(events_out):,} events with proofs "
                 f"({size / 1e6:.1f} MB jsonl; {export_s / max(len(events_out), 1) * 1e6:,.0f} µs/event)")
    lines.append(f"  verified:         {export_verified:,} of {len(events_out):,} against the signed "
                 f"checkpoint (root {'matches' if checkpoint.root == root else 'DIFFERS'})")

    old = min(OLD_SIZE, events)
    with database.sessions() as session:
        consistency_s, consistency = timed(transparency.consistency_proof, session, old, events)
        old_root = transparency.root_at(session, old)
        new_root = transparency.root_at(session, events)
    ok = merkle.verify_consistency(old, events, old_root, new_root, consistency)
    lines.append(f"consistency proof:  {consistency_s * 1000:,.1f} ms from size {old:,} to {events:,} "
                 f"({len(consistency)} hashes)")
    lines.append(f"  verified:         {'yes' if ok else 'NO'}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--cases", type=int, default=300, help="cases per round (two gate commands each)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--database-url", help="PostgreSQL to create bench_tree_<pid> through")
    args = parser.parse_args()
    backend = "PostgreSQL" if args.database_url else "SQLite"
    with tempfile.TemporaryDirectory() as tmp:
        with fresh_database(args.database_url, Path(tmp), "gates") as database:
            with_tree, without_tree = append_cost(database, args.cases, args.rounds)
        on, off = statistics.median(with_tree), statistics.median(without_tree)
        print(f"{backend}, {args.rounds} rounds of {args.cases} cases × request + approve, alternating:")
        print(f"with tree:    {on:,.0f} transitions/s (median; rounds: "
              f"{', '.join(f'{rate:,.0f}' for rate in with_tree)})")
        print(f"without tree: {off:,.0f} transitions/s (median; rounds: "
              f"{', '.join(f'{rate:,.0f}' for rate in without_tree)})")
        print(f"ratio:        {on / off:.3f} (drop {(1 - on / off) * 100:.1f}%; target: drop <= 10%)")
        sys.stdout.flush()

        with fresh_database(args.database_url, Path(tmp), "log") as database:
            build_s, case_seqs = timed(build_log, database, args.events)
            print(f"built log:    {args.events:,} events with their tree rows in {build_s:.1f} s "
                  f"({args.events / build_s:,.0f} events/s; {len(case_seqs):,} of case {CASE})")
            sys.stdout.flush()
            for line in proofs(database, args.events, case_seqs):
                print(line)


if __name__ == "__main__":
    main()
