"""Reading the public reference list of incidents (`incidents-reference.csv`): one incident a
row, its responses as `level|tool|actor|description|year`.

The list documents what was found and what was done, not when a case passed each stage: its
cases stay at reported, with their findings told in the summary and their responses recorded
(adopted, or blocked when the description says a veto blocked it). Each response's actor maps
to the register of actors like any imported history's (workflow/import_names.py).
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import date

from workflow.errors import Invalid
from workflow.importer import (HISTORY_COLUMNS, ImportRefused, Plan, _agent, _plan, _response,
                               _text)
from workflow.pathway import REPORTED
from workflow.words import _

COLUMNS = ("id", "date", "location", "country", "agent", "casualties_reported",
           "investigating_body", "investigation_outcome", "attribution", "attributing_body",
           "responses", "source")
#: A response the record shows blocked: a veto, or the word itself.
_BLOCKED = re.compile(r"\bveto(ed)?\b|\bblocked\b", re.IGNORECASE)
_DAY = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")


def _occurred(value: str) -> tuple[date | None, str]:
    """The incident's date and its precision (day, month or year) as the list writes it."""
    value = value.strip()
    if not value:
        return None, "day"
    found = _DAY.match(value)
    if not found:
        raise Invalid(_("date: %(value)s is not a date (YYYY, YYYY-MM or YYYY-MM-DD)", value=repr(value)), "occurred_on")
    year, month, day = found.groups()
    try:
        return date(int(year), int(month or 1), int(day or 1)), (
            "day" if day else "month" if month else "year")
    except ValueError:
        raise Invalid(_("date: %(value)s is not a date", value=repr(value)), "occurred_on") from None


def _responses(text: str) -> list[dict]:
    found = []
    for part in text.split(";"):
        if not part.strip():
            continue
        status = "blocked" if _BLOCKED.search(part.split("|")[3] if part.count("|") >= 3 else "") \
            else "adopted"
        found.append(_response(f"{part.strip()}|{status}"))
    return found


def _row(record: dict) -> Callable[[], tuple[dict, None, dict, tuple]]:
    def fields() -> tuple[dict, None, dict, tuple]:
        occurred_on, precision = _occurred(record["date"] or "")
        told = [(label, (record[name] or "").strip()) for label, name in (
            ("Investigated by", "investigating_body"), ("Found", "investigation_outcome"),
            ("Casualties", "casualties_reported"), ("Agent", "agent"),
            ("Attribution", "attribution"), ("Attributed by", "attributing_body"),
            ("Source", "source"))]
        location = (record["location"] or "").strip()
        values = {"title": f"Chemical-weapons use in {location or record['country'] or 'an unknown place'}"[:200],
                  "occurred_on": occurred_on, "occurred_precision": precision,
                  "country": (record["country"] or "").strip(), "place": location[:200],
                  "suspected_agent": _agent(record["agent"] or ""),
                  "summary": "\n".join(f"{label}: {value}." for label, value in told if value)}
        history = {name: "" for name in HISTORY_COLUMNS}
        history.update(stage=REPORTED, investigating_body=(record["investigating_body"] or "").strip(),
                       attributing_body=(record["attributing_body"] or "").strip(),
                       responses=_responses(record["responses"] or ""), dates={})
        return values, None, history, tuple(values)
    return fields


def read_reference(data: bytes) -> Plan:
    """Rows of the public reference list."""
    reader = csv.DictReader(io.StringIO(_text(data), newline=""))
    try:
        header = reader.fieldnames or []
        missing = [name for name in COLUMNS if name not in header]
        if missing:
            raise ImportRefused(_("wrong header: missing %(missing)s (columns: %(columns)s)",
                                  missing=", ".join(missing), columns=", ".join(COLUMNS)))
        return _plan((_("line %(line)s", line=reader.line_num), f"reference:{(record.get('id') or '').strip()}"
                      if (record.get("id") or "").strip() else "", _row(record)) for record in reader)
    except csv.Error as error:
        raise ImportRefused(_("line %(line)s: %(error)s", line=reader.line_num, error=str(error))) from None
