"""Importing a documented history: dated stage moves give the days per stage and the stalled
cases on the dashboard; names map to the registers (unknown ones refused, or proposed); a file
imported again lists its changes and applies them only with --update, as corrections."""
from __future__ import annotations

import csv
import io
import json
import os
from datetime import date
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select
from webclient import spreadsheet

from config import PROJECT_ROOT
from models import AuditEvent, Case, Finding, Response
from models.register import RegisterEntry
from workflow import registers

SHARED = Path(os.environ.get("SHARED_DATA", PROJECT_ROOT.parent / "shared" / "data"))
REFERENCE = SHARED / "incidents-reference.csv"
HEADER = ("source_id,title,occurred_on,stage,outcome,responsible_party,party_type,responses,"
          "investigation_on,attribution_on,legal_consequence_on,implementation_on,evaluation_on,"
          "closed_on\n")


@pytest.fixture
def importing(runner, make_user, tmp_path):
    make_user("investigator", "investigator")

    def run(content: str, *options, name: str = "incidents.csv"):
        path = tmp_path / name
        path.write_text(content, encoding="utf-8")
        return runner.invoke(args=["incidents", "import", str(path), *options])
    return run


@pytest.fixture
def seeded(runner):
    result = runner.invoke(args=["registers", "seed"])
    assert result.exit_code == 0, result.output


def dashboard_table(client, table: str) -> list[dict]:
    response = client.get(f"/dashboard/{table}.csv")
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(spreadsheet(response))))


DATED = HEADER + "\n".join((
    # Every stage dated: 10 days reported, 60 investigating, 30 attributing, 30 deciding,
    # 30 implementing; in evaluation since 2020-06-09.
    "d-1,Every stage dated,2020-01-01,evaluation,,,,,2020-01-11,2020-03-11,2020-04-10,2020-05-10,2020-06-09,",
    # 20 days reported, investigating since 2020-01-21.
    "d-2,Still investigated,2020-01-01,investigation,,,,,2020-01-21,,,,,",
    # A 2013 case in evaluation since 2014-06-23: 5 days reported, 21 investigating; the move
    # to legal consequence undated, so neither its stay nor the attribution's is counted; 269
    # days implementing.
    "d-3,Sitting in evaluation since 2014,2013-08-21,evaluation,,,,,2013-08-26,2013-09-16,,2013-09-27,2014-06-23,",
    # Closed from attribution: 18 days reported, 233 investigating, 615 attributing.
    "d-4,Closed unattributed,2014-04-11,closed,unattributed,,,,2014-04-29,2014-12-18,,,,2016-08-24",
    # Only its last stage dated: no stay counted, deciding since 2017-10-26.
    "d-5,Only the report dated,2016-09-16,legal_consequence,,,,,,,2017-10-26,,,",
)) + "\n"


@pytest.mark.both_databases
def test_a_dated_history_gives_the_documented_days_per_stage(importing, db, client, auth, make_user):
    result = importing(DATED)
    assert result.exit_code == 0 and "imported 5, already imported 0, rejected 0" in result.output, result.output
    make_user("sue", "supervisor")
    auth.login("sue")
    durations = {row["stage"]: row for row in dashboard_table(client, "durations")}
    # Hand-computed from the dates above: (stays, median, 90th percentile by nearest rank).
    expected = {"reported": ("4", "14.0", "20.0"),          # 10, 20, 5, 18
                "investigation": ("3", "60.0", "233.0"),    # 60, 21, 233
                "attribution": ("2", "322.5", "615.0"),     # 30, 615
                "legal_consequence": ("1", "30.0", "30.0"),
                "implementation": ("2", "149.5", "269.0")}  # 30, 269
    assert {stage: (row["stays"], row["median_days"], row["p90_days"])
            for stage, row in durations.items()} == expected
    stalled = dashboard_table(client, "stalled")
    today = date.today()
    assert [(row["title"], row["stage"], int(row["days_idle"])) for row in stalled] == [
        ("Sitting in evaluation since 2014", "evaluation", (today - date(2014, 6, 23)).days),
        ("Only the report dated", "legal_consequence", (today - date(2017, 10, 26)).days),
        ("Still investigated", "investigation", (today - date(2020, 1, 21)).days),
        ("Every stage dated", "evaluation", (today - date(2020, 6, 9)).days)]
    # The 2013 case shows its years idle on the dashboard itself.
    page = client.get("/").get_data(as_text=True)
    assert f"<td>{(today - date(2014, 6, 23)).days:,}</td>" in page
    funnel = {row["stage"]: int(row["cases"]) for row in dashboard_table(client, "funnel")}
    assert funnel["evaluation"] == 2 and funnel["closed"] == 1 and funnel["reported"] == 0
    # The case list dates the stage as the dashboard does: in evaluation since 2014, long overdue.
    with db.sessions() as session:
        case_id = session.scalar(select(Case.id).where(Case.source_id == "d-3"))
    row = BeautifulSoup(client.get("/cases?sort=date&dir=asc").get_data(as_text=True),
                        "html.parser").find("a", href=f"/cases/{case_id}").find_parent("tr")
    badge = row.select_one('[data-testid="stage-due"]')
    assert "overdue since 2014-" in badge.get_text() and "since 2014-06-23" in badge["title"]


@pytest.mark.parametrize("row, message", [
    ("b-1,Date past its stage,2020-01-01,investigation,,,,,2020-01-11,2020-02-01,,,,",
     "attribution_on: the history stops at investigation, so it has no date for attribution"),
    ("b-2,Dates out of order,2020-01-01,attribution,,,,,2020-03-01,2020-02-01,,,,",
     "attribution_on: 2020-02-01 is before investigation_on (2020-03-01)"),
    ("b-3,Moved before it happened,2020-01-01,investigation,,,,,2019-12-01,,,,,",
     "investigation_on: 2019-12-01 is before the incident (2020-01-01)"),
    ("b-4,Not a date,2020-01-01,investigation,,,,,soon,,,,,", "'soon' is not a date"),
])
def test_stage_dates_are_checked(importing, db, row, message):
    result = importing(HEADER + row + "\n")
    assert result.exit_code == 1 and message in result.output, result.output
    with db.sessions() as session:
        assert session.scalar(select(Case.id)) is None


NAMED = HEADER + "\n".join((
    "n-1,Known names,2018-04-07,legal_consequence,,Syrian Arab Air Force (Tiger Forces),state,"
    "national|military|United States + United Kingdom + France|Joint strikes|2018|implemented;"
    "national|economic|US Treasury OFAC|Designations|2018|adopted,,,2023-01-27,,,",
    "n-2,Unknown names,2019-05-19,legal_consequence,,Zeta Brigade,non_state_group,"
    "national|diplomatic|Ruritania|Protest|2019|adopted,,,,,,",
)) + "\n"


def test_unknown_names_are_refused_naming_the_row_and_the_name(importing, seeded, db):
    result = importing(NAMED)
    assert result.exit_code == 1
    assert ("line 3 n-2: responsible_party: “Zeta Brigade” is not in the register of parties; "
            "responses: “Ruritania” is not in the register of actors of responses") in result.output
    assert "line 2" not in result.output and "nothing imported" in result.output
    with db.sessions() as session:
        assert session.scalar(select(Case.id)) is None
        assert session.scalar(select(RegisterEntry.id).where(RegisterEntry.status == "proposed")) is None


def test_with_propose_new_unknown_names_become_proposed_entries(importing, seeded, db):
    result = importing(NAMED, "--propose-new")
    assert result.exit_code == 0, result.output
    assert "proposed party: Zeta Brigade" in result.output and "proposed actor: Ruritania" in result.output
    with db.sessions() as session:
        proposed = {(entry.register, entry.name): entry for entry in session.scalars(
            select(RegisterEntry).where(RegisterEntry.status == "proposed"))}
        assert set(proposed) == {("party", "Zeta Brigade"), ("actor", "Ruritania")}
        events = session.scalars(select(AuditEvent).where(
            AuditEvent.event_type == "register_entry_proposed").order_by(AuditEvent.seq)).all()
        assert sorted(json.loads(e.payload)["details"]["name"] for e in events) == ["Ruritania", "Zeta Brigade"]
        assert all(e.actor_username == "investigator" for e in events)
        unknown = session.scalar(select(Case).where(Case.source_id == "n-2"))
        finding = session.scalar(select(Finding).where(Finding.case_id == unknown.id,
                                                       Finding.kind == "attribution"))
        assert finding.party_id == proposed[("party", "Zeta Brigade")].id
        assert session.scalar(select(Response.actor).where(Response.case_id == unknown.id)) == "Ruritania"
        # Known names are written as the register names them, a coalition actor by actor.
        known = session.scalar(select(Case).where(Case.source_id == "n-1"))
        actors = set(session.scalars(select(Response.actor).where(Response.case_id == known.id)))
        assert actors == {"United States + United Kingdom + France", "US Department of the Treasury"}
        party = session.scalar(select(Finding.party_id).where(Finding.case_id == known.id,
                                                              Finding.kind == "attribution"))
        assert registers.get_entry(session, party).name == "Tiger Forces"


FIRST = ("source_id,title,occurred_on,country,deaths,stage,outcome,closed_on\n"
         "u-1,Chlorine on Saraqib,2018-02-04,Syria,0,,,\n"
         "u-2,Sarin on Khan al-Assal,2013-03-19,Syria,26,closed,unattributed,2013-12-12\n")
UPDATED = ("source_id,title,occurred_on,country,deaths,stage,outcome,closed_on\n"
           "u-1,Chlorine on Saraqib,2018-02-04,Syria,0,,,\n"
           "u-2,Khan al-Assal: attack on soldiers and civilians,2013-03-19,Syria,25,closed,unattributed,2013-12-12\n"
           "u-3,A new incident,2019-05-19,Syria,,,,\n")


@pytest.mark.both_databases
def test_importing_again_lists_the_changes_and_applies_them_only_with_update(importing, db):
    assert importing(FIRST, name="first.csv").exit_code == 0
    with db.sessions() as session:
        reference = session.scalar(select(Case.reference).where(Case.source_id == "u-2"))
    listed = importing(UPDATED, name="updated.csv")
    assert listed.exit_code == 3, listed.output
    assert (f"changed line 3 u-2 ({reference}): title: 'Sarin on Khan al-Assal' → "
            "'Khan al-Assal: attack on soldiers and civilians'") in listed.output
    assert f"u-2 ({reference}): deaths: 26 → 25" in listed.output and "u-1" not in listed.output
    assert "nothing imported or changed (import again with --update" in listed.output
    with db.sessions() as session:
        assert session.scalar(select(Case.title).where(Case.source_id == "u-2")) == "Sarin on Khan al-Assal"
        assert session.scalar(select(Case.id).where(Case.source_id == "u-3")) is None
        assert session.scalar(select(AuditEvent.seq).where(AuditEvent.event_type == "case_corrected")) is None

    applied = importing(UPDATED, "--update", name="updated.csv")
    assert applied.exit_code == 0, applied.output
    assert "read 3: imported 1, already imported 2, rejected 0, corrected 1" in applied.output
    with db.sessions() as session:
        case = session.scalar(select(Case).where(Case.source_id == "u-2"))
        assert (case.title, case.deaths, case.state) == (
            "Khan al-Assal: attack on soldiers and civilians", 25, "closed")
        event = session.scalar(select(AuditEvent).where(AuditEvent.event_type == "case_corrected"))
        details = json.loads(event.payload)["details"]
        assert (event.case_id, event.actor_username) == (case.id, "investigator")
        assert details["changes"] == {"title": ["Sarin on Khan al-Assal",
                                                "Khan al-Assal: attack on soldiers and civilians"],
                                      "deaths": [26, 25]}
        assert "updated.csv" in details["reason"]
    again = importing(UPDATED, "--update", name="updated.csv")
    assert again.exit_code == 0 and "imported 0, already imported 3, rejected 0, corrected 0" in again.output


@pytest.fixture
def reference():
    if not REFERENCE.exists():
        message = f"the reference list is not at {REFERENCE}"
        if os.environ.get("REQUIRE_SHARED_DATA") == "1":
            pytest.fail(f"REQUIRE_SHARED_DATA=1 but {message}")
        pytest.skip(message)
    return REFERENCE


def test_the_reference_list_imports_with_every_response_actor_in_the_register(
        reference, runner, make_user, seeded, db):
    make_user("investigator", "investigator")
    with reference.open(encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    written = [part for row in rows for part in row["responses"].split(";") if part.strip()]
    result = runner.invoke(args=["incidents", "import", str(reference), "--format", "reference"])
    assert result.exit_code == 0, result.output
    assert "read 31: imported 31, already imported 0, rejected 0" in result.output
    with db.sessions() as session:
        assert len(session.scalars(select(Case.id)).all()) == len(rows) == 31
        recorded = session.scalars(select(Response)).all()
        assert len(recorded) == len(written)
        for response in recorded:
            for name in response.actor.split(" + "):
                entry = registers.resolve(session, "actor", name)
                assert entry is not None and entry.status == "accepted", response.actor
        assert session.scalar(select(AuditEvent.seq).where(
            AuditEvent.event_type == "register_entry_proposed")) is None
        vetoed = [r for r in recorded if "vetoed" in r.description]
        assert vetoed and all(r.status == "blocked" for r in vetoed)
        ghouta = session.scalar(select(Case).where(Case.source_id == "reference:CW-006"))
        assert ghouta.occurred_on == date(2013, 8, 21) and ghouta.suspected_agent == "sarin"
        undated = session.scalar(select(Case).where(Case.source_id == "reference:CW-007"))
        assert (undated.occurred_on, undated.occurred_precision) == (date(2013, 8, 1), "month")


def test_the_shipped_incidents_show_their_years_in_evaluation(importing, seeded, client, auth, make_user):
    result = importing((PROJECT_ROOT / "data" / "public_incidents.csv").read_text(encoding="utf-8"))
    assert result.exit_code == 0 and "imported 28" in result.output, result.output
    make_user("sue", "supervisor")
    auth.login("sue")
    stalled = {row["title"]: row for row in dashboard_table(client, "stalled")}
    ghouta = stalled["Ghouta: sarin rockets on the Damascus suburbs"]
    # In evaluation since the last declared chemicals left Syria (23 June 2014).
    assert ghouta["stage"] == "evaluation"
    assert int(ghouta["days_idle"]) == (date.today() - date(2014, 6, 23)).days
    durations = {row["stage"]: row for row in dashboard_table(client, "durations")}
    assert {"reported", "investigation", "attribution", "legal_consequence", "implementation"} <= set(durations)
    assert all(float(row["median_days"]) > 0 for row in durations.values())
