"""Who may do what: a role × action table, need-to-know, read like sentences (DESIGN §1)."""
from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import ColumnElement, and_, exists, false, or_, select, true

from models.case import Case, CaseMember
from models.database import among
from models.user import UserRole
from vocabulary import OPEN_TASK_STATUSES
from workflow.errors import Conflict, WorkflowError
from workflow.stages import (CLOSED, EVALUATION, INVESTIGATION, REPORTED, RESPONSE_STAGES,
                             reopen_targets)
from workflow.roles import ADMIN, ANALYST, AUDITOR, INVESTIGATOR, LEGAL_OFFICER, SUPERVISOR
from workflow.words import Choices, Text, _, inline

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
PRODUCE_DOSSIER = "produce_dossier"
COMMENT = "comment"
EXPLAIN_NO_SAMPLE = "explain_no_sample"
MANAGE_USERS = "manage_users"
MANAGE_REGISTERS = "manage_registers"

#: The actions each role grants. Deny unless granted.
PERMISSIONS: dict[str, frozenset[str]] = {
    INVESTIGATOR: frozenset({VIEW_CASE, OPEN_CASE, EDIT_CASE, REQUEST_GATE, WITHDRAW_GATE,
                             RECORD_EVIDENCE, RECORD_FINDING, RECORD_MESSAGE, WORK_TASK,
                             PRODUCE_DOSSIER, COMMENT}),
    ANALYST: frozenset({VIEW_CASE, REQUEST_GATE, WITHDRAW_GATE, RECORD_EVIDENCE, RECORD_FINDING,
                        RECORD_MESSAGE, RECORD_EVALUATION, WORK_TASK, PRODUCE_DOSSIER, COMMENT}),
    LEGAL_OFFICER: frozenset({VIEW_CASE, REQUEST_GATE, WITHDRAW_GATE, RECORD_RESPONSE,
                              RECORD_MESSAGE, WORK_TASK, PRODUCE_DOSSIER, COMMENT}),
    SUPERVISOR: frozenset({VIEW_CASE, OPEN_CASE, EDIT_CASE, DECIDE_GATE, REOPEN, MANAGE_TEAM,
                           RECORD_MESSAGE, RECORD_EVALUATION, WORK_TASK, READ_AUDIT,
                           PRODUCE_DOSSIER, COMMENT, EXPLAIN_NO_SAMPLE, MANAGE_REGISTERS}),
    # Auditors read every case and export its log; a dossier changes nothing but the log.
    AUDITOR: frozenset({VIEW_CASE, READ_AUDIT, PRODUCE_DOSSIER}),
    ADMIN: frozenset({MANAGE_USERS, MANAGE_REGISTERS}),
}
#: Roles that see every case; the working roles see only the cases whose team they are on.
SEES_ALL_CASES = frozenset({SUPERVISOR, AUDITOR})
WORDS = {
    VIEW_CASE: _("Seeing cases"), OPEN_CASE: _("Opening a case"), EDIT_CASE: _("Editing a case"),
    REQUEST_GATE: _("Requesting a gate"), WITHDRAW_GATE: _("Withdrawing a gate request"),
    DECIDE_GATE: _("Deciding a gate request"), REOPEN: _("Reopening a case"),
    MANAGE_TEAM: _("Changing a case's team"), RECORD_EVIDENCE: _("Recording evidence"),
    RECORD_FINDING: _("Recording a finding"), RECORD_RESPONSE: _("Choosing and tracking responses"),
    RECORD_MESSAGE: _("Recording a deterrence message"), RECORD_EVALUATION: _("Recording an evaluation"),
    WORK_TASK: _("Working on tasks"), READ_AUDIT: _("Reading the audit log"),
    PRODUCE_DOSSIER: _("Producing a case's dossier"), COMMENT: _("Writing notes on a case"),
    MANAGE_USERS: _("Managing user accounts"), MANAGE_REGISTERS: _("Maintaining the registers"),
    EXPLAIN_NO_SAMPLE: _("Recording why no sample exists"),
}


def roles_for(action: str) -> list[str]:
    return [role for role, actions in PERMISSIONS.items() if action in actions]


def needs(action: str) -> Text:
    """The sentence that tells a refused user which role an action needs."""
    return _("%(action)s needs the %(roles)s role.", action=WORDS[action],
             roles=Choices([inline(role) for role in roles_for(action)]))


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


def sees_case(user_id, case_id) -> ColumnElement[bool]:
    """A WHERE clause: the user whose id is `user_id` (a column) may see the case `case_id` (a
    value or a column); `can_see` in SQL, for choosing whom to tell of something on a case.
    Correlated by name: nested inside a count, it still speaks of the outer statement's user."""
    def holds(roles):
        return exists().where(UserRole.user_id == user_id, among(UserRole.role, sorted(roles))
                              ).correlate_except(UserRole)
    viewers = {role for role, actions in PERMISSIONS.items() if VIEW_CASE in actions}
    on_team = exists().where(CaseMember.case_id == case_id, CaseMember.user_id == user_id
                             ).correlate_except(CaseMember)
    return or_(holds(SEES_ALL_CASES & viewers), and_(holds(viewers), on_team))


# ---------------------------------------------------------------------------------------------
# Rules as sentences. Each predicate answers with `Allowed(ok, reason)`: the reason says why
# not, in words a user reads. The services, the pathway machine and the pages use these same
# predicates, so a rule is written once.


class Allowed(NamedTuple):
    """Whether a command may run, and if not, why (an empty reason when it may)."""

    ok: bool
    reason: Text | str = ""

    def __bool__(self) -> bool:
        return self.ok


YES = Allowed(True)
#: Separation of duties, in the words every refusal of it uses (the pathway machine's too).
FOUR_EYES = _("You requested this gate: another supervisor must decide it (four-eyes).")
ONLY_REQUESTER = _("Only the person who requested a gate can withdraw it.")


def require(answer: Allowed, refusal: type[WorkflowError] = Conflict) -> None:
    """Refuse (a Conflict unless told otherwise) with the answer's reason, unless it allows."""
    if not answer:
        raise refusal(answer.reason)


def _holds_role_for(user, action: str) -> bool:
    return any(action in PERMISSIONS.get(role, ()) for role in user.roles)


def _refusal(user, action: str, case: Case | None = None) -> Allowed:
    """Why `user` may not take `action`: the role it needs, or, to a holder of that role who is
    off the case's team, the team (telling them the role they hold is needed would puzzle them)."""
    if case is not None and _holds_role_for(user, action):
        return Allowed(False, _("%(action)s on case %(reference)s is for its team; you are not on it.",
                                action=WORDS[action], reference=case.reference))
    return Allowed(False, needs(action))


def allowed(user, action: str, case: Case | None = None) -> Allowed:
    """`can`, with the sentence that says which role (or team) the action needs."""
    return YES if can(user, action, case) else _refusal(user, action, case)


def _first_refusal(*answers: Allowed | None) -> Allowed:
    """The first refusal among the answers (None: that rule has nothing against it), else YES."""
    return next((answer for answer in answers if answer is not None), YES)


def _label(stage: str) -> Text:
    # The labels are declared with the pathway, which itself reads this module's sentences.
    from workflow.pathway import LABELS
    return LABELS[stage]


def _closed(case: Case) -> Allowed | None:
    if case.state == CLOSED:
        return Allowed(False, _("Case %(reference)s is closed; a supervisor can reopen it.",
                                reference=case.reference))
    return None


def _under_review(case: Case, pending) -> Allowed | None:
    if pending is not None:
        return Allowed(False, _("Case %(reference)s is under review (gate to %(target)s); it changes "
                                "only by the decision on that request or its withdrawal.",
                                reference=case.reference, target=inline(pending.target)))
    return None


def can_change(user, case: Case, pending=None, action: str = EDIT_CASE) -> Allowed:
    """Whether `user` may take `action` on `case`'s records now: allowed, open, not under review."""
    if not can(user, action, case):
        return _refusal(user, action, case)
    return _first_refusal(_closed(case), _under_review(case, pending))


def can_record_evaluation(user, case: Case, pending=None) -> Allowed:
    """Whether `user` may evaluate the case now: as a change of its records, in the evaluation stage."""
    answer = can_change(user, case, pending, RECORD_EVALUATION)
    if answer and case.state != EVALUATION:
        return Allowed(False, _("A case is evaluated in %(stage)s; this one is in %(here)s.",
                                stage=_label(EVALUATION), here=_label(case.state)))
    return answer


def can_propose_response(user, case: Case, pending=None) -> Allowed:
    """Whether `user` may put a response on the case's menu now: in the stages that choose them."""
    answer = can_change(user, case, pending, RECORD_RESPONSE)
    if answer and case.state not in RESPONSE_STAGES:
        return Allowed(False, _("Responses are chosen from %(stage)s on; this case is in %(here)s.",
                                stage=_label(RESPONSE_STAGES[0]), here=_label(case.state)))
    return answer


#: The stages in which a supervisor may record why no sample exists: before the gate that asks
#: for samples is passed.
NO_SAMPLE_STAGES = (REPORTED, INVESTIGATION)


def can_explain_no_sample(user, case: Case, pending=None) -> Allowed:
    """Whether `user` may record why the case has no sample: a change of its records, before attribution."""
    answer = can_change(user, case, pending, EXPLAIN_NO_SAMPLE)
    if answer and case.state not in NO_SAMPLE_STAGES:
        return Allowed(False, _("Why no sample exists is recorded before the case leaves %(stage)s; "
                                "this one is in %(here)s.", stage=_label(INVESTIGATION),
                                here=_label(case.state)))
    return answer


def can_add_to_team(user, case: Case, pending=None) -> Allowed:
    """Whether `user` may add someone to the team now: its supervisors, until it closes, also
    while it is under review (the next stage's people are added from the approval screen; the
    gate's requirements are checked again at approval)."""
    if not can(user, MANAGE_TEAM, case):
        return _refusal(user, MANAGE_TEAM, case)
    return _first_refusal(_closed(case))


def can_request(user, case: Case, pending=None) -> Allowed:
    """Whether `user` may ask for a gate out of the case's stage now."""
    if not can(user, REQUEST_GATE, case):
        return _refusal(user, REQUEST_GATE, case)
    if case.state == CLOSED:
        return Allowed(False, _("Case %(reference)s is closed: no gate leads out of it.",
                                reference=case.reference))
    if pending is not None:
        return Allowed(False, _("Case %(reference)s is already under review (gate to %(target)s); "
                                "decide that request first.", reference=case.reference,
                                target=inline(pending.target)))
    return YES


def can_decide(user, request, case: Case | None = None) -> Allowed:
    """Whether `user` may approve or reject `request`: a supervisor, not its requester."""
    case = case if case is not None else request.case
    if not can(user, DECIDE_GATE, case):
        return _refusal(user, DECIDE_GATE, case)
    if request.decision != "pending":
        return Allowed(False, _("This request was already %(decision)s.", decision=inline(request.decision)))
    if request.requested_by_id == user.id:
        return Allowed(False, FOUR_EYES)
    return YES


def can_withdraw(user, request) -> Allowed:
    """Whether `user` may take `request` back: only its requester, while it is pending."""
    if request.decision != "pending":
        return Allowed(False, _("This request was already %(decision)s.", decision=inline(request.decision)))
    if request.requested_by_id != user.id:
        return Allowed(False, ONLY_REQUESTER)
    return YES


def request_commands(user, request, case: Case | None = None) -> dict[str, Allowed]:
    """The commands on a gate request for `user`: approve_gate, reject_gate, withdraw_gate."""
    decide = can_decide(user, request, case)
    return {"approve_gate": decide, "reject_gate": decide,
            "withdraw_gate": can_withdraw(user, request)}


def can_reopen(user, case: Case, pending=None) -> Allowed:
    """Whether `user` may send the case back to an earlier stage now."""
    if not can(user, REOPEN, case):
        return _refusal(user, REOPEN, case)
    if not reopen_targets(case.state):
        return Allowed(False, _("A case in %(stage)s has no earlier stage to reopen to.",
                                stage=_label(case.state)))
    return _first_refusal(_under_review(case, pending))


def may_work_on(user, task) -> bool:
    """Holders of the task's role who may act on its case (team members, or supervisors)."""
    return task.role in user.roles and (
        SUPERVISOR in user.roles or task.case.member(user.id) is not None)


def _tasks_kept(case: Case) -> Allowed | None:
    if case.state == CLOSED:
        return Allowed(False, _("Case %(reference)s is closed; its tasks are kept as they are.",
                                reference=case.reference))
    return None


def can_work_on_tasks(case: Case) -> Allowed:
    """Whether the case's tasks may still change: work goes on under review, not once it is closed."""
    return _first_refusal(_tasks_kept(case))


def can_claim(user, task) -> Allowed:
    """Whether `user` may take `task` from the queue of its role."""
    if (kept := _tasks_kept(task.case)) is not None:
        return kept
    if not may_work_on(user, task):
        return Allowed(False, _("This task is for the %(role)s queue of the case's team.",
                                role=inline(task.role)))
    if task.status != "open" or task.assignee_id is not None:
        who = task.assignee.username if task.assignee else _("nobody")
        return Allowed(False, _("This task is %(status)s (assigned to %(who)s); it cannot be claimed.",
                                status=inline(task.status), who=who))
    return YES


def can_unclaim(user, task) -> Allowed:
    """Whether `user` may put `task` back in its queue: only the one working on it."""
    if (kept := _tasks_kept(task.case)) is not None:
        return kept
    if task.assignee_id != user.id or task.status != "in_progress":
        return Allowed(False, _("Only a task you are working on can go back to the queue."))
    return YES


def can_complete(user, task) -> Allowed:
    """Whether `user` may mark `task` done: the person it is assigned to, while it is open."""
    if (kept := _tasks_kept(task.case)) is not None:
        return kept
    if task.status not in OPEN_TASK_STATUSES:
        return Allowed(False, _("This task is %(status)s already.", status=inline(task.status)))
    if task.assignee_id != user.id:
        return Allowed(False, _("Only the person the task is assigned to can complete it; claim it "
                                "first."))
    return YES


def can_manage_tasks(user, case: Case) -> Allowed:
    """Whether `user` may add, assign and cancel the case's tasks: its supervisors, until it closes."""
    if not can(user, MANAGE_TEAM, case):
        return _refusal(user, MANAGE_TEAM, case)
    return can_work_on_tasks(case)


def can_manage_task(user, task) -> Allowed:
    """Whether `user` may assign or cancel `task`: tasks of its case may be managed, it is not finished."""
    answer = can_manage_tasks(user, task.case)
    if answer and task.status not in OPEN_TASK_STATUSES:
        return Allowed(False, _("This task is %(status)s already.", status=inline(task.status)))
    return answer


def task_commands(user, task) -> dict[str, Allowed]:
    """Every command on `task` for `user`: claim_task, unclaim_task, complete_task, assign_task,
    cancel_task, each mapped to Allowed(ok, reason)."""
    manage = can_manage_task(user, task)
    return {"claim_task": can_claim(user, task), "unclaim_task": can_unclaim(user, task),
            "complete_task": can_complete(user, task), "assign_task": manage, "cancel_task": manage}


def can_comment(user, case: Case) -> Allowed:
    """Whether `user` may write a note on the case (or its records) now: talk goes on under
    review, and ends when the case closes."""
    if not can(user, COMMENT, case):
        return _refusal(user, COMMENT, case)
    return _first_refusal(_closed(case))


def can_be_mentioned(user, case: Case) -> Allowed:
    """Whether a note on `case` may name `user` (an active account): only someone who may see
    the case, so that a mention tells nobody else of it."""
    if not user.active:
        return Allowed(False, _("@%(username)s is not an active account.", username=user.username))
    if not can_see(user, case):
        return Allowed(False, _("@%(username)s may not see case %(reference)s (only its team and "
                                "supervisors may); a supervisor can add them on Team first.",
                                username=user.username, reference=case.reference))
    return YES


#: The commands `available` answers for, each with the action it needs on a case's records.
RECORD_COMMANDS = {"edit_case": EDIT_CASE, "manage_team": MANAGE_TEAM,
                   "record_evidence": RECORD_EVIDENCE, "record_finding": RECORD_FINDING,
                   "record_response": RECORD_RESPONSE, "record_message": RECORD_MESSAGE,
                   "record_evaluation": RECORD_EVALUATION}


#: Corrections of recorded details (and links between cases): changes of a case's records,
#: each with the action it needs. Hashes, custody events and decisions have none.
CORRECTION_COMMANDS = {"correct_evidence": RECORD_EVIDENCE, "correct_response": RECORD_RESPONSE,
                       "correct_milestone": RECORD_RESPONSE, "correct_task": MANAGE_TEAM,
                       "link_case": EDIT_CASE}


def available(case: Case, user, pending=None) -> dict[str, Allowed]:
    """Every command on `case` for `user`, mapped to Allowed(ok, reason).

    Keys: the record commands of RECORD_COMMANDS (record_evaluation only in the evaluation
    stage; record_response is working on responses already chosen), propose_response (in the
    stages that choose responses), request_gate, approve_gate, reject_gate, withdraw_gate,
    reopen, manage_tasks, produce_dossier, read_audit (the case's audit trail) and comment;
    the corrections of CORRECTION_COMMANDS, add_team_member (also under review) and
    explain_no_sample (before attribution). `pending` is the case's pending gate request, if
    any (the caller has it loaded). A page shows a button when `ok`, else the reason.
    """
    commands = {name: can_change(user, case, pending, action)
                for name, action in RECORD_COMMANDS.items()}
    commands["record_evaluation"] = can_record_evaluation(user, case, pending)
    commands["propose_response"] = can_propose_response(user, case, pending)
    commands["request_gate"] = can_request(user, case, pending)
    if pending is not None:
        commands.update(request_commands(user, pending, case))
    else:
        none = Allowed(False, _("Case %(reference)s has no pending gate request.",
                                reference=case.reference))
        commands.update(approve_gate=none, reject_gate=none, withdraw_gate=none)
    commands["reopen"] = can_reopen(user, case, pending)
    commands["manage_tasks"] = can_manage_tasks(user, case)
    commands["produce_dossier"] = allowed(user, PRODUCE_DOSSIER, case)
    commands["comment"] = can_comment(user, case)
    commands.update({name: can_change(user, case, pending, action)
                     for name, action in CORRECTION_COMMANDS.items()})
    commands["add_team_member"] = can_add_to_team(user, case, pending)
    commands["explain_no_sample"] = can_explain_no_sample(user, case, pending)
    commands["read_audit"] = allowed(user, READ_AUDIT, case)
    return commands


#: The action each command of `available`, `request_commands` and `task_commands` needs.
COMMAND_ACTIONS = {**RECORD_COMMANDS, "propose_response": RECORD_RESPONSE,
                   "request_gate": REQUEST_GATE, "approve_gate": DECIDE_GATE,
                   "reject_gate": DECIDE_GATE, "withdraw_gate": WITHDRAW_GATE, "reopen": REOPEN,
                   "manage_tasks": MANAGE_TEAM, "produce_dossier": PRODUCE_DOSSIER, "comment": COMMENT,
                   "read_audit": READ_AUDIT,
                   "claim_task": WORK_TASK, "unclaim_task": WORK_TASK, "complete_task": WORK_TASK,
                   "assign_task": MANAGE_TEAM, "cancel_task": MANAGE_TEAM,
                   **CORRECTION_COMMANDS, "add_team_member": MANAGE_TEAM,
                   "explain_no_sample": EXPLAIN_NO_SAMPLE}


def for_page(user, commands: dict[str, Allowed]) -> dict[str, Allowed]:
    """`commands` as a page shows them to `user`: a refusal keeps its reason only if one of the
    user's roles grants the command, so that nobody reads, beside every button they lack, what
    their roles never allow (an auditor is not told on each case who may record evidence)."""
    return {name: answer if answer or _holds_role_for(user, COMMAND_ACTIONS[name])
            else Allowed(False) for name, answer in commands.items()}


#: The entries of the navigation bar that need an action, each with that action.
NAVIGATION = {"cases": VIEW_CASE, "insight": VIEW_CASE, "search": VIEW_CASE, "tasks": WORK_TASK,
              "reviews": DECIDE_GATE, "audit": READ_AUDIT, "users": MANAGE_USERS, "registers": MANAGE_REGISTERS}


def navigation(user) -> dict[str, Allowed]:
    """The navigation entries `user` may reach, each mapped to Allowed (with the role it needs)."""
    return {entry: allowed(user, action) for entry, action in NAVIGATION.items()}
