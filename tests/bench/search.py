"""Benchmark: search latency over 100,000 cases with evidence and findings, on SQLite and
PostgreSQL, and what keeping the index costs the gate commands.

    .venv/bin/python tests/bench/search.py [--cases 100000] [--postgresql URL] [--gate-cases 500]

The records are synthetic, written in bulk, then indexed by `search.rebuild` (the same entries
the writing transactions make). Their words are drawn from a vocabulary of 6,000 English and
Arabic words with Zipf's law, as in real text: a few words are in nearly every case, most in a
few. A one-word query's word is drawn uniformly from the vocabulary, so most are of middling or rare
frequency, as a person names what they look for; a three-word query takes three words of one
record, as a person remembers them; the 20 most common words are measured apart.
Each query is run as a supervisor (every case) and as an investigator on the team of 50 cases,
through `search.find`, which builds the page of results with its snippets. With --postgresql
(a server where a database may be created and dropped), PostgreSQL too.

Then gate commands (request + approve, tests/bench/gate_commands.py) run on a fresh SQLite file
with the index's mapper events installed and with them removed, alternately: the gate commands
change no searched text, so the two rates should be the same.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[0] = str(ROOT)  # the project's packages, in place of this folder

from sqlalchemy import create_engine, event, func, insert, make_url, select, text  # noqa: E402

from models import Case, CaseMember, EvidenceItem, Finding, SearchEntry, migrate  # noqa: E402
from models.database import Database  # noqa: E402
from tests.bench import gate_commands  # noqa: E402
from workflow import accounts, audit, search  # noqa: E402
from workflow.audit import Actor  # noqa: E402

PASSWORD = "benchmark password"
BATCH = 10_000
VOCABULARY = 6_000
#: Words of the domain, so that the snippets read like records (the rest are made up).
SEED_WORDS = ("chlorine sarin cylinder hospital barrel helicopter rocket witness sample soil "
              "pupils symptoms shelter roof smell yellow cloud victims doctors ambulance "
              "كلور سارين اسطوانة مستشفى برميل مروحية صاروخ شاهد عينة تربة أعراض ملجأ سطح "
              "رائحة سحابة ضحايا أطباء إسعاف").split()


def vocabulary(rng: random.Random) -> list[str]:
    letters, arabic = "abcdefghijklmnopqrstuvwxyz", "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"
    words = list(SEED_WORDS)
    while len(words) < VOCABULARY:
        alphabet = arabic if len(words) % 3 == 0 else letters
        words.append("".join(rng.choice(alphabet) for _ in range(rng.randint(4, 9))))
    rng.shuffle(words)
    return words


class Writer:
    """Sentences of words drawn by Zipf's law (weight 1/rank)."""

    def __init__(self, rng: random.Random, words: list[str]):
        self.rng, self.words = rng, words
        self.weights = [1 / rank for rank in range(1, len(words) + 1)]

    def text(self, count: int) -> str:
        return " ".join(self.rng.choices(self.words, self.weights, k=count)).capitalize() + "."


def fill(db: Database, cases: int, rng: random.Random, writer: Writer,
         samples: list[str]) -> tuple[Actor, Actor]:
    """Cases, one or two evidence items each, a finding each; an investigator on 50 cases.
    Every 97th evidence description is kept in `samples`."""
    with db.transaction() as session:
        sue = Actor.of(accounts.create_user(session, audit.SYSTEM, "sue", PASSWORD, ["supervisor"]))
        ivy = Actor.of(accounts.create_user(session, audit.SYSTEM, "ivy", PASSWORD, ["investigator"]))
    opened = datetime(2019, 1, 1)
    for start in range(1, cases + 1, BATCH):
        numbers = range(start, min(start + BATCH, cases + 1))
        rows, items, findings = [], [], []
        for n in numbers:
            rows.append(dict(id=n, reference=f"CW-2020-{n:06d}", title=writer.text(6),
                             country=rng.choice(("SY", "IQ", "UA", "GB")),
                             place=writer.text(2), occurred_on=date(2013, 1, 1) + timedelta(days=n % 3000),
                             occurred_precision="day", suspected_agent="chlorine", delivery_means="",
                             summary=writer.text(30), state="investigation", version=1,
                             opened_at=opened, history_imported=False))
            for _ in range(rng.choice((1, 2))):
                items.append(dict(case_id=n, kind="document", title=writer.text(5),
                                  description=writer.text(40), source=writer.text(3),
                                  stage_added="reported", added_by_id=ivy.id))
                if len(items) % 97 == 0:
                    samples.append(items[-1]["description"])
            findings.append(dict(case_id=n, kind="use_determination", conclusion="confirmed",
                                 agent="chlorine", rationale=writer.text(30), author_id=ivy.id))
        with db.transaction() as session:
            session.execute(insert(Case), rows)
            session.execute(insert(EvidenceItem), items)
            session.execute(insert(Finding), findings)
    with db.transaction() as session:
        session.execute(insert(CaseMember), [dict(case_id=n, user_id=ivy.id, case_role="investigator")
                                             for n in rng.sample(range(1, cases + 1), 50)])
    return sue, ivy


def index(db: Database) -> tuple[float, int]:
    started = time.perf_counter()
    with db.transaction() as session:
        count = search.rebuild(session.connection())
    return time.perf_counter() - started, count


def timings(db: Database, actor, queries: list[str]) -> tuple[float, float, float]:
    """Median and 95th percentile in ms, and the mean number of matching cases."""
    times, found = [], []
    with db.sessions() as session:
        search.find(session, actor, search.Filters(text=queries[0]))  # warm the caches once
    for query in queries:
        with db.sessions() as session:
            started = time.perf_counter()
            results = search.find(session, actor, search.Filters(text=query))
            times.append((time.perf_counter() - started) * 1000)
            found.append(results.total)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], statistics.mean(found)


def measure(name: str, db: Database, cases: int, queries: int, seed: int) -> None:
    rng = random.Random(seed)
    words = vocabulary(rng)
    writer = Writer(rng, words)
    started = time.perf_counter()
    samples: list[str] = []
    sue, ivy = fill(db, cases, rng, writer, samples)
    filled = time.perf_counter() - started
    seconds, entries = index(db)
    if db.is_postgresql:
        with db.engine.connect() as connection:
            connection.execute(text("ANALYZE"))
            connection.commit()
    print(f"{name}: {cases:,} cases written in {filled:.0f} s; {entries:,} index entries built "
          f"in {seconds:.0f} s")
    pick = random.Random(seed + 1)
    common = words[:20]
    sets = {
        # A word a person names: any of the vocabulary, as likely rare as common.
        "one word": [pick.choice(words) for _ in range(queries)],
        # Three words a person remembers of one record: found together at least there.
        "three words": [" ".join(pick.sample(search.words(pick.choice(samples)), 3))
                        for _ in range(queries)],
        "one common word": [pick.choice(common) for _ in range(queries // 4)],
        "three common words": [" ".join(pick.sample(common, 3)) for _ in range(queries // 4)],
    }
    for label, chosen in sets.items():
        for who, actor in (("supervisor", sue), ("investigator on 50 cases", ivy)):
            median, p95, found = timings(db, actor, chosen)
            print(f"  {label:<19} as {who:<25} median {median:6.1f} ms  p95 {p95:6.1f} ms  "
                  f"({found:,.0f} matching cases on average, {len(chosen)} queries)")
    with db.sessions() as session:
        size = session.scalar(select(func.count()).select_from(SearchEntry))
    assert size == entries


def gate_overhead(cases: int, rounds: int) -> None:
    """Gate-command rates with the index's mapper events installed and removed, alternately."""
    rates: dict[bool, list[float]] = {True: [], False: []}
    for round_ in range(rounds):
        for installed in ((True, False) if round_ % 2 == 0 else (False, True)):
            for model, name, listener in search.LISTENERS:
                if installed and not event.contains(model, name, listener):
                    event.listen(model, name, listener)
                elif not installed and event.contains(model, name, listener):
                    event.remove(model, name, listener)
            with tempfile.TemporaryDirectory() as tmp:
                database = Database(f"sqlite:///{Path(tmp) / 'gates.db'}")
                migrate.upgrade(database)
                case_ids, investigator, supervisor = gate_commands.prepare(database, cases)
                rate, _cpu, _requests, _approvals = gate_commands.service_rate(database, case_ids,
                                                                         investigator, supervisor)
                database.dispose()
            rates[installed].append(rate)
    with_index, without = statistics.median(rates[True]), statistics.median(rates[False])
    print(f"gate commands: {with_index:,.0f} transitions/s with the index's events installed, "
          f"{without:,.0f} without (median of {rounds} runs of {cases} cases each); change "
          f"{100 * (with_index / without - 1):+.1f}% (allowed: -10%)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--postgresql", help="a PostgreSQL server URL where a database may be created")
    parser.add_argument("--gate-cases", type=int, default=500)
    parser.add_argument("--gate-rounds", type=int, default=4)
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()
    accounts.password_hash_method = "scrypt:1024:8:1"  # set-up only; not measured
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'search.db'}")
        migrate.upgrade(db)
        measure("SQLite", db, args.cases, args.queries, args.seed)
        db.dispose()
    if args.postgresql:
        admin = create_engine(make_url(args.postgresql).set(drivername="postgresql+psycopg"),
                              isolation_level="AUTOCOMMIT")
        name = "restraint_bench_search"
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            db = Database(make_url(args.postgresql).set(database=name).render_as_string(hide_password=False))
            migrate.upgrade(db)
            measure("PostgreSQL", db, args.cases, args.queries, args.seed)
            db.dispose()
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    if args.gate_cases:
        gate_overhead(args.gate_cases, args.gate_rounds)


if __name__ == "__main__":
    main()
