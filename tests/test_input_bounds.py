"""Input at the edges: dates a record may hold (1900 to 2100), bodies nested past what a parser
takes, control characters escaped in JSON. Each is refused naming its field, never a 500."""
from __future__ import annotations

import io
import re
from datetime import date, datetime

import pytest
from sqlalchemy import func, select
from webclient import post

from models import Case, CustodyEvent, EvidenceItem
from workflow import cases, evidence, fields
from workflow.command import ANY_VERSION
from workflow.errors import Invalid

NEW_CASE = {"title": "Chlorine barrel bomb", "occurred_on": "2016-08-10", "country": "Syria",
            "place": "Saraqib", "suspected_agent": "chlorine"}
YEARS = "a date from 1900 to 2100"


def count(db, model) -> int:
    with db.sessions() as session:
        return session.scalar(select(func.count()).select_from(model))


def version_of(client, url: str) -> str:
    return re.search(r'name="version" type="hidden" value="(\d+)"',
                     client.get(url).get_data(as_text=True)).group(1)


@pytest.mark.parametrize("value", [date(1, 1, 1), date(1899, 12, 31), date(2101, 1, 1),
                                   date(9999, 12, 31)])
def test_the_services_refuse_days_outside_the_years_records_hold(value):
    with pytest.raises(Invalid, match=YEARS):
        fields.day(value, "due_on")
    with pytest.raises(Invalid, match=YEARS):
        fields.moment(datetime.combine(value, datetime.min.time()), "at")
    assert fields.day(date(1915, 4, 22), "due_on") == date(1915, 4, 22)  # Ypres


def test_a_case_dated_in_year_one_is_refused_by_the_service_and_the_form(client, auth, db, cast):
    with db.transaction() as session, pytest.raises(Invalid, match="occurred on: " + YEARS):
        cases.open_case(session, cast["ivy"], **{**NEW_CASE, "occurred_on": date(1, 1, 1)})
    auth.login("ivy")
    before = count(db, Case)
    for day in ("0001-01-01", "0001-01-03", "9999-12-31"):
        response = post(client, "/cases/new", {**NEW_CASE, "occurred_on": day})
        assert response.status_code == 422, day
        assert YEARS in response.get_data(as_text=True)
    assert count(db, Case) == before


def test_evidence_and_custody_in_year_one_are_refused_on_the_pages(client, auth, db, cast, make_case):
    case_id = make_case()
    with db.transaction() as session:
        item = evidence.add_evidence(session, cast["ivy"], case_id, expected_version=ANY_VERSION,
                                     kind="document", title="Report").id
    auth.login("ivy")
    before = count(db, EvidenceItem), count(db, CustodyEvent)
    added = post(client, f"/cases/{case_id}/evidence/new", {
        "version": version_of(client, f"/cases/{case_id}/evidence/new"), "kind": "document",
        "title": "Old", "source_grade": "B", "information_grade": "2",
        "collected_at": "0001-01-01T00:00"})
    url = f"/cases/{case_id}/evidence/{item}"
    custody = post(client, f"{url}/custody", {"version": version_of(client, url),
                                              "action": "transferred", "at": "0001-01-01T00:00",
                                              "from_holder": "ivy", "to_holder": "Lab One"})
    for response in (added, custody):
        assert response.status_code == 422 and YEARS in response.get_data(as_text=True)
    assert (count(db, EvidenceItem), count(db, CustodyEvent)) == before
    auth.logout()
    auth.login("sue")
    task = post(client, f"/cases/{case_id}/tasks", {"title": "Far off", "role": "investigator",
                                                    "due_on": "9999-12-31"})
    assert task.status_code == 422 and YEARS in task.get_data(as_text=True)


def test_the_api_refuses_times_whose_utc_has_no_date(api, db):
    ivy = api("ivy")
    opened = ivy.post("/cases", NEW_CASE)
    case_id, etag = opened.json["id"], opened.headers["ETag"]
    for at in ("0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"):
        added = ivy.post(f"/cases/{case_id}/evidence", version=etag, data={
            "kind": "document", "title": "Report", "collected_at": at,
            "file": (io.BytesIO(b"report"), "r.txt")}, content_type="multipart/form-data")
        assert added.status_code == 422, added.json
        assert added.json["errors"][0]["field"] == "collected_at"
    old = ivy.post("/cases", {**NEW_CASE, "occurred_on": "0001-01-01"})
    assert old.status_code == 422 and old.json["errors"][0]["field"] == "occurred_on"
    assert count(db, EvidenceItem) == 0


def test_the_api_refuses_a_body_nested_past_what_json_parsing_takes(api):
    ivy = api("ivy")
    deep = "[" * 100_000 + "]" * 100_000
    response = ivy.call("POST", "/cases", data=deep, content_type="application/json")
    assert response.status_code == 400 and response.json["detail"] == "The body is not valid JSON."


@pytest.mark.parametrize("title", ["\u0000evil", "bell\u0007", "line\u2028break"])
def test_the_api_refuses_control_characters_escaped_in_json(api, db, title):
    ivy = api("ivy")
    before = count(db, Case)
    response = ivy.post("/cases", {**NEW_CASE, "title": title})
    assert response.status_code == 422 and response.json["errors"][0]["field"] == "title"
    assert "control character" in response.json["errors"][0]["message"]
    summary = ivy.post("/cases", {**NEW_CASE, "summary": "First line\n\tsecond line"})
    assert summary.status_code == 201  # long text keeps its lines and tabs
    assert count(db, Case) == before + 1


def test_a_time_stored_in_year_one_before_the_bounds_still_shows(client, auth, db, cast, make_case):
    case_id = make_case()
    with db.transaction() as session:
        item = evidence.add_evidence(session, cast["ivy"], case_id, expected_version=ANY_VERSION,
                                     kind="document", title="Report")
        item.collected_at = datetime(1, 1, 1)  # as a version without the bounds let it be stored
    auth.login("sue")
    assert post(client, "/account/preferences", {"time_zone": "America/New_York",
                                                 "locale": "en"}).status_code == 302
    for url in (f"/cases/{case_id}/evidence/{item.id}", f"/cases/{case_id}/dossier"):
        response = client.get(url)
        assert response.status_code == 200, url
    page = client.get(f"/cases/{case_id}/evidence/{item.id}").get_data(as_text=True)
    assert "0001-01-01" in page
