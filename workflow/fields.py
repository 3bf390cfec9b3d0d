"""Checks of submitted values; a refusal names the field, in words a user reads."""
from __future__ import annotations

from datetime import date, datetime

from workflow.clock import utcnow
from workflow.errors import Invalid
from workflow import clock
from workflow.words import _, humans


def label(name: str) -> str:
    return name.replace("_", " ")



def text(value, name: str, limit: int, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise Invalid(_("%(field)s: required", field=label(name)), name)
    if len(value) > limit:
        raise Invalid(_("%(field)s: at most %(limit)s characters", field=label(name), limit=limit), name)
    return value


def one_of(value, name: str, choices) -> str:
    if value not in choices:
        raise Invalid(_("%(field)s: choose %(choices)s", field=label(name), choices=humans(choices)), name)
    return value


def moment(value, name: str) -> datetime | None:
    """A past (or present) date and time, or None."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise Invalid(_("%(field)s: not a date and time", field=label(name)), name)
    if value > utcnow():
        raise Invalid(_("%(field)s: cannot be in the future", field=label(name)), name)
    return value


def day(value, name: str, required: bool = False, past: bool = False) -> date | None:
    """A date, or None when not required; `past` refuses dates after today."""
    if value is None:
        if required:
            raise Invalid(_("%(field)s: required", field=label(name)), name)
        return None
    if not isinstance(value, date) or isinstance(value, datetime):
        raise Invalid(_("%(field)s: not a date", field=label(name)), name)
    if past and value > clock.today():
        raise Invalid(_("%(field)s: cannot be in the future", field=label(name)), name)
    return value
