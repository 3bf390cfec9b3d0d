"""The figures kept with each case stay equal to counting every case afresh, whatever changed
the cases: commands, corrections, merges of the register, reopenings and imports."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import delete, select, update

from models.case import Case
from models.figures import CaseFigures, FigureCount
from tests.test_consistency import attribute
from tests.test_insight import figures, record, respond  # noqa: F401 (record: a fixture)
from workflow import case_figures, cases, demo, registers, reviews
from workflow.command import ANY_VERSION

pytestmark = pytest.mark.both_databases

PUBLIC_INCIDENTS = Path(__file__).resolve().parent.parent / "data" / "public_incidents.csv"


def kept(db) -> tuple[dict, dict]:
    """The kept sums and each case's row, as they stand."""
    with db.sessions() as session:
        sums = {(row.figure, row.key): row.count for row in session.execute(
            select(FigureCount).where(FigureCount.figure.in_(case_figures.FIGURES))).scalars()
            if row.count}
        rows = {row.case_id: (row.party_id, row.responsible_party, row.binding, row.closed,
                              row.repeat_use, row.occurred_on, row.bound_since, row.counts)
                for row in session.scalars(select(CaseFigures))}
    return sums, rows


def assert_same_as_counted_afresh(db) -> None:
    before = kept(db)
    with db.transaction() as session:
        case_figures.rebuild(session)
    assert kept(db) == before


def test_changes_of_every_kind_keep_the_figures_of_a_fresh_count(db, cast, record):
    syria, run = record["syria"], lambda command, *args, **kwargs: _run(db, command, *args, **kwargs)
    assert_same_as_counted_afresh(db)
    sue = cast["sue"]
    # The Islamic State's use attributed again, to the Syrian Arab Republic: its use moves.
    attribute(db, cast, record["group"], "Syrian Arab Republic", "state")
    # A binding response in force on the second Syrian use.
    respond(db, cast, syria[1], "international", "legal", decided_on=date(2018, 1, 1), binding=True)
    run(cases.update_case, sue, syria[4], expected_version=ANY_VERSION, occurred_on=date(2012, 1, 2),
        suspected_agent="sarin", country="Iraq")
    run(reviews.reopen, sue, record["bound"], expected_version=ANY_VERSION, target="evaluation",
        reason="New reporting.")
    with db.sessions() as session:
        tiger = registers.resolve(session, "party", "Syrian Arab Air Force (Tiger Forces)").id
        state = registers.resolve(session, "party", "Syrian Arab Republic").id
    run(registers.merge, sue, tiger, state)
    assert_same_as_counted_afresh(db)
    result = {party.name: (party.uses, party.attributions, party.bound, party.repeat_after_binding)
              for party in figures(db, sue).parties}
    # Six uses, the Islamic State's among them (its earlier attribution still counts as one),
    # two bound; the only use after the first binding response (2017) was moved back to 2012.
    assert result["Syrian Arab Republic"] == (6, 6, 2, 0)
    assert result["Islamic State in Iraq and the Levant"] == (0, 1, 0, 0)


def test_the_demonstration_and_the_public_record_keep_the_figures_of_a_fresh_count(db, people, runner,
                                                                                 make_user):
    demo.load_story(db, people)
    assert runner.invoke(args=["registers", "seed"]).exit_code == 0
    make_user("importer", "investigator")
    imported = runner.invoke(args=["incidents", "import", str(PUBLIC_INCIDENTS), "--as", "importer"])
    assert imported.exit_code == 0, imported.output
    with db.sessions() as session:
        assert session.scalar(select(Case.id).where(~Case.id.in_(select(CaseFigures.case_id)))) is None
    assert_same_as_counted_afresh(db)


def _run(db, command, *args, **kwargs):
    with db.transaction() as session:
        return command(session, *args, **kwargs)


def test_recount_puts_right_what_was_changed_outside_the_commands(db, cast, record, runner):
    before = kept(db)
    with db.transaction() as session:  # written past the commands, as a hand-made repair would
        session.execute(update(FigureCount).where(FigureCount.figure == "uses").values(count=99))
        session.execute(delete(CaseFigures).where(CaseFigures.case_id == record["group"]))
    assert figures(db, cast["sue"]).parties[0].uses == 4 * 99  # the four entries the Syrian uses name
    result = runner.invoke(args=["db", "recount"])
    assert result.exit_code == 0, result.output
    assert result.output == "counted 9 cases afresh\n"
    assert kept(db) == before


def test_a_savepoint_rolled_back_keeps_the_cases_the_transaction_changed_counted(db, cast, record):
    with db.transaction() as session:
        cases.update_case(session, cast["sue"], record["group"], expected_version=ANY_VERSION,
                          country="Iraq")
        with pytest.raises(RuntimeError), session.begin_nested():  # as a lost race for a new name
            raise RuntimeError("rolled back")
    assert_same_as_counted_afresh(db)
    assert dict(figures(db, cast["sue"]).places)["IQ"] == 1
