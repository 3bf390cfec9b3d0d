"""Evaluating a case against the four factors that restrain chemical-weapons use and the four
pressures that erode them."""
from __future__ import annotations

from sqlalchemy.orm import Session

from models.evaluation import (FACTORS, PRESSURE_RATINGS, PRESSURES, RATINGS, RECOMMENDATIONS,
                               REPEAT_USE, Evaluation, EvaluationPressure)
from workflow import command, permissions, tasks
from workflow.audit import Actor
from workflow.fields import one_of, text
from workflow import pathway

#: The target stage each recommendation leads to (derived from the pathway's gates).
RECOMMENDED_TARGET = pathway.RECOMMENDED_TARGET


def record_evaluation(session: Session, actor: Actor, case_id: int, *, expected_version,
                      ratings: dict[str, str], rationales: dict[str, str], repeat_use: str,
                      recommendation: str, lessons: str = "", outcome: str = "",
                      pressures: dict[str, str] | None = None,
                      pressure_rationales: dict[str, str] | None = None) -> Evaluation:
    """Record an evaluation, every factor and pressure rated with its rationale; it replaces
    earlier ones in the gates."""
    cmd = command.begin(session, actor, case_id, action=permissions.RECORD_EVALUATION,
                        expected_version=expected_version)
    case = cmd.case
    permissions.require(permissions.can_record_evaluation(actor, case, cmd.pending))
    fields = {}
    for factor in FACTORS:
        fields[factor] = one_of(ratings.get(factor), factor, RATINGS)
        fields[f"{factor}_rationale"] = text(rationales.get(factor), f"{factor}_rationale", 10_000, True)
    pressures, pressure_rationales = pressures or {}, pressure_rationales or {}
    rated = [EvaluationPressure(
        pressure=pressure, rating=one_of(pressures.get(pressure), pressure, PRESSURE_RATINGS),
        rationale=text(pressure_rationales.get(pressure), f"{pressure}_rationale", 10_000, True))
        for pressure in PRESSURES]
    evaluation = Evaluation(
        case_id=case.id, **fields, repeat_use=one_of(repeat_use, "repeat_use", REPEAT_USE),
        recommendation=one_of(recommendation, "recommendation", RECOMMENDATIONS),
        lessons=text(lessons, "lessons", 20_000),
        outcome=text(outcome, "outcome", 64, required=recommendation == "close"), author_id=actor.id)
    evaluation.pressure_rows = rated
    session.add(evaluation)
    session.flush()
    done = tasks.lock_completed_by(cmd, "evaluation")
    cmd.record("evaluation_recorded", "evaluation", evaluation.id, {
        **fields, **{row.pressure: row.rating for row in rated},
        **{f"{row.pressure}_rationale": row.rationale for row in rated},
        "repeat_use": evaluation.repeat_use, "recommendation": evaluation.recommendation,
        "lessons": evaluation.lessons, "outcome": evaluation.outcome})
    tasks.complete_by_record(cmd, done, "evaluation", "evaluation", evaluation.id)
    return evaluation
