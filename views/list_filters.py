"""The filters of the list pages read from the query: a bad value is said beside its field
(the page answers 400), never dropped without a word."""
from __future__ import annotations

from babel.numbers import format_decimal
from flask_babel import get_locale, gettext as _

from workflow import clock
from workflow.words import human

#: The longest stall the dashboard looks back over, in days (a century).
MAX_STALL_DAYS = 36_500
#: The longest part of a name a list of people is searched by.
NAME_SEARCH_LENGTH = 100


class Errors(dict):
    """Messages by field name, in words a user reads."""

    @property
    def status(self) -> int:
        return 400 if self else 200


def name_search(args) -> str:
    """The part of a name or username a list of people is asked for (`q`), trimmed."""
    return (args.get("q") or "").strip()[:NAME_SEARCH_LENGTH]


def page_number(args) -> int:
    """The page asked for (a whole number, bounded by `views.bounds`); 1 when absent."""
    return int(args.get("page") or 1)


def year(args, errors: Errors, name: str = "year") -> int | None:
    """The year of the incidents, from 1900 to this year; None when not given."""
    value = (args.get(name) or "").strip()
    if not value:
        return None
    this_year = clock.today().year
    if not (value.isascii() and value.isdigit() and len(value) <= 4 and 1900 <= int(value) <= this_year):
        errors[name] = _("Year: “%(value)s” is not a year; give one from 1900 to %(this_year)s, in figures.",
                         value=value[:20], this_year=this_year)
        return None
    return int(value)


def choice(args, errors: Errors, name: str, choices, label: str) -> str:
    """One of `choices`, or "" for any; another value is named as unknown. `label` is the
    field's English name ("Stage", "Agent"), which picks the sentence."""
    value = args.get(name) or ""
    if value and value not in choices:
        sentences = {
            "Stage": _("Stage: there is no stage “%(value)s”; choose one from the list.", value=value[:40]),
            "Agent": _("Agent: there is no agent “%(value)s”; choose one from the list.", value=value[:40]),
        }
        errors[name] = sentences.get(label) or _(
            "%(label)s: there is no %(name)s “%(value)s”; choose one from the list.",
            label=label, name=label.lower(), value=value[:40])
        return ""
    return value


def days(args, errors: Errors, name: str, default: int) -> int:
    """A whole number of days, at least one; `default` when not given."""
    value = (args.get(name) or "").strip()
    if not value:
        return default
    if not (value.isascii() and value.isdigit() and 1 <= int(value) <= MAX_STALL_DAYS):
        errors[name] = _("Stalled after: “%(value)s” is not a number of days; give a whole number "
                         "from 1 to %(most)s.", value=value[:20], most=format_decimal(MAX_STALL_DAYS, locale=get_locale()))
        return default
    return int(value)


def named(codes) -> list[tuple[str, str]]:
    """Codes with their names, for a list to choose from."""
    return [(code, human(code)) for code in codes]
