"""Recording the record a task names completes the task: once, claimed by the recorder if
nobody had it, with its own audit event; also when two people record at the same moment."""
from __future__ import annotations

import json
import threading

import pytest
from sqlalchemy import select, text

from models.audit import AuditEvent
from models.task import Task
from vocabulary import FACTORS
from workflow import audit, evaluations, evidence, pathway, responses, tasks
from workflow.command import ANY_VERSION
from workflow.errors import Conflict
from conftest import RATED_PRESSURES


def run(db, command, *args, **kwargs):
    with db.transaction() as session:
        return command(session, *args, **kwargs)


def task_of(db, case_id: int, template: str) -> Task:
    with db.sessions() as session:
        return session.scalars(select(Task).where(Task.case_id == case_id,
                                                  Task.template == template)
                               .order_by(Task.id.desc())).first()


def completions(db, task_id: int) -> list[dict]:
    with db.sessions() as session:
        payloads = session.scalars(select(AuditEvent.payload).where(
            AuditEvent.event_type == "task_completed", AuditEvent.entity_id == str(task_id))).all()
    return [json.loads(payload) for payload in payloads]


def attribute(session, actor, case_id: int):
    return evidence.record_finding(session, actor, case_id, expected_version=ANY_VERSION,
                                   kind="attribution", conclusion="inconclusive",
                                   rationale="Two plausible perpetrators.")


RECORDS = {  # stage: (the template it completes, who records, the recording)
    "investigation": ("draft_use_determination", "ivy", lambda s, a, c: evidence.record_finding(
        s, a, c, expected_version=ANY_VERSION, kind="use_determination", conclusion="confirmed",
        agent="sarin", rationale="Two laboratories agree.")),
    "attribution": ("draft_attribution", "ana", attribute),
    "legal_consequence": ("select_responses", "leo", lambda s, a, c: responses.propose_response(
        s, a, c, expected_version=ANY_VERSION, level="international", tool="legal",
        actor_name="International court", description="Prosecution of the commanders.")),
    "evaluation": ("assess_factors", "ana", lambda s, a, c: evaluations.record_evaluation(
        s, a, c, expected_version=ANY_VERSION, ratings={f: "unchanged" for f in FACTORS},
        rationales={f: "no change seen" for f in FACTORS}, **RATED_PRESSURES, repeat_use="no",
        recommendation="continue")),
}


def test_the_declared_templates_name_their_records():
    named = {(stage, t.key): t.completed_by for stage, templates in pathway.TEMPLATES.items()
             for t in templates if t.completed_by}
    assert named == {("investigation", "draft_use_determination"): "use_determination",
                     ("attribution", "draft_attribution"): "attribution",
                     ("legal_consequence", "select_responses"): "response",
                     ("evaluation", "assess_factors"): "evaluation"}
    stages = pathway.PATHWAY.stages
    twice = [s if s.name != "evaluation" else pathway.Stage(s.name, s.tasks + (
        pathway.Template("again", "Assess again", "analyst", completed_by="evaluation"),))
             for s in stages]
    with pytest.raises(pathway.DeclarationError, match="a record completes two of its tasks"):
        pathway.declare(twice, pathway.PATHWAY.gates)
    unknown = [s if s.name != "evaluation" else pathway.Stage(s.name, (
        pathway.Template("x", "X", "analyst", completed_by="custody_event"),)) for s in stages]
    with pytest.raises(pathway.DeclarationError, match="no such completing record custody_event"):
        pathway.declare(unknown, pathway.PATHWAY.gates)


@pytest.mark.parametrize("stage", RECORDS)
def test_recording_completes_the_open_task_once(db, cast, make_case, move, stage):
    template, who, record = RECORDS[stage]
    case_id = make_case()
    move(case_id, stage)
    task = task_of(db, case_id, template)
    assert (task.status, task.assignee_id) == ("open", None)
    made = run(db, record, cast[who], case_id)
    task = task_of(db, case_id, template)
    assert (task.status, task.assignee_id, task.completed_by_id) == ("done", cast[who].id, cast[who].id)
    [event] = completions(db, task.id)
    assert event["actor_username"] == who and event["details"]["claimed"] is True
    assert event["details"]["record"]["entity_id"] == made.id
    run(db, record, cast[who], case_id)  # a second record: the task is done already
    assert len(completions(db, task.id)) == 1


def test_a_task_someone_holds_is_completed_by_whoever_records_it(db, cast, make_case, move):
    case_id = make_case()
    move(case_id, "attribution")
    task = task_of(db, case_id, "draft_attribution")
    run(db, tasks.claim, cast["ana"], task.id)
    run(db, attribute, cast["ivy"], case_id)  # an investigator records the attribution
    task = task_of(db, case_id, "draft_attribution")
    assert (task.status, task.assignee_id, task.completed_by_id) == ("done", cast["ana"].id, cast["ivy"].id)
    [event] = completions(db, task.id)
    assert event["details"]["claimed"] is False and "attribution finding" in event["details"]["note"]


def test_the_form_says_which_task_recording_completes(client, auth, db, cast, make_case, move):
    case_id = make_case()
    move(case_id, "attribution")
    task = task_of(db, case_id, "draft_attribution")
    auth.login("ana")
    page = client.get(f"/cases/{case_id}/findings/new?kind=attribution").get_data(as_text=True)
    assert (f"Recording an attribution finding completes the open task “Draft the attribution "
            f"finding” (#{task.id})") in page.replace("<bdi>", "").replace("</bdi>", "")
    run(db, attribute, cast["ana"], case_id)
    page = client.get(f"/cases/{case_id}/findings/new?kind=attribution").get_data(as_text=True)
    assert 'data-testid="completes"' not in page


@pytest.mark.postgres
@pytest.mark.parametrize("round_", range(3))
def test_two_people_recording_at_once_complete_the_task_once(db, cast, make_case, move, backend,
                                                             round_):
    case_id = make_case()
    move(case_id, "attribution")
    task = task_of(db, case_id, "draft_attribution")
    barrier, outcomes = threading.Barrier(3), {}

    def act(name: str, command):
        barrier.wait()
        try:
            run(db, command)
            outcomes[name] = "ok"
        except Conflict as error:
            outcomes[name] = str(error)
    threads = [threading.Thread(target=act, args=args) for args in (
        ("ana", lambda s: attribute(s, cast["ana"], case_id)),
        ("ivy", lambda s: attribute(s, cast["ivy"], case_id)),
        # and the analyst's own claim of the task, at the same moment
        ("claim", lambda s: tasks.claim(s, cast["ana"], task.id)))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes["ana"] == outcomes["ivy"] == "ok"
    assert task_of(db, case_id, "draft_attribution").status == "done"
    assert len(completions(db, task.id)) == 1


@pytest.mark.postgres
def test_a_recorder_waiting_for_a_task_someone_holds_does_not_hold_the_audit_log(
        db, cast, make_case, move, backend):
    """Row locks come before the log's append lock: someone who has locked the task (claiming
    it) can still append, so the two never wait on each other."""
    case_id = make_case()
    move(case_id, "attribution")
    task = task_of(db, case_id, "draft_attribution")
    recorded = threading.Event()
    with db.engine.connect() as claimer:
        claimer.execute(select(Task.id).where(Task.id == task.id).with_for_update())
        recorder = threading.Thread(target=lambda: (run(db, attribute, cast["ivy"], case_id),
                                                    recorded.set()))
        recorder.start()
        recorder.join(timeout=1)  # the recorder is now waiting on the task
        assert not recorded.is_set()
        appendable = claimer.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"),
                                    {"key": audit.APPEND_LOCK_KEY})
        claimer.rollback()
    recorder.join()
    assert appendable and recorded.is_set()
    assert task_of(db, case_id, "draft_attribution").status == "done"
