"""One case from reported to closed through the web forms, each step by its role and each gate
approved by a supervisor who did not request it; then escalated and closed again."""
from __future__ import annotations

import io
import re

from sqlalchemy import select
from webclient import PASSWORD, post

from models.audit import AuditEvent
from models.case import Case
from workflow import audit

VERSION = re.compile(r'name="version"[^>]*value="(\d+)"')


class Person:
    """A signed-in browser session of one user."""

    def __init__(self, app, username: str):
        self.client, self.username = app.test_client(), username
        response = post(self.client, "/login", {"username": username, "password": PASSWORD})
        assert response.status_code == 302

    def page(self, url: str) -> str:
        response = self.client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return response.get_data(as_text=True)

    def version(self, case_id: int) -> str:
        return VERSION.search(self.page(f"/cases/{case_id}")).group(1)

    def send(self, case_id: int, url: str, data: dict, **kwargs) -> str:
        """Post a form of the case with the version the page shows; returns where it led."""
        response = post(self.client, url, {"version": self.version(case_id), **data}, **kwargs)
        assert response.status_code == 302, (url, response.status_code,
                                             response.get_data(as_text=True)[-2500:])
        return response.headers["Location"]


def message(person: Person, case_id: int) -> None:
    person.send(case_id, f"/cases/{case_id}/messages", {
        "said_on": "2018-04-09", "speaker": "Foreign minister", "audience": "the perpetrator",
        "channel": "press conference", "summary": "Any further use will be answered."})


def do_tasks(person: Person, case_id: int) -> None:
    """Claim and complete, from the inbox, every required task of this person's queue on the case."""
    inbox = person.page("/tasks")
    for task_id in re.findall(rf'action="/cases/{case_id}/tasks/(\d+)/claim"', inbox):
        person.send(case_id, f"/cases/{case_id}/tasks/{task_id}/claim", {"back": "inbox"})
    inbox = person.page("/tasks")
    for task_id in re.findall(rf'action="/cases/{case_id}/tasks/(\d+)/complete"', inbox):
        person.send(case_id, f"/cases/{case_id}/tasks/{task_id}/complete", {"note": "done", "back": "inbox"})


def gate(requester: Person, approver: Person, case_id: int, target: str) -> None:
    do_tasks(requester, case_id)
    requester.send(case_id, f"/cases/{case_id}/gate", {"target": target, "note": "ready"})
    request_id = re.search(r"/reviews/(\d+)/approve", approver.page(f"/cases/{case_id}")).group(1)
    approver.send(case_id, f"/reviews/{request_id}/approve", {"reason": "checked"})


def state(db, case_id: int) -> Case:
    with db.sessions() as session:
        return session.get(Case, case_id)


def evaluate(analyst: Person, case_id: int, recommendation: str, outcome: str = "") -> None:
    factors = ("taboo", "norms", "lack_of_benefit", "deterrence")
    pressures = ("repeated_violation", "perceived_utility", "ease_of_access", "diminished_attention")
    analyst.send(case_id, f"/cases/{case_id}/evaluation", {
        **{f: "strengthened" for f in factors}, **{f"{f}_rationale": "no new use" for f in factors},
        **{p: "receding" for p in pressures}, **{f"{p}_rationale": "suppliers listed" for p in pressures},
        "repeat_use": "no", "recommendation": recommendation, "outcome": outcome,
        "lessons": "listings worked"})


def test_reported_to_closed_and_escalated_and_closed_again(app, db, cast):
    ivy, ana, leo, sue, sam = (Person(app, name) for name in ("ivy", "ana", "leo", "sue", "sam"))
    response = post(ivy.client, "/cases/new", {"title": "Chlorine on Douma", "occurred_on": "2018-04-07",
                                               "occurred_precision": "day", "country": "Syria",
                                               "place": "Douma", "suspected_agent": "chlorine"})
    case_id = int(response.headers["Location"].rsplit("/", 1)[1])
    for username, role in (("ivy", "lead_investigator"), ("ana", "analyst"), ("leo", "legal_officer")):
        sue.send(case_id, f"/cases/{case_id}/team", {"member": f"{cast[username].id}:{role}"})

    ivy.send(case_id, f"/cases/{case_id}/evidence/new", {
        "kind": "document", "title": "Hospital report", "source_grade": "B", "information_grade": "2",
        "file": (io.BytesIO(b"%PDF-1.4 report"), "report.pdf")}, content_type="multipart/form-data")
    gate(ivy, sue, case_id, "investigation")

    where = ivy.send(case_id, f"/cases/{case_id}/evidence/new", {
        "kind": "environmental_sample", "title": "Soil", "source_grade": "A", "information_grade": "2"})
    sample = where.rsplit("/", 1)[1]
    ivy.send(case_id, f"{where}/custody", {"action": "collected", "at": "2018-04-21T10:00", "to_holder": "ivy"})
    for lab in ("Lab A", "Lab B"):
        ivy.send(case_id, f"{where}/analyses", {"laboratory": lab, "designated": "y", "result": "chlorinated organics"})
    ivy.send(case_id, f"/cases/{case_id}/findings/new", {
        "kind": "use_determination", "conclusion": "confirmed", "agent": "chlorine",
        "rationale": "two labs", "cited": [sample]})
    message(ivy, case_id)
    gate(ivy, sam, case_id, "attribution")

    ana.send(case_id, f"/cases/{case_id}/findings/new", {
        "kind": "attribution", "conclusion": "attributed", "responsible_party": "Air force unit",
        "party_type": "state", "standard_of_proof": "reasonable_grounds", "rationale": "flight data",
        "cited": ["1", sample]})
    message(ana, case_id)
    gate(ana, sue, case_id, "legal_consequence")

    where = leo.send(case_id, f"/cases/{case_id}/responses/new", {
        "level": "multilateral", "tool": "economic", "catalog_key": "regional_listings",
        "actor": "EU Council", "description": "List the unit's commanders", "legally_binding": "y",
        "strategies": ["zero_tolerance"]})
    response_id = re.search(r"/responses/(\d+)", leo.page(f"/cases/{case_id}")).group(1)
    leo.send(case_id, f"/cases/{case_id}/responses/{response_id}/status",
             {"status": "adopted", "reason": "Council decision", "legally_binding": "y"})
    message(leo, case_id)
    gate(leo, sam, case_id, "implementation")

    leo.send(case_id, f"/cases/{case_id}/responses/{response_id}/milestones",
             {"description": "Listing published", "due_on": "2031-01-01"})
    message(leo, case_id)
    gate(leo, sue, case_id, "evaluation")

    evaluate(ana, case_id, "close", "restraint restored")
    message(ana, case_id)
    gate(ana, sam, case_id, "closed")
    closed = state(db, case_id)
    assert (closed.state, closed.outcome) == ("closed", "restraint restored") and closed.closed_at

    sue.send(case_id, f"/cases/{case_id}/reopen", {"target": "legal_consequence",
                                                   "reason": "repeat use reported: escalate"})
    assert state(db, case_id).state == "legal_consequence" and state(db, case_id).outcome is None
    message(leo, case_id)  # the messages of the first pass do not count for this one
    gate(leo, sam, case_id, "implementation")
    message(leo, case_id)
    gate(leo, sue, case_id, "evaluation")
    evaluate(ana, case_id, "close", "restraint restored")
    message(ana, case_id)
    gate(ana, sam, case_id, "closed")
    assert state(db, case_id).state == "closed"

    with db.sessions() as session:
        assert audit.verify_chain(session).ok
        moves = session.execute(select(AuditEvent.event_type, AuditEvent.from_state, AuditEvent.to_state,
                                       AuditEvent.actor_username)
                                .where(AuditEvent.case_id == case_id,
                                       AuditEvent.event_type.in_(("gate_approved", "case_reopened")))
                                .order_by(AuditEvent.seq)).all()
    assert [(m.from_state, m.to_state) for m in moves] == [
        ("reported", "investigation"), ("investigation", "attribution"),
        ("attribution", "legal_consequence"), ("legal_consequence", "implementation"),
        ("implementation", "evaluation"), ("evaluation", "closed"), ("closed", "legal_consequence"),
        ("legal_consequence", "implementation"), ("implementation", "evaluation"),
        ("evaluation", "closed")]
    assert {m.actor_username for m in moves} == {"sue", "sam"}
