"""Property: random commands by random users never break the pathway's promises."""
from __future__ import annotations

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from models.audit import AuditEvent
from models.case import Case
from workflow import cases, gates, pathway, reviews
from workflow.errors import WorkflowError
from workflow.pathway import GATES, STAGES, reopen_targets
from workflow.command import ANY_VERSION

# "fit" is the user whose part it is to give that command, so that moves actually happen;
# everyone else tries too.
USERS = ["fit"] * 9 + ["ivy", "ana", "leo", "sue", "sam", "ian", "aud", "adm", "out"]
FIT = {"request": "ivy", "withdraw": "ivy", "blank_place": "ivy", "fill_place": "ivy"}
COMMANDS = st.lists(st.tuples(
    st.sampled_from(["request"] * 4 + ["approve"] * 4 + ["satisfy"] * 3 + [
        "reject", "withdraw", "reopen", "lead", "unlead", "blank_place", "fill_place"]),
    st.sampled_from(USERS),
    st.sampled_from(["next"] * 7 + list(STAGES)),
), min_size=12, max_size=40)


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(commands=COMMANDS)
def test_random_commands_keep_the_pathways_promises(db, cast, make_case, satisfy, commands):
    case_id = make_case()
    history = []  # (from, to) of every move the case made

    def current() -> Case:
        with db.sessions() as session:
            return session.get(Case, case_id)

    for command, username, target in commands:
        actor = cast[FIT.get(command, "sam") if username == "fit" else username]
        before = current()
        if target == "next":  # the plausible target: the next gate, or one stage back to reopen
            plausible = reopen_targets(before.state)[-1:] if command == "reopen" else GATES.get(before.state)
            target = (plausible or STAGES)[0]
        with db.sessions() as session:
            pending = cases.pending_request(session, case_id)
            met = (pathway.checklist(session, session.get(Case, case_id), pending.target).all_met
                   if pending else None)
        try:
            if command == "satisfy" and before.state in GATES:
                satisfy(case_id, GATES[before.state][0])
            with db.transaction() as session:
                if command == "request":
                    reviews.request_gate(session, actor, case_id, expected_version=before.version,
                                         target=target)
                elif command in ("approve", "reject", "withdraw") and pending:
                    service = {"approve": reviews.approve_gate, "reject": reviews.reject_gate,
                               "withdraw": reviews.withdraw_gate}[command]
                    reason = {} if command == "withdraw" else {"reason": "reason given"}
                    service(session, actor, pending.id, expected_version=before.version, **reason)
                    if command in ("approve", "reject"):
                        assert pending.requested_by_id != actor.id, "requester decided own request"
                    if command == "approve":
                        assert met, "approved past a gate whose requirements were unmet"
                        assert pending.target in GATES[before.state]
                elif command == "reopen":
                    reviews.reopen(session, actor, case_id, expected_version=before.version,
                                   target=target, reason="new evidence")
                    assert target in reopen_targets(before.state)
                elif command in ("lead", "unlead"):
                    if command == "lead":
                        cases.set_member(session, actor, case_id, expected_version=ANY_VERSION,
                                         user_id=cast["ivy"].id, case_role="lead_investigator")
                    else:
                        cases.set_member(session, actor, case_id, expected_version=ANY_VERSION,
                                         user_id=cast["ivy"].id, case_role="investigator")
                elif command in ("blank_place", "fill_place"):
                    cases.update_case(session, actor, case_id, expected_version=before.version,
                                      place="" if command == "blank_place" else "Saraqib")
        except WorkflowError:
            pass
        after = current()
        if after.state != before.state:
            history.append((before.state, after.state))
            event(f"moved {before.state} -> {after.state}")

    with db.sessions() as session:
        moves = session.execute(
            select(AuditEvent.from_state, AuditEvent.to_state)
            .where(AuditEvent.case_id == case_id,
                   AuditEvent.event_type.in_(("gate_approved", "case_reopened")))
            .order_by(AuditEvent.seq)).all()
    assert [tuple(m) for m in moves] == history
