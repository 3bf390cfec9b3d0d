"""The pages offer exactly what `permissions.available()` allows, and say why not.

The case page is rendered for every role in every stage, with and without a pending gate
request (asked by an investigator, or by a supervisor who is also on the team), and parsed:
every button or link of a command is allowed by `available()`, every allowed command has
one, and every refusal that concerns the user (one of their roles grants the command) is
shown with its reason where the button would be. The task rows, the team page, the review
queue and the navigation are checked the same way.
"""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from models.case import Case
from models.gate_request import GateRequest
from models.task import Task
from workflow import cases, permissions, reviews, tasks
from workflow.audit import Actor
from workflow.command import ANY_VERSION
from workflow.pathway import CLOSED, GATES, STAGES

WORKING = {"investigator", "analyst", "legal_officer"}
#: Who may ever take each command (DESIGN §1): a refusal is explained to holders of these roles
#: only; the others are not told beside every button what their roles never allow.
ROLES_FOR = {
    "edit_case": {"investigator", "supervisor"},
    "manage_team": {"supervisor"},
    "record_evidence": {"investigator", "analyst"},
    "record_finding": {"investigator", "analyst"},
    "record_response": {"legal_officer"},
    "propose_response": {"legal_officer"},
    "record_message": WORKING | {"supervisor"},
    "record_evaluation": {"analyst", "supervisor"},
    "request_gate": WORKING,
    "approve_gate": {"supervisor"},
    "reject_gate": {"supervisor"},
    "withdraw_gate": WORKING,
    "reopen": {"supervisor"},
    "manage_tasks": {"supervisor"},
    "produce_dossier": WORKING | {"supervisor", "auditor"},
    "comment": WORKING | {"supervisor"},
    "read_audit": {"supervisor", "auditor"},
    "claim_task": WORKING | {"supervisor"},
    "unclaim_task": WORKING | {"supervisor"},
    "complete_task": WORKING | {"supervisor"},
    "assign_task": {"supervisor"},
    "cancel_task": {"supervisor"},
    "correct_evidence": {"investigator", "analyst"},
    "correct_response": {"legal_officer"},
    "correct_milestone": {"legal_officer"},
    "correct_task": {"supervisor"},
    "link_case": {"investigator", "supervisor"},
    "add_team_member": {"supervisor"},
    "explain_no_sample": {"supervisor"},
}
TASK_ROW_COMMANDS = ("claim_task", "unclaim_task", "complete_task")
#: Commands with no place on the case page: the team is changed on its own page, responses
#: already chosen (and their corrections) on theirs, evidence corrected on its item's page.
ELSEWHERE = {"manage_team", "record_response", "correct_evidence", "correct_response",
             "correct_milestone"}
#: Offered on the case page only where it is needed (the next stage lacks people): never
#: unless allowed; its refusals are said on the team page.
WHEN_NEEDED = {"add_team_member"}
ON_REQUEST = {"approve_gate", "reject_gate", "withdraw_gate"}
#: Approving and rejecting are one form: a refusal of the decision is said once, for both.
SAID_WITH = {"reject_gate": "approve_gate"}
#: The links that lead to a command's form on another page (a form posting on the page itself
#: is found by its method).
COMMAND_LINKS = ("/edit", "/evidence/new", "/findings/new", "/responses/new", "/evaluation",
                 "/dossier", "/audit")


@pytest.fixture
def viewers(cast, make_user) -> dict[str, Actor]:
    """Everyone who looks at the case: its team (ivy leads, ana, leo, and sia, who is also a
    supervisor), sue who supervises, aud who audits, and six, a supervisor and investigator
    who is not on the team."""
    extra = {"sia": ("investigator", "supervisor"), "six": ("investigator", "supervisor")}
    people = {name: cast[name] for name in ("ivy", "ana", "leo", "sue", "aud")}
    for name, roles in extra.items():
        people[name] = Actor(make_user(name, *roles), name, tuple(sorted(roles)))
    return people


def told(actor, command: str) -> bool:
    return bool(set(actor.roles) & ROLES_FOR[command])


def text_of(element) -> str:
    return " ".join(element.get_text().split())


def page_as(client, auth, actor, url: str) -> BeautifulSoup:
    auth.logout()
    assert auth.login(actor.username).status_code == 302
    response = client.get(url)
    assert response.status_code == 200, (actor.username, url)
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def check_refusals(where, answers: dict, actor, label) -> None:
    """Every refusal shown in `where` belongs to a refused command that concerns the user and
    reads its reason; every such refused command of `answers` is shown."""
    shown = set()
    for element in where.select('[data-testid^="refused-"]'):
        command = element["data-testid"].removeprefix("refused-")
        assert command in answers, (label, command)
        answer = answers[command]
        assert not answer.ok and told(actor, command), (label, command, "reason shown")
        assert text_of(element) == answer.reason, (label, command)
        shown.add(command)
    for command, answer in answers.items():
        if not answer.ok and told(actor, command):
            assert SAID_WITH.get(command, command) in shown, (label, command, "reason missing")


def marked(where, command: str) -> list:
    return where.select(f'[data-command="{command}"]')


def check_every_command_is_marked(soup, label) -> None:
    """No button of a command escapes the check: every form posting to the app from the page
    (but signing out) and every link to a command's form carries its command."""
    for form in soup.select('main form[method="post"]'):
        assert form.select("[data-command]"), (label, form.get("action"))
    for link in soup.select("main a[href]"):
        if urlsplit(link["href"]).path.endswith(COMMAND_LINKS):
            assert link.has_attr("data-command"), (label, link["href"])


def check_task_rows(soup, session, actor, label) -> set[int]:
    """Each task row offers claim, unclaim and complete exactly when allowed, and for a task
    still to be done that the user cannot take on, says why; the ids of the rows."""
    rows = set()
    for row in soup.select("tr[data-task]"):
        task = session.get(Task, int(row["data-task"]))
        answers = permissions.task_commands(actor, task)
        where = f"{label} task {task.id} ({task.role}, {task.status})"
        for command in TASK_ROW_COMMANDS:
            assert bool(marked(row, command)) == answers[command].ok, (where, command)
        offered = any(answers[c].ok for c in TASK_ROW_COMMANDS)
        expected = {} if offered or task.status not in ("open", "in_progress") else {
            "claim_task": answers["claim_task"]}
        check_refusals(row, expected, actor, where)
        rows.add(task.id)
    return rows


def check_case_page(client, auth, db, actor, case_id: int, label: str) -> dict:
    """The case page as `actor` sees it against `available()`; the commands it was checked with."""
    soup = page_as(client, auth, actor, f"/cases/{case_id}")
    label = f"{label} as {actor.username}"
    check_every_command_is_marked(soup, label)
    with db.sessions() as session:
        case = session.get(Case, case_id)
        pending = cases.pending_request(session, case_id)
        answers = permissions.available(case, actor, pending)
        placed = {command: answer for command, answer in answers.items()
                  if command not in ELSEWHERE | WHEN_NEEDED
                  and (pending is not None or command not in ON_REQUEST)}
        open_tasks = session.scalar(select(func.count()).select_from(Task).where(
            Task.case_id == case_id, Task.status.in_(("open", "in_progress"))))
        for command, answer in placed.items():
            # Rescheduling needs a task to reschedule.
            offered = answer.ok and (command != "correct_task" or open_tasks > 0)
            assert bool(marked(soup, command)) == offered, (label, command, answer.reason)
        for command in ELSEWHERE:
            assert not marked(soup, command), (label, command)
        for command in WHEN_NEEDED:
            assert answers[command].ok or not marked(soup, command), (label, command)
        rows = check_task_rows(soup, session, actor, label)
        page_level = soup.select_one("main")
        for row in page_level.select("tr[data-task]"):
            row.extract()  # task rows answer for their task, checked above
        check_refusals(page_level, placed, actor, label)
        for task in session.scalars(select(Task).where(Task.case_id == case_id)):
            on_task = permissions.task_commands(actor, task)
            if any(on_task[c].ok for c in TASK_ROW_COMMANDS):
                assert task.id in rows, (label, task.id, "an allowed task is not listed")
            managed = soup.select_one(f'[data-managed-task="{task.id}"]')
            for command in ("assign_task", "cancel_task"):
                shown = managed is not None and bool(marked(managed, command))
                assert shown == on_task[command].ok, (label, task.id, command)
    return answers


def check_team_page(client, auth, db, actor, case_id: int, label: str) -> None:
    """The team page changes the team when manage_team allows; under review, when only
    add_team_member does, it only adds people (not yet on the team)."""
    soup = page_as(client, auth, actor, f"/cases/{case_id}/team")
    with db.sessions() as session:
        case = session.get(Case, case_id)
        answers = permissions.available(case, actor, cases.pending_request(session, case_id))
        members = {str(m.user_id) for m in case.members}
    answer, add = answers["manage_team"], answers["add_team_member"]
    label = f"{label} team page as {actor.username}"
    assert bool(marked(soup, "manage_team")) == answer.ok, label
    assert bool(marked(soup, "add_team_member")) == (add.ok and not answer.ok), label
    if add.ok and not answer.ok:
        offered = {option["value"].split(":")[0] for option in soup.select('select[name="member"] option')
                   if option["value"]}
        assert offered and not offered & members, label
    check_refusals(soup.select_one("main"), {"manage_team": answer}, actor, label)


def claim_one_task_each(db, cast, case_id: int) -> None:
    """ivy and ana take an open task of their queues, so that rows are in progress for someone."""
    with db.transaction() as session:
        stage = session.get(Case, case_id).state
        for player in (cast["ivy"], cast["ana"]):
            task = session.scalars(select(Task).where(
                Task.case_id == case_id, Task.stage == stage, Task.status == "open",
                Task.role == player.roles[0]).order_by(Task.id)).first()
            if task is not None:
                tasks.claim(session, player, task.id)


@pytest.mark.parametrize("stage", STAGES)
def test_the_case_page_offers_what_available_allows_and_says_why_not(
        client, auth, db, cast, viewers, make_case, move, satisfy, stage):
    case_id = make_case()
    with db.transaction() as session:
        cases.set_member(session, cast["sue"], case_id, expected_version=ANY_VERSION,
                         user_id=viewers["sia"].id, case_role="investigator")
    if stage != "reported":
        move(case_id, stage)
    claim_one_task_each(db, cast, case_id)
    seen = {}
    for actor in viewers.values():
        seen[actor.username] = check_case_page(client, auth, db, actor, case_id, stage)
        check_team_page(client, auth, db, actor, case_id, stage)
    # The stage decides what is recorded: evaluations in evaluation, responses chosen from
    # legal consequence on; a closed case only reopens.
    assert seen["ana"]["record_evaluation"].ok == seen["sue"]["record_evaluation"].ok == (
        stage == "evaluation")
    assert seen["leo"]["propose_response"].ok == (
        stage in ("legal_consequence", "implementation", "evaluation"))
    assert seen["sue"]["reopen"].ok == (stage not in ("reported", "investigation"))
    assert seen["ivy"]["record_evidence"].ok == seen["ivy"]["request_gate"].ok == (stage != CLOSED)
    if stage == CLOSED:
        return
    satisfy(case_id, GATES[stage][0])
    for requester in ("ivy", "sia"):
        with db.transaction() as session:
            request_id = reviews.request_gate(session, viewers[requester], case_id,
                                              expected_version=ANY_VERSION,
                                              target=GATES[stage][0]).id
        label = f"{stage} under review, asked by {requester}"
        for actor in viewers.values():
            seen[actor.username] = check_case_page(client, auth, db, actor, case_id, label)
            check_team_page(client, auth, db, actor, case_id, label)
        # The cells the pathway turns on were all met: the requester withdraws, another decides.
        assert seen[requester]["withdraw_gate"].ok and not seen["ana"]["withdraw_gate"].ok
        assert seen["sue"]["approve_gate"].ok and seen["sia"]["approve_gate"].ok == (requester != "sia")
        with db.transaction() as session:
            reviews.withdraw_gate(session, viewers[requester], request_id, expected_version=ANY_VERSION)


def test_an_investigator_sees_why_evidence_waits_while_the_case_is_under_review(
        client, auth, db, cast, viewers, make_case, satisfy):
    case_id = make_case()
    satisfy(case_id, "investigation")
    with db.transaction() as session:
        reviews.request_gate(session, cast["ivy"], case_id, expected_version=ANY_VERSION,
                             target="investigation")
    soup = page_as(client, auth, cast["ivy"], f"/cases/{case_id}")
    evidence = soup.select_one('[data-testid="evidence"]')
    assert not evidence.select('[data-command="record_evidence"]')
    why = text_of(evidence.select_one('[data-testid="refused-record_evidence"]'))
    assert why.endswith("is under review (gate to investigation); it changes only by the "
                        "decision on that request or its withdrawal.")
    soup = page_as(client, auth, viewers["six"], f"/cases/{case_id}")  # off the team
    assert "Recording evidence on case" in text_of(
        soup.select_one('[data-testid="refused-record_evidence"]'))
    soup = page_as(client, auth, cast["aud"], f"/cases/{case_id}")  # never records evidence
    assert not soup.select('[data-testid^="refused-"]')


def test_inbox_rows_offer_what_task_commands_allow(client, auth, db, cast, viewers, make_case, move):
    first, second = make_case(), make_case()
    for case_id in (first, second):
        move(case_id, "investigation")
    claim_one_task_each(db, cast, first)
    for actor in viewers.values():
        soup = page_as(client, auth, actor, "/tasks")
        with db.sessions() as session:
            rows = check_task_rows(soup, session, actor, f"inbox as {actor.username}")
            mine = session.scalars(select(Task.id).where(Task.assignee_id == actor.id,
                                                         Task.status == "in_progress")).all()
        assert set(mine) <= rows, actor.username


def test_the_review_queue_offers_decisions_to_supervisors_other_than_the_requester(
        client, auth, db, cast, viewers, make_case, satisfy):
    requests = {}
    for requester in ("ivy", "sia"):
        case_id = make_case()
        with db.transaction() as session:
            cases.set_member(session, cast["sue"], case_id, expected_version=ANY_VERSION,
                             user_id=viewers["sia"].id, case_role="investigator")
        satisfy(case_id, "investigation")
        with db.transaction() as session:
            requests[requester] = reviews.request_gate(
                session, viewers[requester], case_id, expected_version=ANY_VERSION,
                target="investigation").id
    for actor in viewers.values():
        soup = page_as(client, auth, actor, "/reviews")
        with db.sessions() as session:
            for requester, request_id in requests.items():
                section = soup.select_one(f'[data-testid="review-{request_id}"]')
                request = session.get(GateRequest, request_id)
                answers = permissions.request_commands(actor, request)
                label = f"review asked by {requester} as {actor.username}"
                if section is None:  # off the team: the request is not listed at all
                    assert not permissions.can_see(actor, request.case), label
                    continue
                for command in ("approve_gate", "reject_gate"):
                    assert bool(marked(section, command)) == answers[command].ok, (label, command)
                check_refusals(section, {"approve_gate": answers["approve_gate"]}, actor, label)
                if actor.username == "sia" and requester == "sia":
                    assert permissions.FOUR_EYES in text_of(section), label


#: The navigation entries each role reaches (DESIGN §1: admins see no case content, auditors
#: and supervisors read the audit log, supervisors decide gates, the working roles have tasks).
NAVIGATION = {
    "investigator": {"cases", "insight", "search", "tasks"},
    "analyst": {"cases", "insight", "search", "tasks"},
    "legal_officer": {"cases", "insight", "search", "tasks"},
    "supervisor": {"cases", "insight", "search", "tasks", "reviews", "audit", "registers"},
    "auditor": {"cases", "insight", "search", "audit"}, "admin": {"users", "registers"},
}


def test_the_navigation_lists_what_each_role_may_reach(client, auth, cast):
    for username, role in (("ivy", "investigator"), ("ana", "analyst"), ("leo", "legal_officer"),
                           ("sue", "supervisor"), ("aud", "auditor"), ("adm", "admin")):
        soup = page_as(client, auth, cast[username], "/account")
        shown = {link["data-nav"] for link in soup.select("nav [data-nav]")}
        assert shown == NAVIGATION[role], username
        allowed = {entry for entry, answer in permissions.navigation(cast[username]).items() if answer}
        assert shown == allowed, username
