"""Every CSV the app writes opens in a spreadsheet as text, never as a formula; imported text
is stored as given."""
from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select, update
from webclient import post, spreadsheet

from models import Case
from views.main import TABLES
from workflow.spreadsheet import neutralise

FORMULAS = ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)",
            "\tTabbed", "\rReturned"]
STARTS = ("=", "+", "-", "@", "\t", "\r")


def cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row]


def assert_neutral(text: str, where: str) -> None:
    for cell in cells(text):
        assert not cell.startswith(STARTS), (where, cell)


@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"), ("+44 20", "'+44 20"), ("-x", "'-x"), ("@me", "'@me"), ("\tx", "'\tx"),
    ("\rx", "'\rx"), ("plain", "plain"), ("", ""), (-3, -3), (2.5, 2.5), (None, None),
])
def test_neutralise(value, expected):
    assert neutralise(value) == expected


@pytest.fixture
def formula_cases(db, cast, make_case):
    """Cases whose title and country (as written before countries were codes) begin like formulas."""
    case_ids = [make_case(title=formula) for formula in FORMULAS]
    with db.transaction() as session:
        for case_id, formula in zip(case_ids, FORMULAS):
            session.execute(update(Case).where(Case.id == case_id).values(country=formula))
    return case_ids


def test_the_case_list_export_is_neutralised(client, auth, formula_cases):
    assert auth.login("sue").status_code == 302
    response = client.get("/cases/export.csv")
    text = spreadsheet(response)
    assert response.headers["Cache-Control"] == "no-store"
    assert_neutral(text, "cases")
    assert "'=HYPERLINK" in text and "'@SUM(A1:A9)" in text


@pytest.mark.parametrize("table", TABLES)
def test_every_dashboard_table_is_neutralised(client, auth, formula_cases, table):
    assert auth.login("sue").status_code == 302
    response = client.get(f"/dashboard/{table}.csv", query_string={"stall_days": "1"})
    assert response.status_code == 200
    assert_neutral(spreadsheet(response), table)


@pytest.mark.parametrize("url", ["/cases/export.csv", "/dashboard/funnel.csv", "/insight/parties.csv"])
def test_a_report_opens_in_a_spreadsheet_as_utf_8(client, auth, make_case, url):
    """The byte order mark first: without it Excel reads Arabic text in the system's code page."""
    make_case(title="هجوم خان شيخون")
    assert auth.login("sue").status_code == 302
    text = spreadsheet(client.get(url))
    assert not text.startswith("\ufeff")
    if url == "/cases/export.csv":
        [row] = csv.DictReader(io.StringIO(text))
        assert row["title"] == "هجوم خان شيخون"


def test_the_audit_export_has_no_formula_cell(client, auth, formula_cases):
    assert auth.login("aud").status_code == 302
    response = post(client, "/audit/export", {"format": "csv"})
    assert response.status_code == 200
    assert_neutral(response.get_data(as_text=True), "audit")


def test_the_importer_stores_text_as_given_and_its_rejects_file_is_neutralised(runner, make_user,
                                                                            db, tmp_path):
    make_user("investigator", "investigator")
    path = tmp_path / "incidents.csv"
    path.write_text("source_id,title,deaths\n=src-1,=1+1 formula title,3\n@src-2,Bad count,-5\n",
                    encoding="utf-8")
    result = runner.invoke(args=["incidents", "import", str(path), "--skip-invalid"])
    assert result.exit_code == 0, result.output
    with db.sessions() as session:
        assert session.scalar(select(Case.title).where(Case.source_id == "=src-1")) == "=1+1 formula title"
    rejects = (tmp_path / "incidents.csv.rejects.csv").read_text(encoding="utf-8")
    assert "'@src-2" in rejects
    assert_neutral(rejects, "rejects")


def test_the_case_list_links_to_its_export_with_its_filters(client, auth, make_case):
    from urllib.parse import parse_qs, urlsplit

    from bs4 import BeautifulSoup
    make_case(title="Listed")
    assert auth.login("sue").status_code == 302
    soup = BeautifulSoup(client.get("/cases?q=listed&stage=reported").get_data(as_text=True),
                         "html.parser")
    link = urlsplit(soup.select_one('[data-testid="export-list"]')["href"])
    assert link.path == "/cases/export.csv"
    assert parse_qs(link.query) == {"q": ["listed"], "stage": ["reported"]}
    exported = client.get(f"{link.path}?{link.query}").get_data(as_text=True)
    assert "Listed" in exported
