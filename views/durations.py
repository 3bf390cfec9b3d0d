"""Stage durations on the pages: how long a case may stay in its stage, and when it falls due."""
from __future__ import annotations

from flask import current_app

from views import db
from workflow import clock, durations, gates


def template_helpers() -> dict:
    """`stage_due(case)`, and `stage_dues(rows)` by case id for the case list's rows."""
    def stage_dues(rows) -> dict:
        return durations.stage_dues(rows, current_app.config["STAGE_TARGET_DAYS"], clock.today())

    def stage_due(case):
        # The case page has read when the stage began already, for its checklist.
        return durations.due(case.state, gates.entered_stage_at(db.session(), case),
                             current_app.config["STAGE_TARGET_DAYS"], clock.today())
    return {"stage_due": stage_due, "stage_dues": stage_dues}
