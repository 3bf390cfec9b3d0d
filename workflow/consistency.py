"""The consistency check: how comparable cases were answered, cell by cell of the 3 × 6 menu.

Cases are comparable when their latest attributions name the same kind of party rolled up to
the same state (or topmost entry), their agents are of one class and their harm is alike. A
cell is flagged when most comparable cases had a response adopted in it and this case has none:
the inconsistency the pathway exists to end.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import ColumnElement, and_, distinct, func, or_, select, true
from sqlalchemy import case as when
from sqlalchemy.orm import Session

from models.case import Case
from models.figures import CaseFigures
from models.finding import Finding
from models.register import RegisterEntry
from models.response import Response
from vocabulary import CELLS
from workflow import permissions, queries, registers

#: The stages from which a case is compared: it has an attribution, and responses are due.
COMPARED_FROM = ("legal_consequence", "implementation", "evaluation", "closed")

#: Agents by how they harm: a chlorine attack is compared with chlorine, not with sarin.
AGENT_CLASSES = {"chlorine": "choking", "sarin": "nerve", "vx": "nerve", "novichok": "nerve",
                 "sulfur_mustard": "blister"}

#: A response that was in force at some time counts as adopted in its cell.
ADOPTED = ("adopted", "implemented", "lapsed")

#: How many comparable cases the check lists, the latest first; it counts them all.
LISTED = 20

#: Harm is alike within this factor (dead and injured together): 20 is like 5 or 150, not 2,000.
HARM_FACTOR = 10


def agent_class(agent: str) -> str:
    return AGENT_CLASSES.get(agent, agent)


def harm(deaths: int | None, injured: int | None) -> int | None:
    """The dead and injured together; None when neither is known."""
    return None if deaths is None and injured is None else (deaths or 0) + (injured or 0)


@dataclass(frozen=True)
class Comparable:
    """A comparable case and, by cell, how many days after the incident each adopted response came."""

    case_id: int
    reference: str
    title: str
    occurred_on: date | None
    cells: dict[tuple[str, str], list[int | None]] = field(default_factory=dict)


@dataclass(frozen=True)
class Check:
    """The comparable cases of a case, and the cells where this case stands apart; `party` is
    the name of the state (or topmost entry) its attribution rolls up to."""

    party: str | None
    #: How many cases are comparable; `comparables` lists the latest `LISTED` of them.
    total: int
    comparables: list[Comparable]
    #: How many comparable cases had a response adopted in each cell (cells with none left out).
    adopted: dict[tuple[str, str], int]
    #: The cells most comparable cases answered and this one did not, with the listed cases that did.
    flagged: dict[tuple[str, str], list[Comparable]]


def check(session: Session, case: Case, user) -> Check | None:
    """The consistency check of `case` over the cases `user` may see; None before legal consequence."""
    if case.state not in COMPARED_FROM:
        return None
    attribution = queries.current_findings(session, case.id).get("attribution")
    if attribution is None or attribution.conclusion != "attributed" or attribution.party_id is None:
        return Check(None, 0, [], {}, {})
    party, total, adopted, comparables = _comparables(session, case, user, attribution)
    answered = {(r.level, r.tool) for r in queries.responses_of(session, case.id) if r.status in ADOPTED}
    return Check(party, total, comparables, adopted, {
        cell: [c for c in comparables if cell in c.cells] for cell, count in sorted(adopted.items())
        if cell not in answered and 2 * count > total})


def alike(harmed: int | None) -> ColumnElement[bool]:
    """A case's harm is alike `harmed`: within a factor of `HARM_FACTOR`, or either unknown."""
    if harmed is None:
        return true()
    total = func.coalesce(Case.deaths, 0) + func.coalesce(Case.injured, 0)
    at_least_one, bound = when((total < 1, 1), else_=total), max(harmed, 1)
    return or_(and_(Case.deaths.is_(None), Case.injured.is_(None)),
               and_(at_least_one <= HARM_FACTOR * bound, HARM_FACTOR * at_least_one >= bound))


def _comparables(session: Session, case: Case, user, attribution: Finding
                 ) -> tuple[str | None, int, dict[tuple[str, str], int], list[Comparable]]:
    """The name the attribution rolls up to; how many other visible cases are comparable (their
    current attribution, kept with their figures, names a party of the same kind rolling up to
    it), and how many of them had a response adopted in each cell; and the latest `LISTED` of
    them with their adopted responses. One statement, whose work grows with the comparable
    cases, not with every case."""
    roots = registers.party_roots()
    own = select(roots.c.root).where(roots.c.id == attribution.party_id).scalar_subquery()
    agents = [agent for agent in AGENT_CLASSES if agent_class(agent) == agent_class(case.suspected_agent)]
    others = (
        select(Case.id, Case.reference, Case.title, Case.occurred_on)
        .join(CaseFigures, CaseFigures.case_id == Case.id)
        .where(CaseFigures.party_id.in_(select(roots.c.id).where(roots.c.root == own)),
               CaseFigures.party_type == attribution.party_type, Case.id != case.id,
               Case.suspected_agent.in_(agents or [case.suspected_agent]),
               alike(harm(case.deaths, case.injured)), permissions.visible_cases(user))
    ).cte("others")
    adopted = lambda of: and_(Response.case_id == of, Response.status.in_(ADOPTED))  # noqa: E731
    summary = (select(select(RegisterEntry.name).where(RegisterEntry.id == own)
                      .scalar_subquery().label("party"),
                      func.count(distinct(others.c.id)).label("total"),
                      *[func.count(distinct(when((and_(Response.level == level, Response.tool == tool),
                                                  others.c.id)))).label(f"{level}.{tool}")
                        for level, tool in CELLS])
               .select_from(others).outerjoin(Response, adopted(others.c.id))).subquery("summary")
    listed = (select(others).order_by(others.c.occurred_on.desc().nulls_last(), others.c.id.desc())
              .limit(LISTED).subquery("listed"))
    rows = session.execute(
        select(summary, listed, Response.level, Response.tool, Response.decided_on)
        .select_from(summary).outerjoin(listed, true()).outerjoin(Response, adopted(listed.c.id))
        .order_by(listed.c.occurred_on.desc().nulls_last(), listed.c.id.desc(), Response.id)).all()
    first = rows[0]._mapping
    counts = {(level, tool): first[f"{level}.{tool}"] for level, tool in CELLS if first[f"{level}.{tool}"]}
    found: dict[int, Comparable] = {}
    for row in rows:
        if row.id is None:
            continue
        comparable = found.setdefault(row.id, Comparable(row.id, row.reference, row.title, row.occurred_on))
        if row.level is not None:
            days = (row.decided_on - row.occurred_on).days if row.decided_on and row.occurred_on else None
            if days is not None and days < 0:  # a decision the record dates by its year only (1 January)
                days = None
            comparable.cells.setdefault((row.level, row.tool), []).append(days)
    return first.party, first.total, counts, list(found.values())
