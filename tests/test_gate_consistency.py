"""Gates that do not contradict the pages: an overdue milestone is on track only once
rescheduled; "two laboratories per sample" is unmet without samples when the case names an
agent, unless a supervisor recorded why none exists; closing against the evaluation's warnings
is confirmed, with a reason, in the approval's event. Each met and unmet."""
from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select
from test_whole_pathway import Person

from models.audit import AuditEvent
from models.case import Case
from models.response import Response
from vocabulary import FACTORS
from workflow import corrections, evaluations, evidence, pathway, responses, reviews
from workflow.command import ANY_VERSION
from workflow.errors import Conflict, Forbidden, Invalid
from conftest import RATED_PRESSURES


def run(db, command, *args, **kwargs):
    with db.transaction() as session:
        return command(session, *args, **kwargs)


def item(db, case_id: int, target: str, code: str) -> tuple[bool, str]:
    with db.sessions() as session:
        checklist = pathway.checklist(session, session.get(Case, case_id), target)
    return next((i.met, i.detail) for i in checklist.items if i.code == code)


# --- milestones -------------------------------------------------------------------------

def test_the_response_page_and_the_gate_agree_on_an_overdue_milestone(app, db, cast, make_case, move):
    case_id = make_case()
    move(case_id, "implementation")
    with db.sessions() as session:
        response_id = session.scalar(select(Response.id).where(Response.case_id == case_id))
    past = date.today() - timedelta(days=10)
    milestone = run(db, responses.add_milestone, cast["leo"], case_id, expected_version=ANY_VERSION,
                    response_id=response_id, description="Assets frozen", due_on=past).id
    leo = Person(app, "leo")
    url = f"/cases/{case_id}/responses/{response_id}"

    def row():
        return BeautifulSoup(leo.page(url), "html.parser").select_one('[data-testid="milestones"] tbody tr')
    leo.send(case_id, f"{url}/milestones/{milestone}", {"done_on": "", "note": "the bank is slow"})
    assert "overdue" in row().get_text()
    assert item(db, case_id, "evaluation", "milestones")[0] is False  # a note is no excuse
    leo.send(case_id, f"{url}/milestones/{milestone}/reschedule", {
        "due_on": (date.today() + timedelta(days=20)).isoformat(), "reason": "The bank asked for a month."})
    assert "overdue" not in row().get_text() and "The bank asked for a month." in row().get_text()
    assert item(db, case_id, "evaluation", "milestones") == (True, "1 adopted response, 1 milestone on track")


# --- samples ----------------------------------------------------------------------------

NEEDS_SAMPLE = ("no samples recorded, though the case names an agent ({}); record a sample, or a "
                "supervisor records why none exists")


@pytest.mark.both_databases
def test_no_sample_is_unmet_when_the_case_names_an_agent(db, cast, make_case, move):
    case_id = make_case(suspected_agent="unknown")
    move(case_id, "investigation")
    assert item(db, case_id, "attribution", "samples_analysed") == (
        True, "no samples recorded; the case names no agent yet")
    run(db, evidence.record_finding, cast["ivy"], case_id, expected_version=ANY_VERSION,
        kind="use_determination", conclusion="likely", agent="sarin", rationale="symptoms")
    assert item(db, case_id, "attribution", "samples_analysed") == (False, NEEDS_SAMPLE.format("sarin"))
    # A supervisor records why there is none: the requirement is met, and says why.
    with pytest.raises(Forbidden, match="Recording why no sample exists needs the supervisor role"):
        run(db, evidence.explain_no_sample, cast["ivy"], case_id, expected_version=ANY_VERSION,
            reason="none")
    with pytest.raises(Invalid, match="reason: required"):
        run(db, evidence.explain_no_sample, cast["sue"], case_id, expected_version=ANY_VERSION,
            reason=" ")
    run(db, evidence.explain_no_sample, cast["sue"], case_id, expected_version=ANY_VERSION,
        reason="The site was shelled again before anyone could reach it.")
    assert item(db, case_id, "attribution", "samples_analysed") == (
        True, "no samples recorded; a supervisor recorded why: The site was shelled again before "
              "anyone could reach it.")
    with db.sessions() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id)
                                .order_by(AuditEvent.seq.desc())).first()
    assert event.event_type == "no_sample_explained" and event.actor_username == "sue"
    # Once a sample exists, it is analysed by two laboratories like any other.
    sample = run(db, evidence.add_evidence, cast["ivy"], case_id, expected_version=ANY_VERSION,
                 kind="environmental_sample", title="Soil, found later").id
    assert item(db, case_id, "attribution", "samples_analysed") == (
        False, f"#{sample} Soil, found later: 0 designated laboratories with results")
    for lab in ("Lab One", "Lab Two"):
        run(db, evidence.add_lab_analysis, cast["ivy"], case_id, expected_version=ANY_VERSION,
            evidence_id=sample, laboratory=lab, designated=True, result="sarin")
    assert item(db, case_id, "attribution", "samples_analysed") == (
        True, "1 sample, each by two or more designated laboratories")


def test_why_no_sample_exists_is_recorded_before_attribution(app, db, cast, make_case, move,
                                                             satisfy):
    case_id = make_case()  # chlorine is suspected
    move(case_id, "investigation")
    assert item(db, case_id, "attribution", "samples_analysed") == (False, NEEDS_SAMPLE.format("chlorine"))
    sue, ivy = Person(app, "sue"), Person(app, "ivy")
    assert 'data-command="explain_no_sample"' not in ivy.page(f"/cases/{case_id}")
    sue.send(case_id, f"/cases/{case_id}/no-sample", {"reason": "Cylinders were removed by the army."})
    page = BeautifulSoup(ivy.page(f"/cases/{case_id}"), "html.parser")
    assert "Cylinders were removed by the army." in page.select_one('[data-testid="no-sample"]').get_text()
    assert page.select_one('[data-code="samples_analysed"]')["class"] == ["met"]
    satisfy(case_id, "attribution")
    request_id = run(db, reviews.request_gate, cast["ivy"], case_id, expected_version=ANY_VERSION,
                     target="attribution").id
    run(db, reviews.approve_gate, cast["sue"], request_id, expected_version=ANY_VERSION)
    with pytest.raises(Conflict, match="Why no sample exists is recorded before the case leaves "
                                       "Investigation; this one is in Attribution."):
        run(db, evidence.explain_no_sample, cast["sue"], case_id, expected_version=ANY_VERSION,
            reason="again")


# --- closing against the evaluation -----------------------------------------------------

def evaluated(db, cast, case_id: int, *, repeat_use: str, deterrence: str) -> int:
    """The evaluation recommends closing, with these findings; the close is requested; its id."""
    run(db, evaluations.record_evaluation, cast["ana"], case_id, expected_version=ANY_VERSION,
        ratings={f: deterrence if f == "deterrence" else "unchanged" for f in FACTORS},
        rationales={f: "as observed" for f in FACTORS}, **RATED_PRESSURES, repeat_use=repeat_use,
        recommendation="close", outcome="restraint partly restored")
    return run(db, reviews.request_gate, cast["ana"], case_id, expected_version=ANY_VERSION,
               target="closed").id


@pytest.fixture
def evaluating(db, make_case, move, satisfy):
    case_id = make_case()
    move(case_id, "evaluation")
    satisfy(case_id, "closed")
    return case_id


def approval_event(db, case_id: int) -> dict:
    with db.sessions() as session:
        payload = session.scalar(select(AuditEvent.payload).where(
            AuditEvent.case_id == case_id, AuditEvent.event_type == "gate_approved",
            AuditEvent.to_state == "closed"))
    return json.loads(payload)["details"]


def test_closing_against_repeat_use_and_a_weakened_factor_is_confirmed_with_a_reason(
        db, cast, evaluating):
    case_id = evaluating
    request_id = evaluated(db, cast, case_id, repeat_use="yes", deterrence="weakened")
    said = "the perpetrator used chemical weapons again; deterrence weakened"
    with pytest.raises(Invalid, match=f"confirm: the evaluation records {said}; confirm that the "
                                      "case closes all the same"):
        run(db, reviews.approve_gate, cast["sue"], request_id, expected_version=ANY_VERSION,
            reason="Enough was done.")
    with pytest.raises(Invalid, match=f"A reason is needed: say why the case closes although the "
                                      f"evaluation records {said}"):
        run(db, reviews.approve_gate, cast["sue"], request_id, expected_version=ANY_VERSION,
            confirm=True)
    with db.sessions() as session:
        assert session.get(Case, case_id).state == "evaluation"
    run(db, reviews.approve_gate, cast["sue"], request_id, expected_version=ANY_VERSION,
        confirm=True, reason="A tribunal has the case now; this file closes.")
    details = approval_event(db, case_id)
    assert details["confirmed_risks"] == ["the perpetrator used chemical weapons again",
                                          "deterrence weakened"]
    assert details["reason"] == "A tribunal has the case now; this file closes."


def test_closing_without_warnings_asks_for_no_confirmation(db, cast, evaluating):
    case_id = evaluating
    request_id = evaluated(db, cast, case_id, repeat_use="no", deterrence="strengthened")
    run(db, reviews.approve_gate, cast["sue"], request_id, expected_version=ANY_VERSION)
    assert "confirmed_risks" not in approval_event(db, case_id)


def test_the_approval_screens_ask_for_the_confirmation(app, db, cast, evaluating):
    case_id = evaluating
    request_id = evaluated(db, cast, case_id, repeat_use="unknown", deterrence="weakened")
    sam = Person(app, "sam")
    for url in ("/reviews", f"/cases/{case_id}"):
        page = BeautifulSoup(sam.page(url), "html.parser")
        warning = page.select_one('[data-testid="closing-risks"]')
        assert "The evaluation records: deterrence weakened." in warning.get_text()
        assert warning.select_one('input[name="confirm"][type="checkbox"]')
    sam.send(case_id, f"/reviews/{request_id}/approve", {
        "confirm": "y", "reason": "Deterrence is for the next case.", "back": "reviews"})
    assert approval_event(db, case_id)["confirmed_risks"] == ["deterrence weakened"]
