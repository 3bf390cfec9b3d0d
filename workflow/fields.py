"""Checks of submitted values; a refusal names the field, in words a user reads."""
from __future__ import annotations

from datetime import date, datetime

from workflow.clock import utcnow
from workflow.errors import Invalid
from workflow import clock
from workflow.words import humans


def label(name: str) -> str:
    return name.replace("_", " ")


def text(value, name: str, limit: int, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise Invalid(f"{label(name)}: required", name)
    if len(value) > limit:
        raise Invalid(f"{label(name)}: at most {limit} characters", name)
    return value


def one_of(value, name: str, choices) -> str:
    if value not in choices:
        raise Invalid(f"{label(name)}: choose {humans(choices)}", name)
    return value


def moment(value, name: str) -> datetime | None:
    """A past (or present) date and time, or None."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise Invalid(f"{label(name)}: not a date and time", name)
    if value > utcnow():
        raise Invalid(f"{label(name)}: cannot be in the future", name)
    return value


def day(value, name: str, required: bool = False, past: bool = False) -> date | None:
    """A date, or None when not required; `past` refuses dates after today."""
    if value is None:
        if required:
            raise Invalid(f"{label(name)}: required", name)
        return None
    if not isinstance(value, date) or isinstance(value, datetime):
        raise Invalid(f"{label(name)}: not a date", name)
    if past and value > clock.today():
        raise Invalid(f"{label(name)}: cannot be in the future", name)
    return value
