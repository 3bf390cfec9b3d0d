"""Who may do what: a role × action table, need-to-know, read like sentences (DESIGN §1)."""
from __future__ import annotations

from sqlalchemy import ColumnElement, false, select, true

from models.case import Case, CaseMember
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


def visible_cases(user) -> ColumnElement[bool]:
    """A WHERE clause selecting the cases `user` may see."""
    if any(role in SEES_ALL_CASES for role in user.roles):
        return true()
    if not any(VIEW_CASE in PERMISSIONS[role] for role in user.roles):
        return false()
    return Case.id.in_(select(CaseMember.case_id).where(CaseMember.user_id == user.id))
