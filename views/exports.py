"""Tables as CSV downloads."""
from __future__ import annotations

import csv
import io

from flask import Response


def csv_response(rows: list[list], name: str) -> Response:
    """`rows` (header first) as a CSV attachment named `name`.csv."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={name}.csv"})
