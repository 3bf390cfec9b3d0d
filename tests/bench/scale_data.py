"""Benchmark data at scale: a scratch database (a SQLite file or a PostgreSQL database of its
own) holding N synthetic cases, their moves as real chained audit events, their stays and
tallies and the dashboard's counts, two responses, three tasks and a suspected perpetrator each,
an attribution naming a party of the register (a state or one of its units) for every case
past attribution and an
evaluation for every case past evaluation; supervisor `sue` sees them all, investigator `ivy`
is on the team of 30. Used by tests/bench/dashboard.py and tests/bench/http_load.py.
"""
from __future__ import annotations

import contextlib
import os
import random
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, insert, make_url, text

from models import (AuditEvent, Case, CaseMember, CaseStay, Evaluation, EvidenceItem, FigureCount,
                    Finding, RegisterEntry, Response, StayTally, Task, migrate)
from models.case import case_suspects
from models.database import Database
from tests.bench.log_fill import store
from workflow import accounts, audit, case_figures, transparency
from workflow.audit import Actor, event_row
from workflow.audit_chain import GENESIS
from workflow.menu import LEVELS, TOOLS
from workflow.pathway import STAGES
from workflow.stays import day_of

PASSWORD = "benchmark password"
BATCH = 20_000
COUNTRIES = ("SY", "IQ", "UA", "GB", "MY", "RU")
#: The parties register: six states, each with two units that roll up to it.
STATES = ("Aland", "Borduria", "Carpathia", "Dorvania", "Elbonia", "Freedonia")


@contextlib.contextmanager
def scratch_database(kind: str, folder: str, postgres_url: str):
    """The URL of an empty, migrated database of `kind` (sqlite or postgresql), dropped after."""
    if kind == "sqlite":
        path = Path(folder) / f"bench-{os.getpid()}.db"
        database = Database(f"sqlite:///{path}")
        migrate.upgrade(database)
        database.dispose()
        try:
            yield f"sqlite:///{path}"
        finally:
            for leftover in Path(folder).glob(f"{path.name}*"):  # with its -wal and -shm files
                leftover.unlink()
        return
    admin = create_engine(make_url(postgres_url).set(drivername="postgresql+psycopg"),
                          isolation_level="AUTOCOMMIT")
    name = f"restraint_bench_{os.getpid()}"
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    database = Database(url)
    migrate.upgrade(database)
    database.dispose()
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def fill(db: Database, cases: int, filler_events: int = 0, ready: int = 0) -> list[int]:
    """`cases` synthetic cases (see the module's docstring), `filler_events` more notes, and
    `ready` cases in reported that investigator `iris` leads, with an initial report: the
    gate to investigation is open for them. Returns the ids of those."""
    rng = random.Random(7)
    accounts.password_hash_method = "scrypt:1024:8:1"  # set-up only; sign-in is not measured
    with db.transaction() as session:
        sue = accounts.create_user(session, audit.SYSTEM, "sue", PASSWORD, ["supervisor"])
        ivy = accounts.create_user(session, audit.SYSTEM, "ivy", PASSWORD, ["investigator"])
        iris = accounts.create_user(session, audit.SYSTEM, "iris", PASSWORD, ["investigator"])
        actor, ivy_id, iris_id = Actor.of(sue), ivy.id, iris.id
    start = datetime(2019, 1, 1)
    rows, moves, stays, tally = [], [], [], Counter()
    for n in range(1, cases + ready + 1):
        state = rng.choice(STAGES) if n <= cases else "reported"
        opened = start + timedelta(days=rng.randrange(0, 1500), seconds=rng.randrange(86400))
        rows.append(dict(id=n, reference=f"CW-2020-{n:06d}", title=f"Synthetic case {n}",
                         country=rng.choice(COUNTRIES), place="x", occurred_on=opened.date(),
                         occurred_precision="day", suspected_agent="chlorine", delivery_means="",
                         summary="", state=state, outcome="evaluated" if state == "closed" else None,
                         version=1, closed_at=opened + timedelta(days=400) if state == "closed" else None,
                         opened_at=opened, history_imported=False))
        at = opened
        path = STAGES[:STAGES.index(state) + 1]
        for number, stage in enumerate(path):
            moves.append((n, stage, at))
            left = at + timedelta(days=rng.randrange(5, 120), seconds=rng.randrange(86400))
            ended = number < len(path) - 1
            days = (left - at).total_seconds() / 86400 if ended else None
            stays.append(dict(case_id=n, stage=stage, entered_at=at, left_at=left if ended else None,
                              days=days))
            if ended:
                tally[(stage, day_of(days))] += 1
            at = left
    with db.transaction() as session:
        for i in range(0, len(rows), BATCH):
            session.execute(insert(Case), rows[i:i + BATCH])
        for i in range(0, len(stays), BATCH):
            session.execute(insert(CaseStay), stays[i:i + BATCH])
        session.execute(insert(StayTally), [dict(stage=stage, day=day, stays=count)
                                            for (stage, day), count in tally.items()])
        counted = Counter(("stage", row["state"]) for row in rows)
        session.execute(insert(CaseMember), [dict(case_id=n, user_id=ivy_id, case_role="investigator")
                                             for n in range(1, min(cases, 30) + 1)])
        ready_ids = list(range(cases + 1, cases + ready + 1))
        if ready_ids:
            session.execute(insert(CaseMember), [dict(case_id=n, user_id=iris_id, case_role="lead_investigator")
                                                 for n in ready_ids])
            session.execute(insert(EvidenceItem), [dict(case_id=n, kind="document", title="Initial report",
                                                        stage_added="reported", added_by_id=iris_id)
                                                   for n in ready_ids])
        responses = [dict(case_id=n, level=rng.choice(LEVELS), tool=rng.choice(TOOLS), actor="a",
                          description="d", legally_binding=rng.random() < .5,
                          status=(status := rng.choice(("proposed", "adopted", "blocked"))),
                          decided_on=date(2014, 1, 1) + timedelta(days=n % 3_000) if status == "adopted" else None,
                          created_by_id=actor.id)
                     for n in range(1, cases + 1) for _ in range(2)]
        for i in range(0, len(responses), BATCH):
            session.execute(insert(Response), responses[i:i + BATCH])
        counted.update(("menu", f"{r['level']}/{r['tool']}/{r['status']}") for r in responses)
        session.execute(insert(FigureCount), [dict(figure=figure, key=key, count=count)
                                              for (figure, key), count in counted.items()])
        tasks = [dict(case_id=n, stage="investigation", title="t", role="investigator", required=True,
                      status="open") for n in range(1, cases + 1) for _ in range(3)]
        for i in range(0, len(tasks), BATCH):
            session.execute(insert(Task), tasks[i:i + BATCH])
        _attributions_and_evaluations(session, rng, rows[:cases], actor.id)
        case_figures.rebuild(session)
    _chain(db, rng, actor, moves, filler_events, cases)
    return ready_ids


def _attributions_and_evaluations(session, rng, rows: list[dict], author_id: int) -> None:
    """The parties register, a suspected perpetrator of every case (one of its entries), an
    attribution of every case past attribution to one of them, and an evaluation of every case
    past evaluation."""
    parties = []
    for number, state in enumerate(STATES):
        state_id = 10 * (number + 1)
        parties.append((state_id, state))
        parties += [(state_id + unit, f"{state} unit {unit}") for unit in (1, 2)]
    session.execute(insert(RegisterEntry), [
        dict(id=entry_id, register="party", kind="state" if entry_id % 10 == 0 else "state_organ",
             name=name, status="accepted", parent_id=None if entry_id % 10 == 0 else entry_id // 10 * 10)
        for entry_id, name in parties])
    for i in range(0, len(rows), BATCH):
        session.execute(insert(case_suspects), [dict(case_id=row["id"], entry_id=rng.choice(parties)[0])
                                                for row in rows[i:i + BATCH]])
    attributed = [row for row in rows if STAGES.index(row["state"]) > STAGES.index("attribution")]
    findings = []
    for row in attributed:
        party_id, name = rng.choice(parties)
        findings.append(dict(case_id=row["id"], kind="attribution", conclusion="attributed",
                             responsible_party=name, party_type="state", party_id=party_id,
                             standard_of_proof="reasonable_grounds", rationale="r",
                             author_id=author_id))
    for i in range(0, len(findings), BATCH):
        session.execute(insert(Finding), findings[i:i + BATCH])
    ratings = ("strengthened", "unchanged", "weakened")
    evaluations = [dict(case_id=row["id"], taboo=rng.choice(ratings), taboo_rationale="r",
                        norms=rng.choice(ratings), norms_rationale="r", lack_of_benefit=rng.choice(ratings),
                        lack_of_benefit_rationale="r", deterrence=rng.choice(ratings),
                        deterrence_rationale="r", repeat_use=rng.choice(("yes", "no", "unknown")),
                        recommendation="close", author_id=author_id)
                   for row in rows if STAGES.index(row["state"]) >= STAGES.index("evaluation")]
    for i in range(0, len(evaluations), BATCH):
        session.execute(insert(Evaluation), evaluations[i:i + BATCH])


def _chain(db: Database, rng, actor: Actor, moves: list, filler: int, cases: int) -> None:
    """The moves (and filler notes) as chained audit events with their tree rows."""
    with db.sessions() as session:
        head = session.execute(AuditEvent.__table__.select().order_by(AuditEvent.seq.desc()).limit(1)).first()
        seq, prev_hash = (head.seq + 1, head.hash) if head else (1, GENESIS)
        frontier = transparency.frontier(session, seq - 1)
    batch = []
    stream = [("move", m) for m in moves] + [("note", None)] * filler
    for kind, move in stream:
        if kind == "move":
            case_id, stage, at = move
            row = event_row(seq, prev_hash, "case_opened" if stage == "reported" else "gate_approved",
                            actor, case_id=case_id, to_state=stage, at=at)
        else:
            row = event_row(seq, prev_hash, "note", actor, case_id=rng.randrange(1, cases + 1),
                            details={"n": seq}, at=datetime(2019, 1, 1))
        batch.append(row)
        seq, prev_hash = seq + 1, row["hash"]
        if len(batch) == BATCH:
            store(db, batch, frontier)
            batch = []
    if batch:
        store(db, batch, frontier)
    if db.is_postgresql:
        with db.engine.connect() as connection:
            connection.execute(text("ANALYZE"))
            connection.commit()
