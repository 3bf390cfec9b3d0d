"""Importing a file again: what it says differently about cases imported before.

Nothing is changed silently. The changes are listed, field by field, before and after; with
`--update` each case's changes are applied as one correction of the imported case (audited,
its before and after in the event, see workflow/corrections.py).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.case import Case
from workflow import corrections
from workflow.audit import Actor
from workflow.command import ANY_VERSION
from workflow.words import _

#: The reason each correction gives.
REASON = "Imported again: the source file {source} says otherwise."


@dataclass
class Change:
    """What a row of the file says differently about a case imported before."""

    where: str
    source_id: str
    case_id: int
    reference: str
    #: field: [before, after], as the correction's audit event will show them
    fields: dict
    #: field: the value the row gives
    values: dict

    def lines(self) -> list[str]:
        return [_("%(where)s %(source_id)s (%(reference)s): %(field)s: %(before)s → %(after)s",
                  where=self.where, source_id=self.source_id, reference=self.reference, field=name,
                  before=_said(before), after=_said(after)) for name, (before, after) in self.fields.items()]


def _said(value) -> str:
    return _("(empty)") if value in (None, "") else repr(value)


def changes(session: Session, rows: Iterable) -> list[Change]:
    """The changes the rows (of cases imported before) bring, in the file's order."""
    rows = list(rows)
    found = []
    for start in range(0, len(rows), 500):
        batch = rows[start:start + 500]
        known = {case.source_id: case for case in session.scalars(
            select(Case).where(Case.source_id.in_([row.source_id for row in batch])))}
        for row in batch:
            case = known[row.source_id]
            differ = {name: [corrections._shown(name, getattr(case, name)),
                             corrections._shown(name, value)]
                      for name, value in row.fields.items()
                      if name in corrections.CASE.fields and getattr(case, name) != value
                      and (row.columns is None or name in row.columns)}
            if differ:
                found.append(Change(row.where, row.source_id, case.id, case.reference, differ,
                                    {name: row.fields[name] for name in differ}))
    return found


def apply(session: Session, found: Iterable[Change], actor: Actor, source: str) -> int:
    """Apply each case's changes as one audited correction; returns the cases corrected."""
    count = 0
    for change in found:
        corrections.correct_imported_case(
            session, actor, change.case_id, expected_version=ANY_VERSION,
            reason=REASON.format(source=source),
            fields=change.values)
        count += 1
    return count
