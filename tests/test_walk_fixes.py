"""What the Khan Shaykhun walk (tests/bench/walk_khan_shaykhun.py) found missing: each fix as
the user meets it."""
from __future__ import annotations

import re
from datetime import date

from bs4 import BeautifulSoup
from sqlalchemy import select
from webclient import post

from models import Notification, Response, User
from workflow import cases, evidence, responses
from workflow.command import ANY_VERSION


def version_of(client, url: str) -> str:
    return re.search(r'name="version" type="hidden" value="(\d+)"',
                     client.get(url).get_data(as_text=True)).group(1)


def alerts(response) -> list[str]:
    """The messages a page shows at its top."""
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    return [" ".join(a.get_text().split()) for a in soup.select("[role=alert]")]


def test_the_investigator_named_lead_is_told_and_reads_it_in_the_inbox(client, auth, db, cast, make_case):
    """The opener is on the team already: naming them lead changes their role, which they must
    hear of, since only the lead may then ask for the first gate."""
    case_id = make_case(staffed=False)
    with db.transaction() as session:
        cases.set_member(session, cast["sue"], case_id, expected_version=ANY_VERSION,
                         user_id=cast["ian"].id, case_role="investigator")
        cases.set_member(session, cast["sue"], case_id, expected_version=ANY_VERSION,
                         user_id=cast["ian"].id, case_role="lead_investigator")
    with db.sessions() as session:
        told = session.execute(select(User.username, Notification.kind, Notification.details)
                               .join(User, User.id == Notification.user_id)
                               .where(Notification.case_id == case_id)).all()
    assert [(row.username, row.kind) for row in told] == [("ian", "team_added"), ("ian", "team_added")]
    auth.login("ian")
    inbox = " ".join(BeautifulSoup(client.get("/account/notifications").get_data(as_text=True),
                                   "html.parser").get_text().split())
    assert "sue made you lead investigator (was investigator) on the team of" in inbox
    assert "sue added you to the team of" in inbox


def test_a_role_unchanged_tells_nobody(db, cast, make_case):
    case_id = make_case()
    with db.transaction() as session:
        cases.set_member(session, cast["sue"], case_id, expected_version=ANY_VERSION,
                         user_id=cast["ana"].id, case_role="analyst")
    with db.sessions() as session:
        assert session.scalar(select(Notification.id).join(User, User.id == Notification.user_id)
                              .where(Notification.case_id == case_id, User.username == "ana",
                                     Notification.details.contains("before"))) is None


def test_evidence_page_confirms_custody_analysis_and_withdrawal(client, auth, db, cast, make_case):
    case_id = make_case()
    with db.transaction() as session:
        item = evidence.add_evidence(session, cast["ivy"], case_id, expected_version=ANY_VERSION,
                                     kind="environmental_sample", title="Soil from the crater").id
    url = f"/cases/{case_id}/evidence/{item}"
    auth.login("ivy")
    for path, fields, said in (
            ("custody", {"action": "collected", "at": "2017-04-04T14:00", "to_holder": "Civil defence"},
             "Custody event recorded: collected 2017-04-04 14:00 UTC to Civil defence."),
            ("custody", {"action": "transferred", "at": "2017-04-06T09:00", "from_holder": "Civil defence",
                         "to_holder": "OPCW FFM"},
             "Custody event recorded: transferred 2017-04-06 09:00 UTC from Civil defence to OPCW FFM."),
            ("analyses", {"laboratory": "Laboratory A", "designated": "y", "result": "sarin"},
             "Analysis by Laboratory A recorded."),
            ("withdraw", {"reason": "Sample mislabelled"},
             "Evidence withdrawn: it no longer counts for any gate.")):
        response = post(client, f"{url}/{path}", {"version": version_of(client, url), **fields},
                        follow_redirects=True)
        assert response.status_code == 200
        assert said in alerts(response), path
    # A refused form says why, and confirms nothing.
    response = post(client, f"{url}/custody", {"version": version_of(client, url), "action": "stored"})
    assert response.status_code == 422
    assert not [a for a in alerts(response) if a.startswith("Custody event recorded")]


def test_response_page_confirms_a_milestone_added_and_done(client, auth, db, cast, make_case, move):
    case_id = make_case()
    move(case_id, "implementation")
    with db.sessions() as session:
        response_id = session.scalar(select(Response.id).where(Response.case_id == case_id,
                                                               Response.status == "adopted"))
    url = f"/cases/{case_id}/responses/{response_id}"
    auth.login("leo")
    added = post(client, f"{url}/milestones", {"version": version_of(client, url),
                                               "description": "Designations reviewed",
                                               "due_on": "2030-04-21"}, follow_redirects=True)
    assert "Milestone added, due 2030-04-21." in alerts(added)
    with db.sessions() as session:
        milestone_id = session.scalar(select(responses.Milestone.id).where(
            responses.Milestone.description == "Designations reviewed"))
    noted = post(client, f"{url}/milestones/{milestone_id}", {"version": version_of(client, url),
                                                             "note": "Review under way"},
                 follow_redirects=True)
    assert "Milestone note saved." in alerts(noted)
    done = post(client, f"{url}/milestones/{milestone_id}", {"version": version_of(client, url),
                                                            "done_on": date.today().isoformat()},
                follow_redirects=True)
    assert f"Milestone done on {date.today().isoformat()}." in alerts(done)


def test_a_note_says_whom_it_told(client, auth, db, cast, make_case):
    case_id = make_case()
    auth.login("ivy")
    plain = post(client, f"/cases/{case_id}/comments", {"body": "The report is filed."},
                 follow_redirects=True)
    assert "Note added." in alerts(plain)
    told = post(client, f"/cases/{case_id}/comments",
                {"body": "@sue please add an analyst; @ana for the flight data. (@ivy)"},
                follow_redirects=True)
    assert "Note added; @sue, @ana are told." in alerts(told)
    refused = post(client, f"/cases/{case_id}/comments", {"body": "@out have a look"})
    assert refused.status_code == 422
    assert not [a for a in alerts(refused) if a.startswith("Note added")]


def test_a_request_decided_since_says_so_in_the_other_supervisors_inbox(client, auth, db, cast,
                                                                          make_case, satisfy):
    """A request sam decided no longer waits for sue: her inbox says so; one still waiting does not."""
    from models import Case, GateRequest
    from workflow import reviews
    decided, waiting = make_case(), make_case(place="Khan Shaykhun")
    for case_id in (decided, waiting):
        satisfy(case_id, "investigation")
        with db.transaction() as session:
            reviews.request_gate(session, cast["ivy"], case_id, expected_version=ANY_VERSION,
                                 target="investigation")
    with db.transaction() as session:
        request_id = session.scalar(select(GateRequest.id).where(GateRequest.case_id == decided))
        reviews.approve_gate(session, cast["sam"], request_id, expected_version=ANY_VERSION)
    with db.sessions() as session:
        references = {case_id: session.get(Case, case_id).reference for case_id in (decided, waiting)}
    auth.login("sue")
    soup = BeautifulSoup(client.get("/account/notifications").get_data(as_text=True), "html.parser")
    marks = {}
    for item in soup.select('[data-kind="gate_requested"]'):
        case_id = next(c for c, ref in references.items() if ref in item.get_text())
        mark = item.select_one('[data-testid="decided-since"]')
        marks[case_id] = mark.get_text() if mark else None
    assert marks == {decided: "Already approved by sam.", waiting: None}


def test_the_first_custody_event_is_offered_from_the_collection_given(client, auth, db, cast, make_case):
    """Who collected an item and when, given as it was added, start the custody form: the chain
    starts without typing them again; once it has started, the next event starts from the holder."""
    from datetime import datetime
    case_id = make_case()
    with db.transaction() as session:
        item = evidence.add_evidence(session, cast["ivy"], case_id, expected_version=ANY_VERSION,
                                     kind="environmental_sample", title="Soil from the crater",
                                     collected_at=datetime(2017, 4, 4, 14, 0),
                                     collected_by="Civil defence team").id
    url = f"/cases/{case_id}/evidence/{item}"
    auth.login("ivy")

    def custody_form():
        form = BeautifulSoup(client.get(url).get_data(as_text=True), "html.parser").select_one(
            f'form[action="{url}/custody"]')
        chosen = form.select_one('select[name="action"] option[selected]')
        return {"action": chosen["value"] if chosen else "",
                **{name: form.select_one(f'input[name="{name}"]').get("value", "")
                   for name in ("at", "from_holder", "to_holder")}}
    assert custody_form() == {"action": "collected", "at": "2017-04-04T14:00", "from_holder": "",
                              "to_holder": "Civil defence team"}
    response = post(client, f"{url}/custody", {"version": version_of(client, url), **custody_form()},
                    follow_redirects=True)
    assert "Custody event recorded: collected 2017-04-04 14:00 UTC to Civil defence team." in alerts(response)
    assert custody_form() == {"action": "", "at": "", "from_holder": "Civil defence team", "to_holder": ""}


def test_a_queued_task_taken_since_says_so_in_the_inbox(client, auth, db, cast, make_case, move):
    from models import Task
    from workflow import tasks
    case_id = make_case()
    with db.transaction() as session:
        cases.set_member(session, cast["sue"], case_id, expected_version=ANY_VERSION,
                         user_id=cast["ian"].id, case_role="investigator")
    move(case_id, "investigation")  # four tasks wait in the queue of ivy and ian
    with db.transaction() as session:
        taken = session.scalar(select(Task).where(Task.case_id == case_id,
                                                  Task.title == "Interview witnesses"))
        tasks.claim(session, cast["ivy"], taken.id)
    auth.login("ian")
    soup = BeautifulSoup(client.get("/account/notifications").get_data(as_text=True), "html.parser")
    queued = {" ".join(item.get_text().split()).split("”")[0].split("“")[1]:
              item.select_one('[data-testid="task-since"]') for item in soup.select('[data-kind="task_queued"]')}
    assert len(queued) == 4
    assert {title: mark.get_text() for title, mark in queued.items() if mark} == {
        "Interview witnesses": "Now in progress (ivy)."}


def test_the_demonstration_story_leaves_no_unread_notifications(db, cast):
    """Its cases are history by the time anyone signs in: the first real notification is not
    buried under theirs."""
    from sqlalchemy import func

    from workflow import demo
    people = {"investigator": cast["ivy"], "analyst": cast["ana"], "legal_officer": cast["leo"],
              "supervisor": cast["sue"]}
    assert demo.load_story(db, people) == len(demo.STORY)
    with db.sessions() as session:
        total = session.scalar(select(func.count()).select_from(Notification))
        unread = session.scalar(select(func.count()).select_from(Notification)
                                .where(Notification.read_at.is_(None)))
    assert total > 0 and unread == 0
