"""Tables as CSV downloads."""
from __future__ import annotations

import csv
import io

from flask import Response
from flask_babel import pgettext

from workflow.spreadsheet import neutralise_row


def csv_response(rows: list[list], name: str) -> Response:
    """`rows` (header first) as a CSV attachment named `name`.csv, formula cells neutralised."""
    # The byte order mark tells spreadsheet programs the file is UTF-8: without it Excel reads
    # Arabic names as the system's code page.
    out = io.StringIO()
    out.write("\ufeff")
    csv.writer(out, lineterminator="\n").writerows(neutralise_row(row) for row in rows)
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={name}.csv",
                             "Cache-Control": "no-store"})


def headers(*names: str) -> list[str]:
    """A CSV's header row in the reader's language (the column names as they are in English)."""
    words = {
        "stage": pgettext("CSV column", "stage"), "cases": pgettext("CSV column", "cases"),
        "stays": pgettext("CSV column", "stays"), "median_days": pgettext("CSV column", "median_days"),
        "p90_days": pgettext("CSV column", "p90_days"), "days_idle": pgettext("CSV column", "days_idle"),
        "reference": pgettext("CSV column", "reference"), "title": pgettext("CSV column", "title"),
        "from": pgettext("CSV column", "from"), "to": pgettext("CSV column", "to"),
        "decided": pgettext("CSV column", "decided"), "rejected": pgettext("CSV column", "rejected"),
        "rejection_rate": pgettext("CSV column", "rejection_rate"), "level": pgettext("CSV column", "level"),
        "tool": pgettext("CSV column", "tool"), "proposed": pgettext("CSV column", "proposed"),
        "adopted": pgettext("CSV column", "adopted"), "implemented": pgettext("CSV column", "implemented"),
        "blocked": pgettext("CSV column", "blocked"), "withdrawn": pgettext("CSV column", "withdrawn"),
        "lapsed": pgettext("CSV column", "lapsed"),
        "responsible_party": pgettext("CSV column", "responsible_party"),
        "evaluated_cases": pgettext("CSV column", "evaluated_cases"),
        "repeat_use": pgettext("CSV column", "repeat_use"),
        "party": pgettext("CSV column", "party"), "uses": pgettext("CSV column", "uses"),
        "attributions": pgettext("CSV column", "attributions"),
        "in_force": pgettext("CSV column", "in_force"),
        "repeat_after_binding": pgettext("CSV column", "repeat_after_binding"),
        "forum": pgettext("CSV column", "forum"), "blocked_by": pgettext("CSV column", "blocked_by"),
        "occurred_on": pgettext("CSV column", "occurred_on"), "outcome": pgettext("CSV column", "outcome"),
        "year": pgettext("CSV column", "year"), "measure": pgettext("CSV column", "measure"),
        "average": pgettext("CSV column", "average"), "ratings": pgettext("CSV column", "ratings"),
        "strategy": pgettext("CSV column", "strategy"), "responses": pgettext("CSV column", "responses"),
        "actors": pgettext("CSV column", "actors"), "agent": pgettext("CSV column", "agent"),
        "country": pgettext("CSV column", "country"),
        "uneven_cells": pgettext("CSV column", "uneven_cells"),
        "bound_uses": pgettext("CSV column", "bound_uses"), "name": pgettext("CSV column", "name"),
    }
    return [words[name] for name in names]
