"""Corrections of recorded details: a reason is required, the audit event keeps before and
after, they wait while the case is under review and end when it closes, the record's page
says "corrected" with the history, and a file's hash never changes."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from webclient import post

from models.audit import AuditEvent
from models.case import Case
from models.evidence import EvidenceItem, StoredObject
from models.response import Milestone, Response
from models.task import Task
from workflow import audit, corrections, evidence, reviews
from workflow.command import ANY_VERSION


def plain(page: str) -> str:
    """A page without its isolating tags (people's text is kept in `<bdi>`)."""
    return page.replace("<bdi>", "").replace("</bdi>", "")
from workflow.errors import Conflict, Invalid


def run(db, command, *args, **kwargs):
    with db.transaction() as session:
        return command(session, *args, **kwargs)


#: Each correction: the service, who makes it, its arguments from the case's ids, the event,
#: the record it changes and the change the event keeps.
KINDS = {
    "evidence": (corrections.correct_evidence, "ivy",
                 lambda ids: dict(evidence_id=ids["evidence_id"], title="Report of the directorate",
                                  source_grade="B"),
                 "evidence_corrected", (EvidenceItem, "evidence_id"),
                 {"title": ["Report", "Report of the directorate"], "source_grade": ["F", "B"]}),
    "response": (corrections.correct_response, "leo",
                 lambda ids: dict(response_id=ids["response_id"], actor_name="Council of ministers",
                                  strategies=["coalitions", "zero_tolerance"]),
                 "response_corrected", (Response, "response_id"),
                 {"actor": ["Regional council", "Council of ministers"],
                  "strategies": [["zero_tolerance"], ["zero_tolerance", "coalitions"]]}),
    "task": (corrections.correct_task, "sue",
             lambda ids: dict(task_id=ids["task_id"], due_on=date(2031, 1, 15)),
             "task_corrected", (Task, "task_id"), None),
    "milestone": (corrections.correct_milestone, "leo",
                  lambda ids: dict(milestone_id=ids["milestone_id"], due_on=date(2031, 1, 15)),
                  "milestone_corrected", (Milestone, "milestone_id"),
                  {"due_on": ["2030-01-01", "2031-01-15"]}),
}


def snapshot(db, model, record_id: int, case_id: int) -> tuple:
    """The record's columns, the case's version and its number of audit events."""
    with db.sessions() as session:
        row = session.get(model, record_id)
        columns = {c.key: getattr(row, c.key) for c in model.__table__.columns}
        return (columns, session.get(Case, case_id).version,
                session.scalar(select(func.count()).select_from(AuditEvent)
                               .where(AuditEvent.case_id == case_id)))


def open_again(db, cast, full_case) -> None:
    """The full case's request is withdrawn: it is open and not under review."""
    run(db, reviews.withdraw_gate, cast["leo"], full_case["request_id"], expected_version=ANY_VERSION)


@pytest.mark.both_databases
@pytest.mark.parametrize("kind", KINDS)
def test_a_correction_needs_a_reason_and_its_event_keeps_before_and_after(db, cast, full_case, kind):
    command, who, arguments, event_type, (model, key), changes = KINDS[kind]
    case_id, record_id = full_case["case_id"], full_case[key]
    open_again(db, cast, full_case)
    before = snapshot(db, model, record_id, case_id)
    for reason in ("", "   "):
        with pytest.raises(Invalid) as refused:
            run(db, command, cast[who], case_id, expected_version=ANY_VERSION, reason=reason,
                **arguments(full_case))
        assert refused.value.field == "reason" and str(refused.value) == "reason: required"
        assert snapshot(db, model, record_id, case_id) == before
    run(db, command, cast[who], case_id, expected_version=before[1],
        reason="The first entry was a typing slip.", **arguments(full_case))
    with db.sessions() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id)
                                .order_by(AuditEvent.seq.desc())).first()
        details = json.loads(event.payload)["details"]
        version = session.get(Case, case_id).version
    assert (event.event_type, event.entity_id, event.actor_username) == (event_type, str(record_id), who)
    assert details["reason"] == "The first entry was a typing slip."
    if changes is None:  # a task's due date: whatever it was, it is now the new one
        assert details["changes"]["due_on"][1] == "2031-01-15" and len(details["changes"]) == 1
    else:
        assert details["changes"] == changes
    assert version == before[1] + 1
    # Correcting to what is recorded already changes nothing, and says so.
    with pytest.raises(Invalid, match="Nothing to correct"):
        run(db, command, cast[who], case_id, expected_version=ANY_VERSION, reason="again",
            **arguments(full_case))


@pytest.mark.parametrize("kind", KINDS)
def test_corrections_wait_while_the_case_is_under_review(db, cast, full_case, kind):
    command, who, arguments, _event, (model, key), _changes = KINDS[kind]
    case_id, record_id = full_case["case_id"], full_case[key]
    before = snapshot(db, model, record_id, case_id)
    with pytest.raises(Conflict, match="is under review"):
        run(db, command, cast[who], case_id, expected_version=ANY_VERSION, reason="slip",
            **arguments(full_case))
    assert snapshot(db, model, record_id, case_id) == before


def test_corrections_end_when_the_case_closes(db, cast, make_case, move):
    case_id = make_case()
    move(case_id, "closed")
    with db.sessions() as session:
        ids = dict(evidence_id=session.scalar(select(EvidenceItem.id).where(EvidenceItem.case_id == case_id)),
                   response_id=session.scalar(select(Response.id).where(Response.case_id == case_id)),
                   task_id=session.scalar(select(Task.id).where(Task.case_id == case_id)),
                   milestone_id=session.scalar(select(Milestone.id).join(Response).where(
                       Response.case_id == case_id)))
    for kind, (command, who, arguments, _event, (model, key), _changes) in KINDS.items():
        before = snapshot(db, model, ids[key], case_id)
        with pytest.raises(Conflict, match="is closed; a supervisor can reopen it"):
            run(db, command, cast[who], case_id, expected_version=ANY_VERSION, reason="slip",
                **arguments(ids))
        assert snapshot(db, model, ids[key], case_id) == before, kind


def test_a_correction_from_an_old_page_is_refused(db, cast, full_case):
    open_again(db, cast, full_case)
    with db.sessions() as session:
        version = session.get(Case, full_case["case_id"]).version
    with pytest.raises(Conflict, match="changed since you loaded the page"):
        run(db, corrections.correct_evidence, cast["ivy"], full_case["case_id"],
            expected_version=version - 1, evidence_id=full_case["evidence_id"], title="Other",
            reason="slip")


def test_hashes_custody_and_decisions_are_never_corrected(app, db, cast, full_case, client, auth):
    """Only the listed fields are correctable; correcting an item, even through a form that
    also posts a hash, leaves its file, its SHA-256 and the chain as they were."""
    assert {kind.entity_type: set(kind.fields) for kind in corrections.KINDS_OF_RECORD} == {
        "evidence": {"title", "description", "kind", "source_grade", "information_grade"},
        "response": {"actor", "description", "legal_basis", "strategies", "actors",
                     "instruments", "forum", "factors"},
        "task": {"due_on"}, "milestone": {"due_on"},
        # An imported case's details, from its source file (the importer's --update).
        "case": {"title", "occurred_on", "occurred_precision", "country", "place", "latitude",
                 "longitude", "suspected_agent", "delivery_means", "deaths", "injured", "summary",
                 "targeted"}}
    case_id, evidence_id = full_case["case_id"], full_case["evidence_id"]
    open_again(db, cast, full_case)
    with db.sessions() as session:
        item = session.get(EvidenceItem, evidence_id)
        sha256, stored = item.sha256, (item.stored.size, item.stored.detected_type)
        version = session.get(Case, case_id).version
    path = Path(app.config["EVIDENCE_DIR"]) / "objects"
    files = {p: p.read_bytes() for p in path.rglob("*") if p.is_file()}
    auth.login("ivy")
    response = post(client, f"/cases/{case_id}/evidence/{evidence_id}/correct", {
        "version": version, "title": "Report (scan)", "description": "", "kind": "lab_report",
        "source_grade": "F", "information_grade": "6", "reason": "It is the laboratory's report.",
        "sha256": "0" * 64})
    assert response.status_code == 302
    with db.sessions() as session:
        item = session.get(EvidenceItem, evidence_id)
        assert (item.title, item.kind, item.sha256) == ("Report (scan)", "lab_report", sha256)
        assert (session.get(StoredObject, sha256).size, item.stored.detected_type) == stored
        assert audit.verify_chain(session).ok
    assert {p: p.read_bytes() for p in path.rglob("*") if p.is_file()} == files
    with pytest.raises(TypeError):  # no such correction exists, so no service takes it
        run(db, corrections.correct_evidence, cast["ivy"], case_id, expected_version=ANY_VERSION,
            evidence_id=evidence_id, reason="r", sha256="0" * 64)


def test_a_sample_with_analyses_stays_a_sample(db, cast, make_case, move):
    case_id = make_case()
    move(case_id, "investigation")
    with db.transaction() as session:
        sample = evidence.add_evidence(session, cast["ivy"], case_id, expected_version=ANY_VERSION,
                                       kind="environmental_sample", title="Soil").id
        evidence.add_lab_analysis(session, cast["ivy"], case_id, expected_version=ANY_VERSION,
                                  evidence_id=sample, laboratory="Lab One", designated=True,
                                  result="sarin")
    with pytest.raises(Invalid, match="has laboratory analyses, so it stays a sample") as refused:
        run(db, corrections.correct_evidence, cast["ivy"], case_id, expected_version=ANY_VERSION,
            evidence_id=sample, kind="imagery", reason="a photo")
    assert refused.value.field == "kind"
    run(db, corrections.correct_evidence, cast["ivy"], case_id, expected_version=ANY_VERSION,
        evidence_id=sample, kind="biomedical_sample", reason="blood, not soil")


def test_the_record_pages_say_corrected_with_the_history(app, db, cast, full_case):
    from test_whole_pathway import Person
    case_id, ids = full_case["case_id"], full_case
    open_again(db, cast, full_case)
    ivy, leo, sue, aud = (Person(app, name) for name in ("ivy", "leo", "sue", "aud"))
    evidence_url = f"/cases/{case_id}/evidence/{ids['evidence_id']}"
    assert 'data-command="correct_evidence"' in ivy.page(evidence_url)
    assert "corrected" not in ivy.page(evidence_url)
    ivy.send(case_id, f"{evidence_url}/correct", {
        "title": "Report of the directorate", "kind": "document", "source_grade": "B",
        "information_grade": "2", "reason": "Named as on its letterhead."})
    page = aud.page(evidence_url)  # an auditor reads the history, and corrects nothing
    assert 'data-testid="corrected"' in page and "Named as on its letterhead." in page
    assert "title “Report” → “Report of the directorate”" in plain(page)
    assert 'data-command="correct_evidence"' not in page

    response_url = f"/cases/{case_id}/responses/{ids['response_id']}"
    refused = post(leo.client, f"{response_url}/correct", {
        "version": leo.version(case_id), "actor": "Council", "description": "Listing.", "reason": ""})
    assert refused.status_code == 422 and "Reason for the correction" in refused.get_data(as_text=True)
    leo.send(case_id, f"{response_url}/correct", {
        "actor": "Council of the region", "description": "Listing of the unit's commanders.",
        "legal_basis": "Council regulation 2018/1", "strategies": ["zero_tolerance"],
        "reason": "The council's own name."})
    leo.send(case_id, f"{response_url}/milestones/{ids['milestone_id']}/reschedule", {
        "due_on": "2031-02-01", "reason": "The council meets later."})
    page = leo.page(response_url)
    assert "actor “Regional council” → “Council of the region”" in plain(page)
    assert "due on “2030-01-01” → “2031-02-01”" in plain(page) and "The council meets later." in page

    sue.send(case_id, f"/cases/{case_id}/tasks/reschedule", {
        "task_id": ids["task_id"], "due_on": "2031-03-01", "reason": "Partners are away."})
    page = sue.page(f"/cases/{case_id}")
    assert f'data-corrected-task="{ids["task_id"]}"' in page and "Partners are away." in page
    with db.sessions() as session:
        assert session.get(Task, ids["task_id"]).due_on == date(2031, 3, 1)
