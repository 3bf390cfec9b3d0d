"""Evaluating a case against the four factors that restrain chemical-weapons use."""
from __future__ import annotations

from sqlalchemy.orm import Session

from models.evaluation import FACTORS, RATINGS, RECOMMENDATIONS, REPEAT_USE, Evaluation
from workflow import command, permissions, tasks
from workflow.audit import Actor
from workflow.fields import one_of, text
from workflow import pathway

#: The target stage each recommendation leads to (derived from the pathway's gates).
RECOMMENDED_TARGET = pathway.RECOMMENDED_TARGET


def record_evaluation(session: Session, actor: Actor, case_id: int, *, expected_version,
                      ratings: dict[str, str], rationales: dict[str, str], repeat_use: str,
                      recommendation: str, lessons: str = "", outcome: str = "") -> Evaluation:
    """Record an evaluation; it replaces earlier ones in the gates."""
    cmd = command.begin(session, actor, case_id, action=permissions.RECORD_EVALUATION,
                        expected_version=expected_version)
    case = cmd.case
    permissions.require(permissions.can_record_evaluation(actor, case, cmd.pending))
    fields = {}
    for factor in FACTORS:
        fields[factor] = one_of(ratings.get(factor), factor, RATINGS)
        fields[f"{factor}_rationale"] = text(rationales.get(factor), f"{factor}_rationale", 10_000, True)
    evaluation = Evaluation(
        case_id=case.id, **fields, repeat_use=one_of(repeat_use, "repeat_use", REPEAT_USE),
        recommendation=one_of(recommendation, "recommendation", RECOMMENDATIONS),
        lessons=text(lessons, "lessons", 20_000),
        outcome=text(outcome, "outcome", 64, required=recommendation == "close"), author_id=actor.id)
    session.add(evaluation)
    session.flush()
    done = tasks.lock_completed_by(cmd, "evaluation")
    cmd.record("evaluation_recorded", "evaluation", evaluation.id, {
        **fields, "repeat_use": evaluation.repeat_use, "recommendation": evaluation.recommendation,
        "lessons": evaluation.lessons, "outcome": evaluation.outcome})
    tasks.complete_by_record(cmd, done, "evaluation", "evaluation", evaluation.id)
    return evaluation
