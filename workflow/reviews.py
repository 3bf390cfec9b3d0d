"""Gate commands: request, approve, reject, withdraw, and reopen (DESIGN §2).

Each only loads and locks the case (workflow/command.py), fires the pathway machine and
returns: the machine decides (workflow/pathway.py), and the `Move` below is what its
callbacks change and record.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from models.case import Case
from models.gate_request import GateRequest
from workflow import audit, command, gates, permissions, queries, rows, tasks
from workflow.audit import Actor
from workflow.audit_chain import canonical_json
from workflow.clock import utcnow
from workflow.errors import Invalid
from workflow.words import _
from workflow.pathway import CLOSED, CLOSING_OUTCOMES, EVALUATION, IMPORT_TRIGGER, fire

#: The audit event each trigger writes, and the decision it gives a pending request.
EVENT_TYPES = {"request_gate": "gate_requested", "approve_gate": "gate_approved",
               "reject_gate": "gate_rejected", "withdraw_gate": "gate_withdrawn",
               "reopen": "case_reopened", IMPORT_TRIGGER: "history_imported"}
DECISIONS = {"approve_gate": "approved", "reject_gate": "rejected", "withdraw_gate": "withdrawn"}


@dataclass
class Move:
    """One firing of the machine on a loaded case: what the rules read, and what they found."""

    cmd: command.CaseCommand
    target: str | None = None
    reason: str = ""
    reason_for: str = "request is rejected"
    note: str = ""
    #: "now" for a request, "at approval time" for an approval (in the refusal's words).
    when: str = "now"
    #: The decider confirms closing against what the evaluation records; the machine keeps
    #: what was confirmed for the event.
    confirmed: bool = False
    confirmed_risks: list = field(default_factory=list)
    #: Set by the machine: the gate's checklist (when it has one) and the reasons it refuses.
    checklist: gates.Checklist | None = None
    reasons: list = field(default_factory=list)
    #: Filled by the callbacks: the row the event is about, and its details.
    request: GateRequest | None = None
    details: dict = field(default_factory=dict)
    create_tasks: bool = True
    history: dict | None = None
    #: The audit events of the tasks the move cancels and creates, appended after its own.
    task_events: list = field(default_factory=list)

    @property
    def session(self) -> Session:
        return self.cmd.session

    @property
    def case(self) -> Case:
        return self.cmd.case

    @property
    def actor(self) -> Actor:
        return self.cmd.actor

    @property
    def pending(self) -> GateRequest | None:
        return self.cmd.pending

    def allowed(self, action: str) -> tuple[bool, str]:
        return permissions.allowed(self.actor, action, self.case)

    def enter(self, source: str, dest: str) -> None:
        """on_enter: the open tasks of the stage left are cancelled, the new stage's created."""
        self.cmd.step()
        self.case.entered_stage_at = None  # entered now: the log has it once the move is written
        if dest == CLOSED and source != CLOSED:
            self.case.outcome, self.case.closed_at = self._closing_outcome(source), utcnow()
        elif source == CLOSED:
            self.case.outcome, self.case.closed_at = None, None
        tasks.cancel_stage_tasks(self.session, self.case, source, self.actor,
                                 audit_later=self.task_events)
        if self.create_tasks:
            tasks.create_stage_tasks(self.session, self.case, self.actor, stage=dest,
                                     audit_later=self.task_events)

    def _closing_outcome(self, source: str) -> str:
        """The outcome a case closes with: the evaluation's, or the one its closing stage implies."""
        if self.history is not None:
            return self.history["outcome"]
        if source == EVALUATION:
            with self.session.no_autoflush:
                evaluation = queries.latest_evaluation(self.session, self.case.id)
            if evaluation is not None and evaluation.outcome:
                return evaluation.outcome
        return CLOSING_OUTCOMES[source]

    def record(self, trigger: str, source: str, dest: str) -> None:
        """after: the move is made; its rows change and its audit event is written."""
        case, actor, request = self.case, self.actor, self.pending
        snapshot = self.checklist.snapshot() if self.checklist is not None else None
        moved = dest != source
        if trigger == "request_gate":
            request = GateRequest(case_id=case.id, from_state=source, target=self.target,
                                  requested_by_id=actor.id, requested_at=utcnow(),
                                  note=self.note, checklist=canonical_json(snapshot),
                                  decision="pending", reason="")
            details = {"target": self.target, "note": self.note, "checklist": snapshot}
        elif trigger in DECISIONS:
            request.decision, request.decided_by_id = DECISIONS[trigger], actor.id
            request.decided_at, request.reason = utcnow(), self.reason
            if trigger == "approve_gate":
                details = {"reason": self.reason, "outcome": case.outcome,
                           "requested_by": request.requested_by_id, "checklist": snapshot}
                if self.confirmed_risks:
                    details["confirmed_risks"] = self.confirmed_risks
            else:
                details = {"target": request.target, "reason": self.reason}
        elif trigger == "reopen":
            details = {"reason": self.reason}
        else:
            case.history_imported = True
            details = {"source": self.history["source"], "outcome": self.history["outcome"],
                       "imported_history": True}
            if self.history.get("moves"):
                details["moves"] = self.history["moves"]
        self.request = request
        self.cmd.step()
        if request is not None:
            rows.add(self.session, request) if trigger == "request_gate" else rows.save(
                self.session, request)
            entity = ("gate_request", request.id)
        else:
            entity = ("case", case.id)
        # The move's own event first, then those of the tasks it cancelled and created.
        audit.append_many(self.session, [(EVENT_TYPES[trigger], actor, dict(
            case_id=case.id, entity_type=entity[0], entity_id=entity[1], from_state=source,
            to_state=dest if moved else None, details=details)), *self.task_events])
        rows.save(self.session, case)


def request_gate(session: Session, actor: Actor, case_id: int, *, expected_version, target: str,
                 note: str = "") -> GateRequest:
    """Ask for the case to pass the gate to `target`; every requirement must be met now."""
    cmd = command.begin_on_stage(session, actor, case_id, action=permissions.REQUEST_GATE,
                                 expected_version=expected_version)
    move = Move(cmd, target=target, note=(note or "").strip())
    fire(cmd.case, "request_gate", move)
    return move.request


def approve_gate(session: Session, actor: Actor, request_id: int, *, expected_version,
                 reason: str = "", confirm: bool = False) -> Case:
    """Approve a request: the requirements are checked again, then the case moves. Closing
    against what the evaluation records needs `confirm` and a reason."""
    cmd = command.begin_on_request(session, actor, request_id, action=permissions.DECIDE_GATE,
                                   expected_version=expected_version)
    move = Move(cmd, target=cmd.pending.target, reason=(reason or "").strip(),
                when="at approval time", confirmed=bool(confirm))
    fire(cmd.case, "approve_gate", move)
    return cmd.case


def reject_gate(session: Session, actor: Actor, request_id: int, *, expected_version,
                reason: str) -> Case:
    """Reject a request with a written reason; the case stays where it is."""
    cmd = command.begin_on_request(session, actor, request_id, action=permissions.DECIDE_GATE,
                                   expected_version=expected_version)
    fire(cmd.case, "reject_gate", Move(cmd, reason=(reason or "").strip()))
    return cmd.case


def withdraw_gate(session: Session, actor: Actor, request_id: int, *, expected_version) -> Case:
    """The requester takes their request back."""
    cmd = command.begin_on_request(session, actor, request_id, action=permissions.WITHDRAW_GATE,
                                   expected_version=expected_version)
    fire(cmd.case, "withdraw_gate", Move(cmd))
    return cmd.case


def reopen(session: Session, actor: Actor, case_id: int, *, expected_version, target: str,
           reason: str) -> Case:
    """Send a case back to an earlier stage, with a written reason."""
    cmd = command.begin_on_stage(session, actor, case_id, action=permissions.REOPEN,
                                 expected_version=expected_version)
    fire(cmd.case, "reopen", Move(cmd, target=target, reason=(reason or "").strip(),
                                  reason_for="case is reopened"))
    return cmd.case


def import_history(session: Session, actor: Actor, case_id: int, *, expected_version,
                   target: str, source: str, outcome: str | None = None,
                   moves: list | None = None) -> Case:
    """Place a just-imported case at the stage its documented history supports, marked as such;
    `moves`: the dated stages of its record ([stage, ISO date or None], first stage to target)."""
    if target == CLOSED and not outcome:
        raise Invalid(_("outcome: a closed history needs its outcome"), "outcome")
    cmd = command.begin(session, actor, case_id, action=permissions.OPEN_CASE,
                        expected_version=expected_version)
    move = Move(cmd, target=target, create_tasks=False,
                history={"source": source, "outcome": outcome, "moves": moves})
    fire(cmd.case, IMPORT_TRIGGER, move)
    return cmd.case
