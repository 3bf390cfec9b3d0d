"""Importing incidents: the real Syrian Archive list, the project's CSV, and every bad input."""
from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest
from sqlalchemy import func, select

from config import PROJECT_ROOT
from models import AuditEvent, Case, EvidenceItem, ResponseBlock

SHARED = Path(os.environ.get("SHARED_DATA", PROJECT_ROOT.parent / "shared" / "data"))
SYRIAN_ARCHIVE = SHARED / "syrian-archive-incidents.json"
HEADER = "source_id,title,occurred_on,country,place,latitude,longitude,suspected_agent,deaths,summary\n"


@pytest.fixture
def archive():
    if not SYRIAN_ARCHIVE.exists():
        message = f"the Syrian Archive file is not at {SYRIAN_ARCHIVE}"
        if os.environ.get("REQUIRE_SHARED_DATA") == "1":
            pytest.fail(f"REQUIRE_SHARED_DATA=1 but {message}")
        pytest.skip(message)
    return SYRIAN_ARCHIVE


@pytest.fixture
def importing(runner, make_user):
    make_user("investigator", "investigator")

    def run(path, *options):
        return runner.invoke(args=["incidents", "import", str(path), *options])
    return run


def count(db, model) -> int:
    with db.sessions() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_the_real_syrian_archive_file_is_imported_without_losing_a_record(archive, importing, db):
    records = json.loads(archive.read_text(encoding="utf-8"))
    result = importing(archive, "--format", "syrian-archive")
    assert result.exit_code == 0, result.output
    summary = result.output.strip().splitlines()[-1]
    imported, rejected = (int(part.split()[-1]) for part in
                          (summary.split(",")[0], summary.split(",")[2].split("(")[0]))
    assert summary.startswith(f"read {len(records)}: ")
    assert imported + rejected == len(records) == 209
    assert count(db, Case) == imported and count(db, EvidenceItem) == imported
    again = importing(archive, "--format", "syrian-archive")
    assert f"imported 0, already imported {imported}" in again.output
    assert count(db, Case) == imported
    arabic = next(r for r in records if r["summary_ar"] and r["incident_date"])
    with db.sessions() as session:
        case = session.scalar(select(Case).where(Case.source_id == f"syrian-archive:{arabic['incident_code']}"))
        assert arabic["summary_ar"].encode() in case.summary.encode()
        assert case.occurred_on.isoformat() == arabic["incident_date"] and case.state == "reported"
        opened = session.scalar(select(AuditEvent).where(AuditEvent.event_type == "case_opened",
                                                         AuditEvent.case_id == case.id))
        assert opened.actor_username == "investigator" and f'"source_id":"syrian-archive:{arabic["incident_code"]}"' in opened.payload


def write(tmp_path, content: bytes | str, name: str = "in.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


GOOD = "a-1,Chlorine in Saraqib,2018-02-04,Syria,Saraqib,35.86,36.80,chlorine,0,\"كلور، ١١ مصاباً\"\n"


@pytest.mark.parametrize("content, message", [
    ("", "the file is empty"),
    ("id,name\nx,y\n", "wrong header: missing source_id, title; unknown id, name"),
    (HEADER + GOOD + "a-2,Bad date,2018-02-30,Syria,Idlib,,,chlorine,,\n", "line 3 a-2: date: '2018-02-30' is not a date"),
    (HEADER + GOOD + "a-3,Bad place,2018-02-04,Syria,Idlib,95,36,chlorine,,\n", "line 3 a-3: latitude: must be between -90 and 90"),
    (HEADER + GOOD + GOOD, "line 3 a-1: duplicate source id (also line 2)"),
    (HEADER.encode() + b"a-4,\xff\xfe broken,2018-02-04,Syria,x,,,chlorine,,\n", "not UTF-8 text"),
])
def test_malformed_inputs_get_a_clear_message_and_import_nothing(importing, db, tmp_path, content, message):
    result = importing(write(tmp_path, content))
    assert result.exit_code == 1
    assert message in result.output
    assert count(db, Case) == 0


def test_a_50_mb_file_is_refused(importing, db, tmp_path):
    path = tmp_path / "big.csv"
    with path.open("w") as out:
        out.write(HEADER)
        line = "x,{},2018-02-04,Syria,Idlib,,,chlorine,,{}\n"
        for n in range(50 * 1024 * 1024 // 200 + 1):
            out.write(line.format(n, "y" * 160))
    result = importing(path)
    assert result.exit_code == 1 and "imports take up to 20 MB: split it" in result.output
    assert count(db, Case) == 0


def test_skip_invalid_imports_the_good_rows_and_writes_the_rejects(importing, db, tmp_path):
    path = write(tmp_path, HEADER + GOOD + "a-2,Bad date,2018-13-01,Syria,Idlib,,,chlorine,,\n"
                 + "a-5,Sarin on a town,2017-04-04,Syria,Khan Shaykhun,,,sarin,89,\n")
    result = importing(path, "--skip-invalid")
    assert result.exit_code == 0
    assert "read 3: imported 2, already imported 0, rejected 1" in result.output
    with open(f"{path}.rejects.csv", encoding="utf-8") as rejects:
        rows = list(csv.reader(rejects))
    assert rows[1][:2] == ["line 3", "a-2"] and "is not a date" in rows[1][2]
    with db.sessions() as session:
        saraqib = session.scalar(select(Case).where(Case.source_id == "a-1"))
    assert saraqib.summary == "كلور، ١١ مصاباً" and str(saraqib.latitude) == "35.860000"


def test_import_needs_an_active_user_who_may_open_cases(importing, make_user, tmp_path, db):
    make_user("ana", "analyst")
    path = write(tmp_path, HEADER + GOOD)
    assert "--as nobody: no such active user" in importing(path, "--as", "nobody").output
    result = importing(path, "--as", "ana")
    assert result.exit_code == 1 and "Opening a case needs the investigator or supervisor role" in result.output
    assert count(db, Case) == 0


def test_public_incidents_import_with_their_history(importing, runner, db, client, auth):
    path = PROJECT_ROOT / "data" / "public_incidents.csv"
    assert runner.invoke(args=["registers", "seed"]).exit_code == 0
    result = importing(path)
    assert result.exit_code == 0 and "imported 28, already imported 0, rejected 0" in result.output, result.output
    with db.sessions() as session:
        loaded = session.scalars(select(Case)).all()
        years = {c.occurred_on.year for c in loaded}
        assert len(loaded) >= 25 and min(years) == 2012 and max(years) == 2024
        assert all(c.history_imported for c in loaded if c.state != "reported")
        closed = [c for c in loaded if c.state == "closed"]
        assert closed and all(c.outcome == "unattributed" and c.closed_at for c in closed)
        ghouta = session.scalar(select(Case).where(Case.source_id == "public:2013-ghouta"))
        moved = session.scalar(select(AuditEvent).where(AuditEvent.case_id == ghouta.id,
                                                        AuditEvent.event_type == "history_imported"))
        assert (moved.from_state, moved.to_state) == ("reported", "evaluation")
        assert '"imported_history":true' in moved.payload
    assert "imported 0, already imported 28" in importing(path).output
    auth.login("investigator")
    page = client.get(f"/cases/{ghouta.id}").get_data(as_text=True)
    assert 'data-testid="imported-history"' in page and "Security Council" in page
    with db.sessions() as session:  # the record says who vetoed, and where
        shaykhun = session.scalar(select(Case).where(Case.source_id == "public:2017-khan-shaykhun"))
        blocks = session.scalars(select(ResponseBlock).where(ResponseBlock.case_id == shaykhun.id)).all()
        assert sorted((b.blocked_by.name, b.forum.name) for b in blocks) == [
            ("Russian Federation", "UN Security Council")] * 2


def test_history_columns_are_checked(importing, db, tmp_path):
    header = "source_id,title,stage,outcome,responses\n"
    for row, message in (("h-1,Closed without outcome,closed,,", "outcome: a closed history needs its outcome"),
                         ("h-2,Bad stage,archived,,", "stage: choose"),
                         ("h-3,Bad response,legal_consequence,,national|legal|x|y|2020", "is not level|tool"),
                         ("h-4,Bad tool,legal_consequence,,national|magic|x|y|2020|adopted", "responses: choose"),
                         ("h-5,Blocked adoption,legal_consequence,,national|legal|x|y|2020|adopted|Russia|UN Security Council",
                          "names who blocked a response that is adopted")):
        result = importing(write(tmp_path, header + row + "\n"))
        assert result.exit_code == 1 and message in result.output, row
    assert count(db, Case) == 0
