"""Benchmark: gate commands through the service layer against a bare sqlite3 write loop.

    .venv/bin/python tests/bench/gate_commands.py [--cases 1000] [--rounds 5]

Opens N staffed cases with an initial report on a fresh SQLite file, then takes each
through request_gate and approve_gate (lock, version check, gate checks, audit append,
the new stage's tasks with their audit events, commit: two transitions per case), and in
the same run a bare loop of one UPDATE + one INSERT + COMMIT with sqlite3 on
a file with the same settings. The cases are taken through in rounds, each followed by a
round of the bare loop: a shared machine's speed drifts by a third within a minute, so the
median of the rounds is printed with their range, and the ratio is the median of each
round's own. Also prints the SQL statements each request and each approval sends (counted
with a `before_cursor_execute` listener).
"""
from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The project's packages, in place of this folder.
sys.path[0] = str(ROOT)

from sqlalchemy import event  # noqa: E402

from models import migrate  # noqa: E402
from models.database import SQLITE_BUSY_TIMEOUT_SECONDS, WAL_CHECKPOINT_PAGES, Database  # noqa: E402
from workflow import accounts, audit, cases, evidence, reviews  # noqa: E402
from workflow.audit import Actor  # noqa: E402
from workflow.command import ANY_VERSION  # noqa: E402

#: Cases whose statements are counted, before (and apart from) the timed ones.
COUNTED = 20


def prepare(database: Database, count: int) -> tuple[list[int], Actor, Actor]:
    accounts.password_hash_method = "scrypt:1024:8:1"  # set-up only; not measured
    with database.transaction() as session:
        ivy = accounts.create_user(session, audit.SYSTEM, "ivy", "bench password 1", ["investigator"])
        sue = accounts.create_user(session, audit.SYSTEM, "sue", "bench password 1", ["supervisor"])
        investigator, supervisor = Actor.of(ivy), Actor.of(sue)
    case_ids = []
    for n in range(count):
        with database.transaction() as session:
            case = cases.open_case(session, investigator, title=f"Bench case {n}",
                                   occurred_on=date(2017, 4, 4),
                                   country="Syria", place="Khan Shaykhun")
            cases.set_member(session, supervisor, case.id, expected_version=ANY_VERSION,
                             user_id=investigator.id, case_role="lead_investigator")
            evidence.add_evidence(session, investigator, case.id, expected_version=ANY_VERSION,
                                  kind="document", title="Initial report")
            case_ids.append(case.id)
    return case_ids, investigator, supervisor


class StatementCount:
    """SQL statements sent to the database, counted as they go (until `stop`)."""

    def __init__(self, engine):
        self.count, self.engine = 0, engine
        event.listen(engine, "before_cursor_execute", self._one)

    def _one(self, *_args) -> None:
        self.count += 1

    def stop(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._one)


def take_through(database: Database, case_id: int, investigator: Actor, supervisor: Actor,
                 between=lambda: None) -> None:
    """Request and approve the first gate of a case, each in its own transaction."""
    with database.transaction() as session:
        request_id = reviews.request_gate(session, investigator, case_id, expected_version=3,
                                          target="investigation").id
    between()
    with database.transaction() as session:
        reviews.approve_gate(session, supervisor, request_id, expected_version=4, reason="bench")


def statements_sent(database: Database, case_ids, investigator: Actor,
                    supervisor: Actor) -> tuple[float, float]:
    """SQL statements per request and per approval (BEGIN included), counted on a few cases
    apart from the timed ones, so that counting costs the timed run nothing."""
    statements = StatementCount(database.engine)
    requests = approvals = 0
    for case_id in case_ids:
        before, after_request = statements.count, []
        take_through(database, case_id, investigator, supervisor,
                     between=lambda: after_request.append(statements.count))
        requests += after_request[0] - before
        approvals += statements.count - after_request[0]
    statements.stop()
    return requests / len(case_ids), approvals / len(case_ids)


def service_rate(database: Database, case_ids, investigator: Actor,
                 supervisor: Actor) -> tuple[float, float]:
    """Transitions per second of wall-clock and of this process's CPU time (SQLite runs in it,
    so the second is the rate on an idle machine)."""
    started, cpu = time.perf_counter(), time.process_time()
    for case_id in case_ids:
        take_through(database, case_id, investigator, supervisor)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    return 2 * len(case_ids) / elapsed, 2 * len(case_ids) / cpu


def bare_rate(path: Path, count: int) -> float:
    """Transitions a second of the bare loop over `count` rows, in a new file at `path`."""
    connection = sqlite3.connect(path, isolation_level=None, timeout=SQLITE_BUSY_TIMEOUT_SECONDS)
    for pragma in ("journal_mode=WAL", "foreign_keys=ON", "synchronous=NORMAL",
                   f"wal_autocheckpoint={WAL_CHECKPOINT_PAGES}"):
        connection.execute(f"PRAGMA {pragma}")
    connection.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, state TEXT, version INTEGER)")
    connection.execute("CREATE TABLE log (id INTEGER PRIMARY KEY, t_id INTEGER, payload TEXT)")
    connection.executemany("INSERT INTO t (id, state, version) VALUES (?, 'reported', 1)",
                           [(n,) for n in range(count)])
    started = time.perf_counter()
    for n in range(2 * count):
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("UPDATE t SET state = 'investigation', version = version + 1 WHERE id = ?",
                           (n % count,))
        connection.execute("INSERT INTO log (t_id, payload) VALUES (?, ?)", (n, "x" * 300))
        connection.execute("COMMIT")
    rate = 2 * count / (time.perf_counter() - started)
    connection.close()
    return rate


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):,.0f} (rounds {min(values):,.0f}–{max(values):,.0f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    rounds = max(1, min(args.rounds, args.cases))
    service, service_cpu, bare = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        database = Database(f"sqlite:///{Path(tmp) / 'bench.db'}")
        migrate.upgrade(database)
        case_ids, investigator, supervisor = prepare(database, args.cases + COUNTED)
        per_request, per_approval = statements_sent(database, case_ids[:COUNTED], investigator,
                                                    supervisor)
        timed = case_ids[COUNTED:]
        for number in range(rounds):
            wall, cpu = service_rate(database, timed[number::rounds], investigator, supervisor)
            service.append(wall)
            service_cpu.append(cpu)
            bare.append(bare_rate(Path(tmp) / f"bare-{number}.db", len(timed[number::rounds])))
        database.dispose()
    print(f"service: {spread(service)} transitions/s ({args.cases} cases × request + approve, "
          f"{rounds} rounds); {statistics.median(service_cpu):,.0f}/s of CPU time")
    print(f"bare:    {spread(bare)} UPDATE+INSERT+COMMIT/s")
    ratios = [app / loop for app, loop in zip(service, bare)]
    print(f"ratio:   {statistics.median(ratios):.4f} (target: service >= 800 transitions/s)")
    print(f"SQL statements: {per_request:.1f} per request, {per_approval:.1f} per approval "
          "(BEGIN included; COMMIT is the driver's call, not a statement)")


if __name__ == "__main__":
    main()
