"""CSV cells that a spreadsheet opens as text, never as a formula (OWASP: CSV injection)."""
from __future__ import annotations

#: A cell starting with one of these is read as a formula by Excel, LibreOffice or Sheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value) -> object:
    """`value` with a leading ' when it is text a spreadsheet would run as a formula.

    Numbers (a negative count, say) stay numbers; only text is changed. The importer does
    not use this: imported text is stored as given."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def neutralise_row(row) -> list:
    return [neutralise(value) for value in row]
