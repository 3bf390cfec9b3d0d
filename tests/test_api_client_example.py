"""The README's client example, run as written against a live app: three incident records become
cases with their source files as evidence (hash declared), each with its first gate requested."""
from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys

from apiclient import make_token
from sqlalchemy import select

from config import PROJECT_ROOT
from models import Case, EvidenceItem, GateRequest

RECORDS = [
    {"incident_code": f"TST{n}", "incident_date": f"2013-0{n}-1{n}", "title_en": f"Attack {n}",
     "location": "دمشق : حرستا", "summary_en": "Test record.", "weapons_used.0": "Chlorine"}
    for n in range(1, 5)]


def readme_client() -> str:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## The JSON API"):]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_readme_client_imports_records_and_requests_their_first_gate(live_server, db, cast,
                                                                          tmp_path):
    records = tmp_path / "records.json"
    records.write_text(json.dumps(RECORDS, ensure_ascii=False), encoding="utf-8")
    env = {**os.environ, "RESTRAINT_URL": live_server, "RECORDS": str(records),
           "INVESTIGATOR_TOKEN": make_token(db, cast["ivy"]),
           "SUPERVISOR_TOKEN": make_token(db, cast["sue"])}
    run = subprocess.run([sys.executable, "-c", readme_client()], env=env, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert len(lines) == 3 and all(line.endswith(" 201 pending") for line in lines), lines
    with db.sessions() as session:
        opened = session.scalars(select(Case).order_by(Case.id)).all()
        assert [case.source_id for case in opened] == ["syrian-archive:TST1", "syrian-archive:TST2",
                                                       "syrian-archive:TST3"]
        for case, record in zip(opened, RECORDS):
            item = session.scalar(select(EvidenceItem).where(EvidenceItem.case_id == case.id))
            source = json.dumps(record, ensure_ascii=False, sort_keys=True).encode()
            assert item.sha256 == hashlib.sha256(source).hexdigest()
            request = session.scalar(select(GateRequest).where(GateRequest.case_id == case.id))
            assert (request.target, request.decision) == ("investigation", "pending")
