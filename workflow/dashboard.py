"""Where accountability stalls, across all the cases a user may see: the dashboard's figures.

Every figure comes from a fixed number of queries, however many cases there are; days per
stage and stalled cases from the stays the moves keep (workflow/stays.py), never from every
move of every case.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Select, func, select, true
from sqlalchemy.orm import Session

from models.case import Case
from models.gate_request import GateRequest
from models.response import Response
from models.figures import CaseFigures
from workflow import case_figures, permissions, queries, stays, tallies
from workflow.clock import utcnow
from workflow.pathway import STAGES

#: The stalled cases the page lists; the CSV export has them all.
STALLED_SHOWN = 20


@dataclass
class Filters:
    year: int | None = None
    country: str = ""
    stall_days: int = 90


@dataclass
class Figures:
    funnel: dict[str, int] = field(default_factory=dict)
    durations: dict[str, tuple[int, float, float]] = field(default_factory=dict)
    #: The longest idle first: (days idle, case id, reference, title, stage).
    stalled: list[tuple] = field(default_factory=list)
    stalled_total: queries.Total = field(default_factory=lambda: queries.Total(0))
    rejections: list[tuple[str, str, int, int, float]] = field(default_factory=list)
    coverage: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)
    attributed: int = 0
    binding: int = 0
    repeat_use: list[tuple[str, int, int]] = field(default_factory=list)

    @property
    def binding_share(self) -> float | None:
        return self.binding / self.attributed if self.attributed else None


def _cases(session: Session, user, filters: Filters) -> Select | None:
    """The ids of the cases the figures are about (visible to the user, and filtered), as a
    select; None when that is every case, which the maintained figures answer directly."""
    conditions = queries.filter_conditions(session, user, year=filters.year, country=filters.country)
    if not conditions and permissions.sees_all_cases(user):
        return None
    return select(Case.id).where(permissions.visible_cases(user), *conditions)


def _grouped(session: Session, kept: dict | None, figure: str, ids: Select | None, case, *columns,
             where=true()) -> list[tuple]:
    """Rows counted by `columns`: the kept counts of `figure` for every case, or counted now
    among the cases chosen (`case` is the rows' case column)."""
    if kept is not None:
        return [(*key, count) for key, count in kept.get(figure, {}).items()]
    return session.execute(select(*columns, func.count()).where(case.in_(ids), where)
                           .group_by(*columns)).all()


def figures(session: Session, user, filters: Filters, now: datetime | None = None,
            stalled_shown: int | None = STALLED_SHOWN) -> Figures:
    """Every figure of the dashboard for `user`, filtered by year and country; of the stalled
    cases, the first `stalled_shown` (all when None) and how many there are."""
    now, ids, result = now or utcnow(), _cases(session, user, filters), Figures()
    kept = tallies.read(session) if ids is None else None
    result.funnel = dict(_grouped(session, kept, "stage", ids, Case.id, Case.state))
    result.durations = stays.durations(session, ids)
    cutoff = now - timedelta(days=filters.stall_days)
    stalled = stays.stalled_query(ids, cutoff)
    shown = stalled.limit(stalled_shown) if stalled_shown is not None else stalled
    result.stalled = [((now - since).days, *rest) for since, *rest in session.execute(shown)]
    result.stalled_total = (queries.capped_count(session, stays.stalled_query(ids, cutoff, bare=True))
                            if stalled_shown is not None else queries.Total(len(result.stalled)))
    gates = defaultdict(lambda: [0, 0])
    for source, target, decision, count in _grouped(
            session, kept, "gate", ids, GateRequest.case_id, GateRequest.from_state,
            GateRequest.target, GateRequest.decision,
            where=GateRequest.decision.in_(("approved", "rejected"))):
        gates[(source, target)][decision == "rejected"] += count
    result.rejections = sorted(
        ((source, target, approved + rejected, rejected, rejected / (approved + rejected))
         for (source, target), (approved, rejected) in gates.items()),
        key=lambda row: (STAGES.index(row[0]), STAGES.index(row[1])))
    for level, tool, status, count in _grouped(session, kept, "menu", ids, Response.case_id,
                                               Response.level, Response.tool, Response.status):
        result.coverage.setdefault((level, tool), {})[status] = count
    result.attributed, result.binding, result.repeat_use = _attributions(session, ids)
    return result


def _attributions(session: Session, ids: Select | None) -> tuple[int, int, list[tuple[str, int, int]]]:
    """Cases whose current attribution names a party; of them, those with a legally binding
    consequence in force; and per party as written, (party, evaluated, judged used again)."""
    if ids is None:
        kept = case_figures.read(session, None, ("attributed", "binding", "evaluated", "repeat"))
        attributed, binding = kept["attributed"].get((), 0), kept["binding"].get((), 0)
        repeat = [(party, evaluated, kept["repeat"].get((party,), 0))
                  for (party,), evaluated in kept["evaluated"].items()]
    else:
        rows = session.execute(
            select(CaseFigures.responsible_party, func.count(), func.count().filter(CaseFigures.binding),
                   func.count(CaseFigures.repeat_use),
                   func.count().filter(CaseFigures.repeat_use == "yes"))
            .where(CaseFigures.case_id.in_(ids), CaseFigures.responsible_party.is_not(None))
            .group_by(CaseFigures.responsible_party)).all()
        attributed, binding = sum(row[1] for row in rows), sum(row[2] for row in rows)
        repeat = [(party, evaluated, again) for party, _, _, evaluated, again in rows if evaluated]
    return attributed, binding, sorted(repeat, key=lambda row: (-row[2], row[0]))
