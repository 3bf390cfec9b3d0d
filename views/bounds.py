"""Every input bounded before a view sees it: integer URL parts, integer parameters, control
characters and lengths of query and form values. A value out of bounds is 404 (an id in the
path) or 400 naming the parameter, never a database error."""
from __future__ import annotations

import re
import unicodedata

from flask import Flask, abort, request
from werkzeug.routing import IntegerConverter
from workflow.words import _

#: The largest value of the database's INTEGER (every id column).
MAX_INT = 2**31 - 1
#: The largest value of BIGINT (audit sequence numbers).
MAX_BIGINT = 2**63 - 1
#: Parameters (query or form) that are whole numbers, with their largest value. (`case` is not:
#: it names a case by its reference or its number, see workflow.cases.by_reference.)
#: (`year` and `stall_days` are filters of list pages: views.list_filters says what is wrong
#: with them beside their field.)
INTEGER_PARAMETERS = {"page": MAX_INT,
                      "user_id": MAX_INT, "version": MAX_INT, "before": MAX_BIGINT,
                      "since": MAX_BIGINT,
                      # The pages of the task inbox's two lists, and the case list's keyset cursor.
                      "mine": MAX_INT, "queue": MAX_INT, "after": MAX_INT,
                      # The pages of a case's History and evidence register on its page.
                      "history": MAX_INT, "evidence": MAX_INT}
_DIGITS = re.compile(r"[0-9]{1,19}")
#: No query value is longer (filters, search words, a catalog key).
MAX_QUERY_VALUE = 1000
#: Tab, line feed and carriage return are allowed in form text (long text keeps its lines).
FORM_WHITESPACE = frozenset("\t\n\r")


class BoundedIntegerConverter(IntegerConverter):
    """`<int:...>` that matches only values an INTEGER column holds: larger is 404."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None,  # noqa: A002
                 max: int | None = MAX_INT, signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def control_character(value: str, allowed: frozenset[str] = frozenset()) -> str | None:
    """The first control (or unassigned private) character of `value` not in `allowed`."""
    for character in value:
        if character in allowed:
            continue
        if unicodedata.category(character) in ("Cc", "Cs") or character in "\u2028\u2029":
            return character
    return None


def _describe(character: str) -> str:
    return "NUL" if character == "\x00" else f"U+{ord(character):04X}"


def check_request() -> None:
    """Refuse, with 400 naming the parameter, values no view should have to handle."""
    for name, value in request.args.items(multi=True):
        if len(name) > 100 or len(value) > MAX_QUERY_VALUE:
            abort(400, description=_("The parameter %(name)s is too long (at most %(num)s characters).",
                                     name=repr(name[:40]), num=MAX_QUERY_VALUE))
        for part in (name, value):
            bad = control_character(part)
            if bad:
                abort(400, description=_("The parameter %(name)s contains a control character "
                                         "(%(character)s).", name=repr(name[:40]),
                                         character=_describe(bad)))
        _check_integer(name, value)
    if request.method in ("POST", "PUT", "PATCH"):
        for name, value in request.form.items(multi=True):
            bad = control_character(name) or control_character(value, FORM_WHITESPACE)
            if bad:
                abort(400, description=_("The field %(name)s contains a control character "
                                         "(%(character)s); remove it and try again.",
                                         name=repr(name[:40]), character=_describe(bad)))
            _check_integer(name, value)


def _check_integer(name: str, value: str) -> None:
    largest = INTEGER_PARAMETERS.get(name)
    if largest is None or value == "":
        return
    if not _DIGITS.fullmatch(value) or int(value) > largest:
        abort(400, description=_("%(name)s: a whole number from 0 to %(largest)s.", name=name,
                                 largest=largest))


def register(app: Flask) -> None:
    """Install the bounded `int` converter (before any route is added) and the request check."""
    app.url_map.converters["int"] = BoundedIntegerConverter
    app.before_request(check_request)
