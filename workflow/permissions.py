"""Who may do what: a role × action table, need-to-know, read like sentences (DESIGN §1)."""
from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import ColumnElement, false, select, true

from models.case import Case, CaseMember
from workflow.stages import CLOSED, reopen_targets
from workflow.roles import ADMIN, ANALYST, AUDITOR, INVESTIGATOR, LEGAL_OFFICER, SUPERVISOR

VIEW_CASE = "view_case"
OPEN_CASE = "open_case"
EDIT_CASE = "edit_case"
REQUEST_GATE = "request_gate"
WITHDRAW_GATE = "withdraw_gate"
DECIDE_GATE = "decide_gate"
REOPEN = "reopen"
MANAGE_TEAM = "manage_team"
RECORD_EVIDENCE = "record_evidence"
RECORD_FINDING = "record_finding"
RECORD_RESPONSE = "record_response"
RECORD_MESSAGE = "record_message"
RECORD_EVALUATION = "record_evaluation"
WORK_TASK = "work_task"
READ_AUDIT = "read_audit"

#: The actions each role grants. Deny unless granted.
PERMISSIONS: dict[str, frozenset[str]] = {
    INVESTIGATOR: frozenset({VIEW_CASE, OPEN_CASE, EDIT_CASE, REQUEST_GATE, WITHDRAW_GATE,
                             RECORD_EVIDENCE, RECORD_FINDING, RECORD_MESSAGE, WORK_TASK}),
    ANALYST: frozenset({VIEW_CASE, REQUEST_GATE, WITHDRAW_GATE, RECORD_EVIDENCE, RECORD_FINDING,
                        RECORD_MESSAGE, RECORD_EVALUATION, WORK_TASK}),
    LEGAL_OFFICER: frozenset({VIEW_CASE, REQUEST_GATE, WITHDRAW_GATE, RECORD_RESPONSE,
                              RECORD_MESSAGE, WORK_TASK}),
    SUPERVISOR: frozenset({VIEW_CASE, OPEN_CASE, EDIT_CASE, DECIDE_GATE, REOPEN, MANAGE_TEAM,
                           RECORD_MESSAGE, RECORD_EVALUATION, WORK_TASK, READ_AUDIT}),
    AUDITOR: frozenset({VIEW_CASE, READ_AUDIT}),
    ADMIN: frozenset(),
}
#: Roles that see every case; the working roles see only the cases whose team they are on.
SEES_ALL_CASES = frozenset({SUPERVISOR, AUDITOR})
WORDS = {
    VIEW_CASE: "Seeing cases", OPEN_CASE: "Opening a case", EDIT_CASE: "Editing a case",
    REQUEST_GATE: "Requesting a gate", WITHDRAW_GATE: "Withdrawing a gate request",
    DECIDE_GATE: "Deciding a gate request", REOPEN: "Reopening a case",
    MANAGE_TEAM: "Changing a case's team", RECORD_EVIDENCE: "Recording evidence",
    RECORD_FINDING: "Recording a finding", RECORD_RESPONSE: "Choosing and tracking responses",
    RECORD_MESSAGE: "Recording a deterrence message", RECORD_EVALUATION: "Recording an evaluation",
    WORK_TASK: "Working on tasks", READ_AUDIT: "Reading the audit log",
}


def roles_for(action: str) -> list[str]:
    return [role for role, actions in PERMISSIONS.items() if action in actions]


def needs(action: str) -> str:
    """The sentence that tells a refused user which role an action needs."""
    roles = " or ".join(roles_for(action))
    return f"{WORDS[action]} needs the {roles} role."


def _is_member(user, case: Case) -> bool:
    return case.member(user.id) is not None


def can(user, action: str, case: Case | None = None) -> bool:
    """Whether `user` (a User or an Actor) may take `action`, on `case` if given."""
    member = None
    for role in user.roles:
        if action not in PERMISSIONS.get(role, ()):
            continue
        if case is None or role in SEES_ALL_CASES:
            return True
        if member is None:
            member = _is_member(user, case)
        if member:
            return True
    return False


def can_see(user, case: Case) -> bool:
    return can(user, VIEW_CASE, case)


def sees_all_cases(user) -> bool:
    """Whether `user` holds a role that sees every case (no team needed)."""
    return any(role in SEES_ALL_CASES for role in user.roles)


def visible_cases(user) -> ColumnElement[bool]:
    """A WHERE clause selecting the cases `user` may see."""
    if sees_all_cases(user):
        return true()
    if not any(VIEW_CASE in PERMISSIONS[role] for role in user.roles):
        return false()
    return Case.id.in_(select(CaseMember.case_id).where(CaseMember.user_id == user.id))


# ---------------------------------------------------------------------------------------------
# Rules as sentences. Each predicate answers with `Allowed(ok, reason)`: the reason says why
# not, in words a user reads. The services, the pathway machine and the pages use these same
# predicates, so a rule is written once.


class Allowed(NamedTuple):
    """Whether a command may run, and if not, why (an empty reason when it may)."""

    ok: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.ok


YES = Allowed(True)
#: Separation of duties, in the words every refusal of it uses (the pathway machine's too).
FOUR_EYES = "You requested this gate: another supervisor must decide it (four-eyes)."
ONLY_REQUESTER = "Only the person who requested a gate can withdraw it."


def allowed(user, action: str, case: Case | None = None) -> Allowed:
    """`can`, with the sentence that says which role the action needs."""
    return YES if can(user, action, case) else Allowed(False, needs(action))


def _first_refusal(*answers: Allowed | None) -> Allowed:
    """The first refusal among the answers (None: that rule has nothing against it), else YES."""
    return next((answer for answer in answers if answer is not None), YES)


def _closed(case: Case) -> Allowed | None:
    if case.state == CLOSED:
        return Allowed(False, f"Case {case.reference} is closed; a supervisor can reopen it.")
    return None


def _under_review(case: Case, pending) -> Allowed | None:
    if pending is not None:
        return Allowed(False, f"Case {case.reference} is under review (gate to {pending.target}); "
                              "it changes only by the decision on that request or its withdrawal.")
    return None


def can_change(user, case: Case, pending=None, action: str = EDIT_CASE) -> Allowed:
    """Whether `user` may take `action` on `case`'s records now: allowed, open, not under review."""
    if not can(user, action, case):
        return Allowed(False, needs(action))
    return _first_refusal(_closed(case), _under_review(case, pending))


def can_request(user, case: Case, pending=None) -> Allowed:
    """Whether `user` may ask for a gate out of the case's stage now."""
    if not can(user, REQUEST_GATE, case):
        return Allowed(False, needs(REQUEST_GATE))
    if case.state == CLOSED:
        return Allowed(False, f"Case {case.reference} is closed: no gate leads out of it.")
    if pending is not None:
        return Allowed(False, f"Case {case.reference} is already under review "
                              f"(gate to {pending.target}); decide that request first.")
    return YES


def can_decide(user, request, case: Case | None = None) -> Allowed:
    """Whether `user` may approve or reject `request`: a supervisor, not its requester."""
    case = case if case is not None else request.case
    if not can(user, DECIDE_GATE, case):
        return Allowed(False, needs(DECIDE_GATE))
    if request.decision != "pending":
        return Allowed(False, f"This request was already {request.decision}.")
    if request.requested_by_id == user.id:
        return Allowed(False, FOUR_EYES)
    return YES


def can_withdraw(user, request) -> Allowed:
    """Whether `user` may take `request` back: only its requester, while it is pending."""
    if request.decision != "pending":
        return Allowed(False, f"This request was already {request.decision}.")
    if request.requested_by_id != user.id:
        return Allowed(False, ONLY_REQUESTER)
    return YES


def can_reopen(user, case: Case, pending=None) -> Allowed:
    """Whether `user` may send the case back to an earlier stage now."""
    if not can(user, REOPEN, case):
        return Allowed(False, needs(REOPEN))
    if not reopen_targets(case.state):
        return Allowed(False, f"A case in {case.state} has no earlier stage to reopen to.")
    return _first_refusal(_under_review(case, pending))


def may_work_on(user, task) -> bool:
    """Holders of the task's role who may act on its case (team members, or supervisors)."""
    return task.role in user.roles and (
        SUPERVISOR in user.roles or task.case.member(user.id) is not None)


def can_claim(user, task) -> Allowed:
    """Whether `user` may take `task` from the queue of its role."""
    if task.case.state == CLOSED:
        return Allowed(False, f"Case {task.case.reference} is closed; its tasks are kept as they are.")
    if not may_work_on(user, task):
        return Allowed(False, f"This task is for the {task.role} queue of the case's team.")
    if task.status != "open" or task.assignee_id is not None:
        who = task.assignee.username if task.assignee else "nobody"
        return Allowed(False, f"This task is {task.status.replace('_', ' ')} (assigned to {who}); "
                              "it cannot be claimed.")
    return YES


def can_complete(user, task) -> Allowed:
    """Whether `user` may mark `task` done: the person it is assigned to, while it is open."""
    if task.case.state == CLOSED:
        return Allowed(False, f"Case {task.case.reference} is closed; its tasks are kept as they are.")
    if task.status not in ("open", "in_progress"):
        return Allowed(False, f"This task is {task.status} already.")
    if task.assignee_id != user.id:
        return Allowed(False, "Only the person the task is assigned to can complete it; claim it first.")
    return YES


#: The commands `available` answers for, each with the action it needs on a case's records.
RECORD_COMMANDS = {"edit_case": EDIT_CASE, "manage_team": MANAGE_TEAM,
                   "record_evidence": RECORD_EVIDENCE, "record_finding": RECORD_FINDING,
                   "record_response": RECORD_RESPONSE, "record_message": RECORD_MESSAGE,
                   "record_evaluation": RECORD_EVALUATION}


def available(case: Case, user, pending=None) -> dict[str, Allowed]:
    """Every command on `case` for `user`, mapped to Allowed(ok, reason).

    Keys: the record commands of RECORD_COMMANDS, and request_gate, approve_gate,
    reject_gate, withdraw_gate, reopen. `pending` is the case's pending gate request, if any
    (the caller has it loaded). A page shows a button when `ok`, else the reason.
    """
    commands = {name: can_change(user, case, pending, action)
                for name, action in RECORD_COMMANDS.items()}
    commands["request_gate"] = can_request(user, case, pending)
    none = Allowed(False, f"Case {case.reference} has no pending gate request.")
    decide = can_decide(user, pending, case) if pending is not None else none
    commands["approve_gate"] = commands["reject_gate"] = decide
    commands["withdraw_gate"] = can_withdraw(user, pending) if pending is not None else none
    commands["reopen"] = can_reopen(user, case, pending)
    return commands
