"""Tables as CSV downloads."""
from __future__ import annotations

import csv
import io

from flask import Response

from workflow.spreadsheet import neutralise_row


def csv_response(rows: list[list], name: str) -> Response:
    """`rows` (header first) as a CSV attachment named `name`.csv, formula cells neutralised."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(neutralise_row(row) for row in rows)
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={name}.csv",
                             "Cache-Control": "no-store"})
