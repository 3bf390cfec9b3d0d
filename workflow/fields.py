"""Checks of submitted values; a refusal names the field, in words a user reads."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from workflow import clock
from workflow.clock import utcnow
from workflow.errors import Invalid
from workflow.words import _, humans


#: The dates a record may hold: an incident, a custody step or a due date outside them is a
#: typing mistake, and year 1 or 9999 breaks the arithmetic of dates (three days before, a
#: reader's time zone).
EARLIEST, LATEST = date(1900, 1, 1), date(2100, 12, 31)


def label(name: str) -> str:
    return name.replace("_", " ")


def in_years(value: date) -> bool:
    """Whether a date (or the day of a time) lies from EARLIEST to LATEST."""
    return EARLIEST <= (value.date() if isinstance(value, datetime) else value) <= LATEST


def within_years(value: date, name: str) -> None:
    """Refuse a date (or the day of a time) outside EARLIEST to LATEST."""
    if not in_years(value):
        raise Invalid(_("%(field)s: a date from %(earliest)s to %(latest)s", field=label(name),
                        earliest=EARLIEST.year, latest=LATEST.year), name)


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
    within_years(value, name)
    if value > utcnow():
        raise Invalid(_("%(field)s: cannot be in the future", field=label(name)), name)
    return value


def day(value, name: str, required: bool = False, past: bool = False,
        upcoming: bool = False) -> date | None:
    """A date, or None when not required; `past` refuses dates after today, `upcoming` dates
    before it."""
    if value is None:
        if required:
            raise Invalid(_("%(field)s: required", field=label(name)), name)
        return None
    if not isinstance(value, date) or isinstance(value, datetime):
        raise Invalid(_("%(field)s: not a date", field=label(name)), name)
    within_years(value, name)
    if past and value > clock.today():
        raise Invalid(_("%(field)s: cannot be in the future", field=label(name)), name)
    # A day of grace: the reader's today, west of Greenwich, may be yesterday in UTC.
    if upcoming and value < clock.today() - timedelta(days=1):
        raise Invalid(_("%(field)s: cannot be in the past", field=label(name)), name)
    return value
