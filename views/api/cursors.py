"""Opaque cursors of the API's keyset pages: the id of the last item a page gave."""
from __future__ import annotations

import base64
import binascii

from views.api.problems import Problem


def cursor(last_id: int) -> str:
    """The cursor of the page after the item `last_id`."""
    return base64.urlsafe_b64encode(f"after:{last_id}".encode()).decode()


def after(value: str | None) -> int | None:
    """The id a cursor continues after; 400 for a cursor this API did not give."""
    if not value:
        return None
    try:
        kind, _, number = base64.urlsafe_b64decode(value.encode()).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        kind, number = "", ""
    if kind != "after" or not number.isdigit() or len(number) > 10 or int(number) > 2**31 - 1:
        raise Problem(400, "cursor: not a cursor this API gave; start again without one.",
                      "validation", errors=[{"field": "cursor", "message": "unknown cursor"}])
    return int(number)
