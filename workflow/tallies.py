"""What the dashboard shows for every case, kept by the transaction that changes it.

`recorded` is called with each batch of audit events as it is appended: after the chain's
lock is taken, so the counters it updates are always locked in one order (the lock first)
and two transactions never wait on each other's counters. Moves keep the stays
(workflow/stays.py) and the cases per stage; responses keep the menu's coverage; gate
decisions keep the decided and rejected per gate. Each is one upsert of a few rows. A case the
events may have changed otherwise is counted again when the transaction commits (case_figures).
"""
from __future__ import annotations

import json
from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.response import Response
from models.figures import FigureCount
from workflow import case_figures, stays

#: The figures kept here; the others are the sums of what each case adds (case_figures).
FIGURES = ("stage", "gate", "menu")


def recorded(session: Session, events: list[dict]) -> None:
    """Keep the stays and counts up to date with events just appended, in their transaction."""
    counts = Counter()
    for event in events:
        kind = event["event_type"]
        case_figures.touched(session, event)
        if event["to_state"] is not None and event["case_id"] is not None:
            documented = _details(event).get("moves") if kind == stays.IMPORTED else None
            left = stays.moved(session, event["case_id"], event["to_state"], event["at"], kind,
                               documented)
            counts[("stage", event["to_state"])] += 1
            if left is not None:
                counts[("stage", left)] -= 1
        if kind == "gate_approved":
            counts[("gate", f"{event['from_state']}/{event['to_state']}/approved")] += 1
        elif kind == "gate_rejected":
            target = _details(event)["target"]
            counts[("gate", f"{event['from_state']}/{target}/rejected")] += 1
        elif kind in ("response_proposed", "response_imported"):
            details = _details(event)
            counts[("menu", f"{details['level']}/{details['tool']}/{details['status']}")] += 1
        elif kind == "response_status_changed":
            level, tool = session.execute(select(Response.level, Response.tool)
                                          .where(Response.id == int(event["entity_id"]))).one()
            details = _details(event)
            counts[("menu", f"{level}/{tool}/{details['after']}")] += 1
            counts[("menu", f"{level}/{tool}/{details['before']}")] -= 1
    changed = [dict(figure=figure, key=key, count=n) for (figure, key), n in counts.items() if n]
    if changed:
        stays.add_counts(session.connection(), FigureCount, changed, "count")


def _details(event: dict) -> dict:
    """The event's details, as its payload holds them."""
    return json.loads(event["payload"])["details"]


def read(session: Session) -> dict[str, dict[tuple[str, ...], int]]:
    """Every counter, by figure, keyed by the parts of its key."""
    found: dict[str, dict[tuple[str, ...], int]] = {}
    for figure, key, count in session.execute(select(FigureCount.figure, FigureCount.key,
                                                     FigureCount.count)
                                              .where(FigureCount.figure.in_(FIGURES))):
        if count:
            found.setdefault(figure, {})[tuple(key.split("/"))] = count
    return found
