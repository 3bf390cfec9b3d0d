"""Benchmark: produce the dossier of a large case and of the demonstration's closed case.

    .venv/bin/python tests/bench/dossier.py --items 500 --events 5000

Builds a fresh SQLite database with the demonstration cases and one case holding ITEMS evidence
items (one in ten withdrawn) and about EVENTS audit events (custody records fill the rest), then
runs `flask cases dossier` on each in a process of its own and verifies the result offline;
prints wall and CPU time, peak RSS, pages and size of each, beside the figures measured before
the dossier was made lean (the machine is shared: CPU time varies less than wall time).
"""
from __future__ import annotations

import argparse
import io
import os
import resource
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[0] = str(ROOT)  # the project's packages, in place of this folder

from tests.bench.audit_verify import timed  # noqa: E402

#: Measured on the development machine with every audit event a table row, custody records a
#: table per item and the tables laid out automatically (commit fc53f7d): the large case took
#: minutes and gigabytes, beyond what a web request holds.
BEFORE = {"demonstration closed case": "12 pages; 4.7 s, peak RSS 145 MB",
          "case of 500 items, 5000 events": "453 pages; 248.6 s (291 s on a busier run), peak RSS 1678 MB"}


def cpu_seconds() -> float:
    """CPU time of this process's waited-for children so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def fill(url: str, items: int, events: int) -> int:
    """The demonstration cases and a large case; the large case's id."""
    from app import create_app
    from models import migrate
    from workflow import accounts, cases, demo, evidence
    from workflow.audit import Actor
    from workflow.command import ANY_VERSION
    app = create_app({"ENV": "development", "DATABASE_URL": url, "SECRET_KEY": "b" * 32})
    db = app.extensions["database"]
    migrate.upgrade(db)
    with db.transaction() as session:
        accounts.create_demo_accounts(session)
    with db.sessions() as session:
        from models.user import User
        people = {u.username: Actor.of(u) for u in session.query(User).all()}
    demo.load_story(db, people)
    ivy, sue = people["investigator"], people["supervisor"]
    with db.transaction() as session:
        case_id = cases.open_case(session, ivy, title="Large case مدينة", country="Syria", place="Idlib",
                                  summary="A benchmark case. " * 50).id
    with db.transaction() as session:
        cases.set_member(session, sue, case_id, expected_version=ANY_VERSION, user_id=ivy.id,
                         case_role="lead_investigator")
    per_item = max(0, (events - items) // items)
    start = datetime(2020, 1, 1)
    for first in range(0, items, 50):
        with db.transaction() as session:
            for n in range(first, min(items, first + 50)):
                item = evidence.add_evidence(session, ivy, case_id, expected_version=ANY_VERSION,
                                             kind="witness_interview",
                                             title=f"Interview {n}", source="field team",
                                             description="Statement of a witness. " * 5)
                for step in range(per_item):
                    holder, following = f"holder {step}", f"holder {step + 1}"
                    evidence.add_custody_event(
                        session, ivy, case_id, expected_version=ANY_VERSION, evidence_id=item.id,
                        action="collected" if step == 0 else "transferred",
                        at=start + timedelta(minutes=n * 100 + step), seal_id=f"S-{n}-{step}",
                        from_holder="" if step == 0 else holder, to_holder=following)
                if n % 10 == 9:
                    evidence.withdraw_evidence(session, ivy, case_id, expected_version=ANY_VERSION,
                                               evidence_id=item.id, reason="Duplicate.")
    app.extensions["database"].dispose()
    return case_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=500)
    parser.add_argument("--events", type=int, default=5000)
    args = parser.parse_args()
    import pypdf
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        keys = Path(tmp) / "keys"
        env = dict(os.environ, DATABASE_URL=url, RESTRAINT_ENV="development", SECRET_KEY="b" * 32)
        flask = [sys.executable, "-m", "flask", "--app", "app"]
        subprocess.run([*flask, "audit", "keygen", "--out", str(keys)], check=True, env=env, cwd=ROOT,
                       capture_output=True)
        env["AUDIT_SIGNING_KEY"] = str(keys / "audit-signing.pem")
        os.environ.update(AUDIT_SIGNING_KEY=env["AUDIT_SIGNING_KEY"])
        large = fill(url, args.items, args.events)
        cases = {"demonstration closed case": 4, f"case of {args.items} items, {args.events} events": large}
        for label, case_id in cases.items():
            out = Path(tmp) / f"case{case_id}.pdf"
            cpu = cpu_seconds()
            seconds, rss, _ = timed([*flask, "cases", "dossier", str(case_id), "--output", str(out)], env)
            cpu = cpu_seconds() - cpu
            reader = pypdf.PdfReader(io.BytesIO(out.read_bytes()))
            events = reader.attachments["audit-export.jsonl"][0].count(b'{"seq"')
            verify_s, verify_rss, line = timed([sys.executable, "-m", "workflow.dossier_verify", str(out),
                                                "--public-key", str(keys / "audit-signing.pub.pem")], env)
            print(f"{label}: {events} events, {len(reader.pages)} pages, {out.stat().st_size / 1e6:.1f} MB; "
                  f"produced in {seconds:.1f} s ({cpu:.1f} s CPU), peak RSS {rss} MB; verified in "
                  f"{verify_s:.1f} s, peak RSS {verify_rss} MB ({line[:2]})")
            if label in BEFORE:
                print(f"  before: {BEFORE[label]}")


if __name__ == "__main__":
    main()
