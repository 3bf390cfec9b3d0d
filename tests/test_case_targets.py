"""A case records who its attack was aimed at and the strategies its pathway follows."""
from __future__ import annotations

import json

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select
from webclient import post

from config import PROJECT_ROOT
from models.audit import AuditEvent
from models.case import Case
from tests.test_case_pages import NEW_CASE, sign_in
from tests.test_importer import archive, importing  # noqa: F401 (fixtures)
from workflow import cases
from workflow.command import ANY_VERSION
from workflow.errors import Invalid


def test_the_case_form_records_the_target_and_the_strategies(client, auth, cast, db):
    sign_in(auth, cast, "ivy")
    response = post(client, "/cases/new", {**NEW_CASE, "targeted": "civilians",
                                           "strategies": ["judicial", "coalitions"]})
    assert response.status_code == 302
    with db.sessions() as session:
        case = session.scalar(select(Case))
        assert (case.targeted, case.strategies) == ("civilians", "coalitions,judicial")
        opened = json.loads(session.scalar(select(AuditEvent.payload).where(
            AuditEvent.event_type == "case_opened")))["details"]["fields"]
        assert (opened["targeted"], opened["strategies"]) == ("civilians", "coalitions,judicial")
    details = BeautifulSoup(client.get(f"/cases/{case.id}").get_data(as_text=True), "html.parser")
    said = " ".join(details.get_text(" ").split())
    assert "Who was targeted Civilians" in said and "Strategies Coalitions, Judicial" in said
    form = BeautifulSoup(client.get(f"/cases/{case.id}/edit").get_data(as_text=True), "html.parser")
    assert sorted(box["value"] for box in form.select('input[name="strategies"][checked]')) == [
        "coalitions", "judicial"]
    assert form.select_one('select[name="targeted"] option[selected]')["value"] == "civilians"


def test_an_unknown_target_or_strategy_is_refused_naming_the_field(db, cast, make_case):
    case_id = make_case()
    for field, value in (("targeted", "bystanders"), ("strategies", ["appeasement"])):
        with pytest.raises(Invalid, match=f"^{field}: choose"):
            with db.transaction() as session:
                cases.update_case(session, cast["ivy"], case_id, expected_version=ANY_VERSION,
                                  **{field: value})
    with db.sessions() as session:
        case = session.get(Case, case_id)
        assert (case.targeted, case.strategies, case.version) == ("unknown", "", 4)


def test_the_syrian_archive_says_which_attacks_were_aimed_at_civilians(archive, importing, db):  # noqa: F811
    assert importing(archive, "--format", "syrian-archive").exit_code == 0
    with db.sessions() as session:
        targeted = session.scalars(select(Case.targeted)).all()
    assert targeted.count("civilians") == 9 and set(targeted) == {"civilians", "unknown"}


def test_the_public_record_says_whom_each_attack_was_aimed_at(importing, runner, db, tmp_path):  # noqa: F811
    assert runner.invoke(args=["registers", "seed"]).exit_code == 0  # the record names its bodies
    assert importing(PROJECT_ROOT / "data" / "public_incidents.csv").exit_code == 0
    with db.sessions() as session:
        targeted = dict(session.execute(select(Case.source_id, Case.targeted)).all())
    assert targeted["public:2013-ghouta"] == "civilians"
    assert targeted["public:2020-navalny"] == "political_opponents"
    assert targeted["public:2015-makhmour"] == "combatants"
    # A file without the column imports its cases as aimed at no one known.
    (tmp_path / "plain.csv").write_text("source_id,title\nx:1,A report\n", encoding="utf-8")
    assert importing(tmp_path / "plain.csv").exit_code == 0
    with db.sessions() as session:
        assert session.scalar(select(Case.targeted).where(Case.source_id == "x:1")) == "unknown"


def test_a_file_that_now_says_whom_an_attack_was_aimed_at_updates_it_as_a_correction(
        importing, db, tmp_path):  # noqa: F811
    path = tmp_path / "record.csv"
    path.write_text("source_id,title\nx:1,A report\n", encoding="utf-8")
    assert importing(path).exit_code == 0
    path.write_text("source_id,title,targeted\nx:1,A report,civilians\n", encoding="utf-8")
    listed = importing(path)
    assert listed.exit_code == 3 and "targeted" in listed.output
    assert importing(path, "--update").exit_code == 0
    with db.sessions() as session:
        assert session.scalar(select(Case.targeted)) == "civilians"
        corrected = json.loads(session.scalar(select(AuditEvent.payload).where(
            AuditEvent.event_type == "case_corrected")))["details"]["changes"]
    assert corrected["targeted"] == ["unknown", "civilians"]
