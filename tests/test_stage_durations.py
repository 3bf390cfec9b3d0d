"""Stage durations: a target per stage (settings, with defaults), and the stage's due date on
the case page and in the case list, overdue once past it."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from config import ConfigError, load_settings
from models.case import Case
from workflow import clock, durations, queries


def test_targets_have_defaults_and_are_set_per_stage(tmp_path):
    settings = load_settings("test", environ={}, instance_dir=tmp_path)
    assert settings.STAGE_TARGET_DAYS == durations.DEFAULT_TARGET_DAYS
    settings = load_settings("test", environ={"STAGE_TARGET_DAYS": "investigation=120, evaluation=10"},
                             instance_dir=tmp_path)
    assert settings.STAGE_TARGET_DAYS == {**durations.DEFAULT_TARGET_DAYS, "investigation": 120,
                                          "evaluation": 10}
    for bad, said in (("closed=3", "'closed' is not an open stage"),
                      ("investigation=soon", "investigation needs a whole number of days"),
                      ("investigation=0", "at least 1")):
        with pytest.raises(ConfigError, match=said):
            load_settings("test", environ={"STAGE_TARGET_DAYS": bad}, instance_dir=tmp_path)


@pytest.mark.both_databases
def test_a_stage_falls_due_its_target_after_the_case_entered_it(db, make_case, move):
    reported, moved, closed = make_case(), make_case(), make_case()
    move(moved, "investigation")
    move(closed, "closed")
    today = date.today()
    targets = {**durations.DEFAULT_TARGET_DAYS, "reported": 5}
    with db.sessions() as session:
        rows = session.execute(select(*queries.LISTED).where(Case.id.in_([reported, moved, closed]))).all()
    dues = durations.stage_dues(rows, targets, today)
    assert set(dues) == {reported, moved}
    assert dues[reported].due_on == today + timedelta(days=5) and not dues[reported].overdue
    assert dues[moved].stage == "investigation" and dues[moved].due_on == today + timedelta(days=90)
    later = durations.stage_dues(rows, targets, today + timedelta(days=6))
    assert later[reported].overdue and later[reported].days_left == -1


def badge(client, url: str, case_id: int | None = None):
    soup = BeautifulSoup(client.get(url).get_data(as_text=True), "html.parser")
    if case_id is not None:  # the list: the row of that case
        soup = soup.find("a", href=f"/cases/{case_id}").find_parent("tr")
    found = soup.select_one('[data-testid="stage-due"]')
    return " ".join(found.get_text().split()) if found else None


def test_the_case_page_and_the_list_show_the_due_date_and_overdue(
        client, auth, make_case, monkeypatch):
    case_id = make_case()
    due = date.today() + timedelta(days=durations.DEFAULT_TARGET_DAYS["reported"])
    assert auth.login("ivy").status_code == 302
    assert badge(client, f"/cases/{case_id}") == f"due {due}"
    assert badge(client, "/cases", case_id) == f"due {due}"
    # A month on, by the calendar the pages read.
    monkeypatch.setattr(clock, "today", lambda: date.today() + timedelta(days=30))
    assert badge(client, f"/cases/{case_id}") == f"overdue since {due}"
    assert badge(client, "/cases", case_id) == f"overdue since {due}"
