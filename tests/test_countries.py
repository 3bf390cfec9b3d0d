"""Countries are ISO 3166-1 alpha-2 codes: whatever a person writes is stored as the code, and
every page names it in its reader's language."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select, update
from webclient import post, spreadsheet

from models.case import Case
from models.user import User
from tests.test_case_pages import NEW_CASE, sign_in
from workflow import cases, countries
from workflow.command import ANY_VERSION
from workflow.errors import Invalid

pytestmark = pytest.mark.both_databases


@pytest.mark.parametrize("written", ["سوريا", "Syria", "SY", "syr", "Syrian Arab Republic",
                                     "الجمهورية العربية السورية", " syria "])
def test_every_way_of_writing_syria_is_sy(written):
    assert countries.code(written) == "SY"


@pytest.mark.parametrize("written, code", [("United Kingdom", "GB"), ("UK", "GB"), ("Russia", "RU"),
                                           ("العراق", "IQ"), ("Malaysia", "MY"), ("Ukraine", "UA")])
def test_the_countries_of_the_public_record_resolve(written, code):
    assert countries.code(written) == code


def test_a_code_is_named_in_the_readers_language():
    assert (countries.name("SY"), countries.name("SY", "ar")) == ("Syria", "سوريا")
    assert (countries.name("FR"), countries.name("FR", "ar")) == ("France", "فرنسا")
    assert countries.name("Atlantis") == "Atlantis"  # kept as written before codes


def test_an_unknown_country_is_refused_naming_it():
    with pytest.raises(Invalid, match="country: “Narnia” is not a country we know"):
        countries.code("Narnia")
    assert countries.code("  ") == ""


def _country(db, case_id: int) -> str:
    with db.sessions() as session:
        return session.get(Case, case_id).country


def test_syria_in_arabic_in_the_form_is_stored_as_sy_and_named_per_reader(client, auth, cast, db):
    sign_in(auth, cast, "ivy")
    response = post(client, "/cases/new", {**NEW_CASE, "country": "سوريا"})
    assert response.status_code == 302
    case_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert _country(db, case_id) == "SY"
    english = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert '<span dir="auto">Syria</span>' in english
    with db.transaction() as session:
        session.execute(update(User).where(User.username == "ivy").values(locale="ar"))
    arabic = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert '<span dir="auto">سوريا</span>' in arabic
    assert 'value="سوريا"' in client.get(f"/cases/{case_id}/edit").get_data(as_text=True)


def test_an_unknown_country_in_the_form_is_refused_and_nothing_is_opened(client, auth, cast, db):
    sign_in(auth, cast, "ivy")
    response = post(client, "/cases/new", {**NEW_CASE, "country": "Narnia"})
    assert response.status_code in (400, 422)
    assert "“Narnia” is not a country we know" in response.get_data(as_text=True)
    with db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 0


def test_editing_the_country_records_the_codes(db, cast, make_case):
    case_id = make_case(country="Syria")
    with db.transaction() as session:
        cases.update_case(session, cast["ivy"], case_id, expected_version=ANY_VERSION, country="Iraq")
    assert _country(db, case_id) == "IQ"


def test_the_case_list_filters_by_country_written_any_way(client, auth, cast, db, make_case):
    make_case(title="In Syria", country="سوريا")
    make_case(title="In Iraq", country="IQ")
    sign_in(auth, cast, "sue")
    for written in ("SY", "Syria", "سوريا"):
        page = client.get("/cases", query_string={"country": written}).get_data(as_text=True)
        assert "In Syria" in page and "In Iraq" not in page
    page = client.get("/cases").get_data(as_text=True)
    assert '<option value="SY" selected' not in page and '<option value="SY"' in page
    assert '<option value="IQ"' in page
    dashboard = client.get("/", query_string={"country": "SY"}).get_data(as_text=True)
    assert '<option value="SY" selected dir="auto">Syria</option>' in dashboard


def test_exports_and_the_api_give_the_code(client, auth, cast, make_case):
    make_case(country="سوريا")
    sign_in(auth, cast, "sue")
    rows = spreadsheet(client.get("/cases/export.csv")).splitlines()
    assert rows[1].split(",")[2] == "SY"


def test_a_name_kept_from_before_codes_holds_the_first_gate_saying_why(db, cast, make_case):
    from workflow import pathway
    case_id = make_case()
    with db.transaction() as session:
        session.execute(update(Case).where(Case.id == case_id).values(country="Atlantis"))
    with db.sessions() as session:
        checklist = pathway.checklist(session, session.get(Case, case_id), "investigation")
        item = next(i for i in checklist.items if i.code == "case_details")
        assert not item.met and "“Atlantis” is not a country we know" in item.detail


def test_the_migration_turns_the_names_written_so_far_into_codes(db, make_case):
    from models import migrate
    written = {make_case(title="Arabic"): "سوريا", make_case(title="English"): "United Kingdom",
               make_case(title="Unknown"): "Atlantis", make_case(title="None", country=""): ""}
    migrate.downgrade(db, "6a1e0b8c3d57")
    with db.engine.begin() as connection:
        for case_id, country in written.items():
            connection.execute(update(Case).where(Case.id == case_id).values(country=country))
    migrate.upgrade(db)
    assert [_country(db, case_id) for case_id in written] == ["SY", "GB", "Atlantis", ""]


def test_the_search_finds_a_case_by_its_countrys_name_in_either_language(db, cast, make_case):
    from workflow import search
    case_id = make_case(title="Barrel bomb", country="SY")
    for words in ("Syria", "سوريا"):
        with db.sessions() as session:
            found = search.find(session, cast["sue"], search.Filters(text=words))
        assert [group.case.id for group in found.groups] == [case_id]
