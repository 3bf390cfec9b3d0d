"""How long a case may stay in each stage: a target per stage (settings, with defaults), and
when the stage a case stands in falls due.

A case enters a stage by the move that put it there (opening, an approval, a reopening, an
imported history, dated as its record dates it): the start of its open stay
(`queries.ENTERED_STAGE`, read through the index of open stays).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, or_

from models.case import Case
from workflow import queries, stages
from workflow.stages import CLOSED

#: Days a case may stay in each open stage before it is overdue (STAGE_TARGET_DAYS overrides).
DEFAULT_TARGET_DAYS = {stages.REPORTED: 14, stages.INVESTIGATION: 90, stages.ATTRIBUTION: 90,
                       stages.LEGAL_CONSEQUENCE: 60, stages.IMPLEMENTATION: 365,
                       stages.EVALUATION: 30}


@dataclass(frozen=True)
class StageDue:
    """The stage a case stands in, since when, and when it is due to be left."""

    stage: str
    entered_on: date
    due_on: date
    today: date

    @property
    def overdue(self) -> bool:
        return self.due_on < self.today

    @property
    def days_left(self) -> int:
        """Days until it is due (negative: days overdue)."""
        return (self.due_on - self.today).days


def due(state: str, entered: datetime | None, targets: dict[str, int], today: date) -> StageDue | None:
    """When a case that entered `state` at `entered` is due to leave it (none once closed)."""
    if entered is None or state not in targets or state == CLOSED:
        return None
    return StageDue(state, entered.date(), entered.date() + timedelta(days=targets[state]), today)


def stage_dues(rows, targets: dict[str, int], today: date) -> dict[int, StageDue]:
    """The due date of the stage each listed case stands in (closed ones have none), by case id;
    each row has the case's id, state and when it entered it (`entered`, see queries.LISTED)."""
    return {row.id: stage_due for row in rows
            if (stage_due := due(row.state, row.entered, targets, today)) is not None}


def overdue_stage(targets: dict[str, int], today: date):
    """A WHERE clause: the case has stood in its (open) stage longer than that stage's target."""
    def cutoff(days: int) -> datetime:
        # Entered before this midnight: due before today.
        return datetime.combine(today - timedelta(days=days), datetime.min.time())
    entered = queries.ENTERED_STAGE
    return or_(*(and_(Case.state == stage, entered < cutoff(days))
                 for stage, days in sorted(targets.items()) if stage != CLOSED))
