"""Benchmark: the dashboard, the case list and the case page at 1,000 to 100,000 cases, on
SQLite and PostgreSQL, one client in-process; and the import rate of a 10,000-row CSV.

    .venv/bin/python tests/bench/dashboard.py [--cases 1000 10000 100000]
        [--databases sqlite postgresql] [--database-url postgresql+psycopg://root@127.0.0.1:5432/test]

The data is synthetic and written in bulk (tests/bench/scale_data.py; the timings are of
reading it). Each database and size is filled in a process of its own and measured in
another. Prints the median of --runs requests per page and size, and the ratio of the
largest size to the smallest (the targets: within 1.5×; the dashboard under 50 ms at 100,000;
with the parties register and the attributions, the insight page under 300 ms at 100,000).
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[0] = str(ROOT)  # the project's packages, in place of this folder

from sqlalchemy import select  # noqa: E402

from app import create_app  # noqa: E402
from models.case import Case  # noqa: E402
from models.figures import CaseFigures  # noqa: E402
from tests.bench.scale_data import PASSWORD, fill, scratch_database  # noqa: E402
from tests.webclient import post  # noqa: E402
from workflow import accounts, audit, consistency, importer  # noqa: E402
from workflow.audit import Actor  # noqa: E402

#: What is measured: (label, user, URL); {middle} is a case in the middle of the list, {compared}
#: the middle one of those the consistency check compares with others (attributed, past attribution).
PAGES = (
    ("dashboard", "sue", "/"),
    ("dashboard, Syria", "sue", "/?country=Syria"),
    ("dashboard, team of 30", "ivy", "/"),
    ("insight", "sue", "/insight"),
    ("insight, team of 30", "ivy", "/insight"),
    ("case list", "sue", "/cases"),
    ("case list by title, deep", "sue", "/cases?sort=title&dir=asc&after={middle}"),
    ("case list, Iraq 2020", "sue", "/cases?country=Iraq&year=2020"),
    ("case page", "sue", "/cases/{middle}"),
    ("case page, compared", "sue", "/cases/{compared}"),
    ("task queue", "ivy", "/tasks"),
)


def median_ms(client, url: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(times)


def bench_app(url: str):
    return create_app({"ENV": "test", "DATABASE_URL": url,
                       "EVIDENCE_DIR": tempfile.mkdtemp(prefix="bench-evidence-")})


def fill_database(url: str, cases: int) -> None:
    db = bench_app(url).extensions["database"]
    started = time.perf_counter()
    fill(db, cases)
    print(f"  filled {cases:,} cases in {time.perf_counter() - started:.0f} s", flush=True)
    db.dispose()


def measure(url: str, cases: int, runs: int) -> dict[str, float]:
    app = bench_app(url)
    db = app.extensions["database"]
    with db.sessions() as session:
        compared = session.scalars(
            select(CaseFigures.case_id).join(Case, Case.id == CaseFigures.case_id)
            .where(CaseFigures.party_id.is_not(None), Case.state.in_(consistency.COMPARED_FROM))
            .order_by(CaseFigures.case_id)).all()
    timings = {}
    for username in ("sue", "ivy"):
        client = app.test_client()
        assert post(client, "/login", {"username": username, "password": PASSWORD}).status_code == 302
        for label, user, page in PAGES:
            if user == username:
                timings[label] = median_ms(client, page.format(middle=cases // 2, compared=compared[len(compared) // 2]), runs)
    db.dispose()
    return timings


def import_rate(url: str, rows: int) -> float:
    db = bench_app(url).extensions["database"]
    with db.transaction() as session:
        ivy = Actor.of(accounts.create_user(session, audit.SYSTEM, "importer", PASSWORD, ["investigator"]))
    lines = ["source_id,title,occurred_on,country,place,suspected_agent,summary"]
    lines += [f"bench-{n},Imported incident {n},2016-05-{n % 28 + 1:02d},Syria,Place {n},chlorine,Report {n}"
              for n in range(rows)]
    started = time.perf_counter()
    plan = importer.read_csv(("\n".join(lines) + "\n").encode())
    with db.transaction() as session:
        assert importer.import_rows(session, plan.rows, ivy) == rows
    rate = rows / (time.perf_counter() - started)
    db.dispose()
    return rate


def table(results: dict, sizes: list[int]) -> None:
    for kind, by_size in results.items():
        print(f"\n{kind}: median ms of the runs (one client, in-process)")
        print(f"| page | {' | '.join(f'{n:,} cases' for n in sizes)} | {sizes[-1]:,} / {sizes[0]:,} |")
        print(f"|---|{'---|' * len(sizes)}---|")
        for label, _, _ in PAGES:
            values = [by_size[n][label] for n in sizes]
            print(f"| {label} | {' | '.join(f'{v:.1f}' for v in values)} | {values[-1] / values[0]:.2f}× |")


def in_own_process(kind: str, cases: int, args) -> dict[str, float]:
    """One database and size filled in a process of its own, and measured in another: what was
    left in memory (the objects of 100,000 cases written, the caches of another app) would
    otherwise slow every garbage collection while the pages are timed."""
    done = subprocess.run([sys.executable, __file__, "--one", kind, str(cases), "--runs", str(args.runs),
                           "--database-url", args.database_url],
                          capture_output=True, text=True, check=True)
    *said, timings = done.stdout.strip().splitlines()
    print("\n".join(said), flush=True)
    return json.loads(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--database-url", default="postgresql+psycopg://root@127.0.0.1:5432/test")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--import-rows", type=int, default=10_000)
    parser.add_argument("--one", nargs=2, metavar=("DATABASE", "CASES"),
                        help="fill and measure one database and size, and print the timings as JSON")
    parser.add_argument("--measure", nargs=2, metavar=("URL", "CASES"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        kind, cases = args.one[0], int(args.one[1])
        with tempfile.TemporaryDirectory() as folder, \
                scratch_database(kind, folder, args.database_url) as url:
            fill_database(url, cases)
            # Measured by a process of its own, as a server's worker would serve the pages:
            # the objects left by writing 100,000 cases would slow every garbage collection here.
            done = subprocess.run([sys.executable, __file__, "--measure", url, str(cases),
                                   "--runs", str(args.runs)], capture_output=True, text=True, check=True)
            print(done.stdout.strip())
        return
    if args.measure:
        print(json.dumps(measure(args.measure[0], int(args.measure[1]), args.runs)))
        return
    results = {}
    for kind in args.databases:
        results[kind] = {}
        for cases in args.cases:
            print(f"{kind}, {cases:,} cases", flush=True)
            results[kind][cases] = in_own_process(kind, cases, args)
    table(results, args.cases)
    with tempfile.TemporaryDirectory() as folder:
        if args.import_rows:
            with scratch_database("sqlite", folder, args.database_url) as url:
                rate = import_rate(url, args.import_rows)
            print(f"\nimport: {rate:,.0f} rows/s for {args.import_rows:,} rows on SQLite (target >= 1,000 rows/s)")


if __name__ == "__main__":
    main()
