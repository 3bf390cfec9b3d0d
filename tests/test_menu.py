"""The accountability menu, deterrence messages and evaluation: their rules and their gates."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from models.audit import AuditEvent
from models.case import Case
from models.response import Response
from workflow import corrections, deterrence, evaluations, pathway, responses
from workflow.errors import Conflict, Invalid
from workflow.menu import NEXT_STATUSES, STATUSES
from workflow.command import ANY_VERSION
from conftest import RATED_PRESSURES

FACTORS = ("taboo", "norms", "lack_of_benefit", "deterrence")


def checklist(db, case_id: int, target: str) -> dict:
    with db.sessions() as session:
        result = pathway.checklist(session, session.get(Case, case_id), target)
    return {item.code: (item.met, item.detail) for item in result.items}


def run(db, command, *args, **kwargs):
    with db.transaction() as session:
        return command(session, *args, **kwargs)


@pytest.fixture
def at_stage(make_case, move):
    def make(stage: str) -> int:
        case_id = make_case()
        move(case_id, stage)
        return case_id
    return make


def propose(db, cast, case_id: int, binding: bool = True) -> int:
    return run(db, responses.propose_response, cast["leo"], case_id, expected_version=ANY_VERSION,
               level="national", tool="legal", actor_name="Paris judges",
               description="Arrest warrants", legally_binding=binding).id


def say(db, cast, case_id: int) -> None:
    run(db, deterrence.record_message, cast["ivy"], case_id, expected_version=ANY_VERSION,
        said_on=date(2018, 4, 9), audience="the perpetrator", speaker="Minister",
        summary="It will be answered.")


def test_a_refused_message_is_shown_again_as_typed_with_the_reason(app, cast, at_stage):
    from bs4 import BeautifulSoup
    from test_whole_pathway import Person
    from webclient import post
    case_id = at_stage("investigation")
    ivy = Person(app, "ivy")
    response = post(ivy.client, f"/cases/{case_id}/messages", {
        "version": ivy.version(case_id), "said_on": (date.today() + timedelta(days=400)).isoformat(),
        "speaker": "Foreign minister", "audience": "the perpetrator", "channel": "",
        "summary": "Any further use will be answered."})
    assert response.status_code == 422
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert "said on: cannot be in the future" in page.get_text()
    form = page.select_one(f'form[action="/cases/{case_id}/messages"]')
    assert form.find_parent("details").has_attr("open")
    assert form.select_one('[name="speaker"]')["value"] == "Foreign minister"
    assert form.select_one('[name="summary"]').get_text().strip() == "Any further use will be answered."


def test_deterrence_message_is_needed_in_each_stage_and_only_counts_there(db, cast, at_stage):
    case_id = at_stage("investigation")
    assert checklist(db, case_id, "attribution")["deterrence_message"] == (
        False, "no deterrence message recorded since the case entered this stage")
    say(db, cast, case_id)
    assert checklist(db, case_id, "attribution")["deterrence_message"] == (
        True, "1 in this stage; latest 2018-04-09 by Minister to the perpetrator")
    other = at_stage("attribution")  # messages of investigation do not carry over
    assert checklist(db, other, "legal_consequence")["deterrence_message"][0] is False


def test_legal_consequence_gate(db, cast, at_stage):
    case_id = at_stage("legal_consequence")
    say(db, cast, case_id)
    assert checklist(db, case_id, "implementation") == {
        "binding_response": (False, "no response adopted yet"),
        "responses_decided": (True, "every response has a decision"),
        "required_tasks": checklist(db, case_id, "implementation")["required_tasks"],
        "deterrence_message": (True, "1 in this stage; latest 2018-04-09 by Minister to the perpetrator"),
        "team": (True, "legal officer: leo")}
    soft = propose(db, cast, case_id, binding=False)
    binding = propose(db, cast, case_id)
    assert checklist(db, case_id, "implementation")["responses_decided"] == (
        False, f"still proposed: #{soft} Paris judges; #{binding} Paris judges")
    run(db, responses.change_status, cast["leo"], case_id, expected_version=ANY_VERSION,
        response_id=soft, status="adopted", reason="agreed")
    assert checklist(db, case_id, "implementation")["binding_response"] == (
        False, "1 adopted, none legally binding")
    run(db, responses.change_status, cast["leo"], case_id, expected_version=ANY_VERSION,
        response_id=binding, status="blocked", reason="vetoed", blocked_by="Russian Federation")
    assert checklist(db, case_id, "implementation")["responses_decided"][0] is True
    third = propose(db, cast, case_id)
    run(db, responses.change_status, cast["leo"], case_id, expected_version=ANY_VERSION,
        response_id=third, status="adopted", reason="issued")
    assert checklist(db, case_id, "implementation")["binding_response"] == (
        True, "1 adopted and legally binding: Paris judges (national legal)")
    with db.sessions() as session:  # the blocked one stays on record
        assert session.get(Response, binding).status == "blocked"


def test_implementation_gate_milestones(db, cast, at_stage):
    case_id = at_stage("implementation")
    with db.sessions() as session:
        response = session.scalar(select(Response).where(Response.case_id == case_id))
    assert checklist(db, case_id, "evaluation")["milestones"] == (
        False, f"#{response.id} Regional council: no milestone")
    past = date.today() - timedelta(days=3)
    milestone = run(db, responses.add_milestone, cast["leo"], case_id, expected_version=ANY_VERSION,
                    response_id=response.id, description="Listing published", due_on=past).id
    overdue = (False, f"#{response.id} Regional council: 'Listing published' was due "
                      f"{past.isoformat()} and is not done; mark it done or reschedule it (a new "
                      "due date, with a reason)")
    assert checklist(db, case_id, "evaluation")["milestones"] == overdue
    # A note says why, but the milestone stays overdue on its page, and so on the checklist.
    run(db, responses.update_milestone, cast["leo"], case_id, expected_version=ANY_VERSION,
        milestone_id=milestone, done_on=None, note="delayed by a court challenge")
    assert checklist(db, case_id, "evaluation")["milestones"] == overdue
    run(db, corrections.correct_milestone, cast["leo"], case_id, expected_version=ANY_VERSION,
        milestone_id=milestone, due_on=date.today() + timedelta(days=30),
        reason="delayed by a court challenge")
    assert checklist(db, case_id, "evaluation")["milestones"] == (
        True, "1 adopted response, 1 milestone on track")
    run(db, responses.update_milestone, cast["leo"], case_id, expected_version=ANY_VERSION,
        milestone_id=milestone, done_on=date.today(), note="")
    assert checklist(db, case_id, "evaluation")["milestones"] == (
        True, "1 adopted response, 1 milestone on track")
    # Saved again as it is: no event, and the case keeps its version (no page of it goes stale).
    with db.sessions() as session:
        version, updates = session.get(Case, case_id).version, session.scalar(
            select(func.count()).where(AuditEvent.event_type == "milestone_updated"))
    run(db, responses.update_milestone, cast["leo"], case_id, expected_version=version,
        milestone_id=milestone, done_on=date.today(), note="")
    with db.sessions() as session:
        assert session.get(Case, case_id).version == version
        assert session.scalar(select(func.count()).where(
            AuditEvent.event_type == "milestone_updated")) == updates == 2


@pytest.mark.parametrize("recommendation, target", [("close", "closed"), ("escalate", "legal_consequence"),
                                                    ("continue", "implementation")])
def test_evaluation_gates(db, cast, at_stage, recommendation, target):
    case_id = at_stage("evaluation")
    assert checklist(db, case_id, target)[f"evaluation_{recommendation}"] == (False, "no evaluation recorded")
    other = {"close": "continue", "escalate": "close", "continue": "escalate"}[recommendation]
    run(db, evaluations.record_evaluation, cast["ana"], case_id, expected_version=ANY_VERSION,
        ratings={f: "weakened" for f in FACTORS}, rationales={f: "repeat use" for f in FACTORS}, **RATED_PRESSURES,
        repeat_use="yes", recommendation=other, outcome="done" if other == "close" else "")
    assert checklist(db, case_id, target)[f"evaluation_{recommendation}"] == (
        False, f"the evaluation recommends to {other}")
    run(db, evaluations.record_evaluation, cast["ana"], case_id, expected_version=ANY_VERSION,
        ratings={f: "unchanged" for f in FACTORS}, rationales={f: "no change" for f in FACTORS}, **RATED_PRESSURES,
        repeat_use="unknown", recommendation=recommendation,
        outcome="restraint restored" if recommendation == "close" else "")
    assert checklist(db, case_id, target)[f"evaluation_{recommendation}"] == (
        True, "taboo unchanged, norms unchanged, lack of benefit unchanged, deterrence unchanged; "
              "repeat use: unknown")


def test_evaluation_refusals_name_the_field(db, cast, at_stage):
    case_id = at_stage("evaluation")
    with pytest.raises(Invalid, match="norms rationale: required"):
        run(db, evaluations.record_evaluation, cast["ana"], case_id, expected_version=ANY_VERSION, ratings={f: "unchanged" for f in FACTORS}, rationales={"taboo": "x", "lack_of_benefit": "x",
                                                                    "deterrence": "x"}, **RATED_PRESSURES, repeat_use="no", recommendation="continue")
    with pytest.raises(Invalid, match="outcome: required"):
        run(db, evaluations.record_evaluation, cast["ana"], case_id, expected_version=ANY_VERSION,
            ratings={f: "unchanged" for f in FACTORS}, rationales={f: "x" for f in FACTORS}, **RATED_PRESSURES,
            repeat_use="no", recommendation="close")
    other = at_stage("investigation")
    with pytest.raises(Conflict, match="evaluated in Evaluation"):
        run(db, evaluations.record_evaluation, cast["ana"], other, expected_version=ANY_VERSION,
            ratings={f: "unchanged" for f in FACTORS}, rationales={f: "x" for f in FACTORS}, **RATED_PRESSURES,
            repeat_use="no", recommendation="continue")


FORBIDDEN = [(before, after) for before in STATUSES for after in STATUSES
             if after not in NEXT_STATUSES.get(before, ())]


@pytest.mark.parametrize("before, after", FORBIDDEN)
def test_status_changes_the_lifecycle_forbids_change_nothing(db, cast, at_stage, before, after):
    case_id = at_stage("legal_consequence")
    response_id = propose(db, cast, case_id)
    path = {"proposed": [], "adopted": ["adopted"], "blocked": ["blocked"], "withdrawn": ["withdrawn"],
            "implemented": ["adopted", "implemented"], "lapsed": ["adopted", "lapsed"]}[before]
    for step in path:
        run(db, responses.change_status, cast["leo"], case_id, expected_version=ANY_VERSION,
            response_id=response_id, status=step, reason="step",
            blocked_by="Russian Federation" if step == "blocked" else "")
    with db.sessions() as session:
        events = session.scalar(select(func.count()).select_from(AuditEvent))
        version = session.get(Case, case_id).version
    with pytest.raises(Invalid, match=f"status: a {before} response can become"):
        run(db, responses.change_status, cast["leo"], case_id, expected_version=ANY_VERSION,
            response_id=response_id, status=after, reason="try")
    with db.sessions() as session:
        assert session.get(Response, response_id).status == before
        assert session.get(Case, case_id).version == version
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == events


def test_responses_only_from_legal_consequence_and_only_by_legal_officers(db, cast, at_stage):
    early = at_stage("attribution")
    with pytest.raises(Conflict, match="Responses are chosen from Legal consequence on"):
        propose(db, cast, early)
    case_id = at_stage("legal_consequence")
    with pytest.raises(Exception, match="needs the legal officer role"):
        run(db, responses.propose_response, cast["ivy"], case_id, expected_version=ANY_VERSION,
            level="national", tool="legal", actor_name="x", description="y")
    with pytest.raises(Invalid, match="status: a proposed response can become adopted, blocked, withdrawn"):
        run(db, responses.change_status, cast["leo"], case_id, expected_version=ANY_VERSION,
            response_id=propose(db, cast, case_id), status="implemented", reason="skip ahead")


def test_demo_story_loads_cases_at_each_stage_once(runner, db):
    runner.invoke(args=["users", "demo"])
    result = runner.invoke(args=["demo", "story"])
    assert result.output.strip() == "loaded 4 demonstration cases"
    with db.sessions() as session:
        loaded = session.scalars(select(Case).order_by(Case.id)).all()
        assert [c.state for c in loaded] == ["reported", "attribution", "implementation", "closed"]
        assert all(c.title.startswith("[Demonstration]") for c in loaded)
        assert loaded[-1].outcome == "restraint restored" and loaded[-1].closed_at
    assert runner.invoke(args=["demo", "story"]).output.strip() == (
        "cases exist already: no demonstration cases loaded")
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
