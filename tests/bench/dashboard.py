"""Benchmark: the dashboard and the case list over 10,000 cases and 1,000,000 audit events
(SQLite), and the import rate of a 10,000-row CSV.

    .venv/bin/python tests/bench/dashboard.py [--cases 10000 --events 1000000]

The data is synthetic and written in bulk (the timings are of reading it); the moves in the
audit log are real chained events, so days per stage and stalls have something to measure.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[0] = str(ROOT)  # the project's packages, in place of this folder

from sqlalchemy import insert  # noqa: E402

from app import create_app  # noqa: E402
from models import AuditEvent, Case, Response, Task, migrate  # noqa: E402
from tests.bench.log_fill import store  # noqa: E402
from workflow import accounts, audit, importer, transparency  # noqa: E402
from workflow.audit import Actor, event_row  # noqa: E402
from workflow.audit_chain import GENESIS  # noqa: E402
from workflow.menu import LEVELS, TOOLS  # noqa: E402
from workflow.pathway import STAGES  # noqa: E402

PASSWORD = "benchmark password"
BATCH = 20_000


def fill(db, cases: int, events: int) -> None:
    rng = random.Random(7)
    with db.transaction() as session:
        sue = accounts.create_user(session, audit.SYSTEM, "sue", PASSWORD, ["supervisor"])
        actor = Actor.of(sue)
    start = datetime(2019, 1, 1)
    rows, moves = [], []
    for n in range(1, cases + 1):
        state = rng.choice(STAGES)
        opened = start + timedelta(days=rng.randrange(0, 1500))
        rows.append(dict(id=n, reference=f"CW-2020-{n:05d}", title=f"Synthetic case {n}", country=rng.choice(
            ("Syria", "Iraq", "Ukraine", "United Kingdom")), place="x", occurred_on=opened.date(),
            occurred_precision="day", suspected_agent="chlorine", delivery_means="", summary="",
            state=state, outcome="evaluated" if state == "closed" else None, version=1,
            closed_at=opened + timedelta(days=400) if state == "closed" else None, opened_at=opened,
            history_imported=False))
        at = opened
        for stage in STAGES[:STAGES.index(state) + 1]:
            moves.append((n, stage, at))
            at += timedelta(days=rng.randrange(5, 120))
    with db.transaction() as session:
        for i in range(0, len(rows), BATCH):
            session.execute(insert(Case), rows[i:i + BATCH])
        session.execute(insert(Response), [dict(case_id=n, level=rng.choice(LEVELS), tool=rng.choice(TOOLS),
                                                actor="a", description="d", legally_binding=rng.random() < .5,
                                                status=rng.choice(("proposed", "adopted", "blocked")),
                                                created_by_id=actor.id) for n in range(1, cases + 1) for _ in range(2)])
        session.execute(insert(Task), [dict(case_id=n, stage="investigation", title="t", role="investigator",
                                            required=True, status="open") for n in range(1, cases + 1) for _ in range(3)])
    batch = []
    with db.sessions() as session:
        head = session.execute(AuditEvent.__table__.select().order_by(AuditEvent.seq.desc()).limit(1)).first()
        seq, prev_hash = (head.seq + 1, head.hash) if head else (1, GENESIS)
        frontier = transparency.frontier(session, seq - 1)
    filler = max(0, events - len(moves))
    stream = [("move", m) for m in moves] + [("note", None)] * filler
    for kind, move in stream:
        if kind == "move":
            case_id, stage, at = move
            row = event_row(seq, prev_hash, "case_opened" if stage == "reported" else "gate_approved", actor,
                            case_id=case_id, to_state=stage, at=at)
        else:
            row = event_row(seq, prev_hash, "note", actor, case_id=rng.randrange(1, cases + 1),
                            details={"n": seq}, at=start)
        batch.append(row)
        seq, prev_hash = seq + 1, row["hash"]
        if len(batch) == BATCH:
            store(db, batch, frontier)
            batch = []
    if batch:
        store(db, batch, frontier)


def median_ms(client, url: str, runs: int = 20) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(times)


def import_rate(db, rows: int, actor: Actor) -> float:
    lines = ["source_id,title,occurred_on,country,place,suspected_agent,summary"]
    lines += [f"bench-{n},Imported incident {n},2016-05-{n % 28 + 1:02d},Syria,Place {n},chlorine,Report {n}"
              for n in range(rows)]
    data = ("\n".join(lines) + "\n").encode()
    started = time.perf_counter()
    plan = importer.read_csv(data)
    with db.sessions() as session:
        importer.split_known(session, plan)
    with db.transaction() as session:
        imported = importer.import_rows(session, plan.rows, actor)
    assert imported == rows
    return rows / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--import-rows", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"ENV": "test", "DATABASE_URL": f"sqlite:///{tmp}/bench.db",
                          "EVIDENCE_DIR": f"{tmp}/evidence", "WTF_CSRF_ENABLED": False})
        db = app.extensions["database"]
        migrate.upgrade(db)
        started = time.perf_counter()
        fill(db, args.cases, args.events)
        print(f"filled {args.cases} cases and {args.events} events in {time.perf_counter() - started:.0f} s")
        client = app.test_client()
        assert client.post("/login", data={"username": "sue", "password": PASSWORD}).status_code == 302
        dashboard = median_ms(client, "/")
        listing = median_ms(client, "/cases")
        with db.transaction() as session:
            ivy = Actor.of(accounts.create_user(session, audit.SYSTEM, "ivy", PASSWORD, ["investigator"]))
        rate = import_rate(db, args.import_rows, ivy)
        db.dispose()
    print(f"dashboard: {dashboard:.0f} ms median of 20 (target < 300 ms)")
    print(f"case list: {listing:.0f} ms median of 20 (target < 100 ms)")
    print(f"import:    {rate:,.0f} rows/s for {args.import_rows} rows (target >= 1,000 rows/s)")


if __name__ == "__main__":
    main()
