"""The consistency check: how comparable cases were answered, cell by cell of the 3 × 6 menu.

Cases are comparable when their latest attributions name the same kind of party rolled up to
the same state (or topmost entry), their agents are of one class and their harm is alike. A
cell is flagged when most comparable cases had a response adopted in it and this case has none:
the inconsistency the pathway exists to end.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select, true
from sqlalchemy.orm import Session

from models.case import Case
from models.finding import Finding
from models.register import RegisterEntry
from models.response import Response
from workflow import permissions, queries, registers

#: The stages from which a case is compared: it has an attribution, and responses are due.
COMPARED_FROM = ("legal_consequence", "implementation", "evaluation", "closed")

#: Agents by how they harm: a chlorine attack is compared with chlorine, not with sarin.
AGENT_CLASSES = {"chlorine": "choking", "sarin": "nerve", "vx": "nerve", "novichok": "nerve",
                 "sulfur_mustard": "blister"}

#: A response that was in force at some time counts as adopted in its cell.
ADOPTED = ("adopted", "implemented", "lapsed")

#: Harm is alike within this factor (dead and injured together): 20 is like 5 or 150, not 2,000.
HARM_FACTOR = 10


def agent_class(agent: str) -> str:
    return AGENT_CLASSES.get(agent, agent)


def harm(deaths: int | None, injured: int | None) -> int | None:
    """The dead and injured together; None when neither is known."""
    return None if deaths is None and injured is None else (deaths or 0) + (injured or 0)


def alike(one: int | None, other: int | None) -> bool:
    """Harm is alike within a factor of `HARM_FACTOR`, or when either is unknown."""
    if one is None or other is None:
        return True
    return max(one, 1) <= HARM_FACTOR * max(other, 1) and max(other, 1) <= HARM_FACTOR * max(one, 1)


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
    comparables: list[Comparable]
    flagged: dict[tuple[str, str], list[Comparable]]


def check(session: Session, case: Case, user) -> Check | None:
    """The consistency check of `case` over the cases `user` may see; None before legal consequence."""
    if case.state not in COMPARED_FROM:
        return None
    attribution = queries.current_findings(session, case.id).get("attribution")
    if attribution is None or attribution.conclusion != "attributed" or attribution.party_id is None:
        return Check(None, [], {})
    party, comparables = _comparables(session, case, user, attribution)
    answered = {(r.level, r.tool) for r in queries.responses_of(session, case.id) if r.status in ADOPTED}
    flagged: dict[tuple[str, str], list[Comparable]] = {}
    for comparable in comparables:
        for cell in comparable.cells:
            flagged.setdefault(cell, []).append(comparable)
    return Check(party, comparables, {
        cell: cases for cell, cases in sorted(flagged.items())
        if cell not in answered and 2 * len(cases) > len(comparables)})


def _comparables(session: Session, case: Case, user, attribution: Finding) -> tuple[str, list[Comparable]]:
    """The name the attribution rolls up to, and the other visible cases whose latest
    attribution is comparable, with their adopted responses: one statement."""
    roots = registers.party_roots()
    own = select(roots.c.root).where(roots.c.id == attribution.party_id).scalar_subquery()
    party = select(RegisterEntry.name).where(RegisterEntry.id == own).subquery("party")
    latest = (select(func.max(Finding.id)).where(Finding.kind == "attribution")
              .group_by(Finding.case_id))
    agents = [agent for agent in AGENT_CLASSES if agent_class(agent) == agent_class(case.suspected_agent)]
    others = (
        select(Case.id, Case.reference, Case.title, Case.occurred_on, Case.deaths, Case.injured,
               Response.level, Response.tool, Response.decided_on, Response.id.label("response_id"))
        .join(Finding, Finding.case_id == Case.id)
        .join(roots, roots.c.id == Finding.party_id)
        .outerjoin(Response, (Response.case_id == Case.id) & Response.status.in_(ADOPTED))
        .where(Finding.id.in_(latest), Finding.conclusion == "attributed",
               Finding.party_type == attribution.party_type, roots.c.root == own,
               Case.id != case.id, Case.suspected_agent.in_(agents or [case.suspected_agent]),
               permissions.visible_cases(user))).subquery("others")
    rows = session.execute(select(party.c.name, others).select_from(party)
                           .outerjoin(others, true())
                           .order_by(others.c.occurred_on, others.c.id, others.c.response_id)).all()
    harmed = harm(case.deaths, case.injured)
    found: dict[int, Comparable] = {}
    for row in rows:
        if row.id is None or not alike(harmed, harm(row.deaths, row.injured)):
            continue
        comparable = found.setdefault(row.id, Comparable(row.id, row.reference, row.title, row.occurred_on))
        if row.level is not None:
            days = (row.decided_on - row.occurred_on).days if row.decided_on and row.occurred_on else None
            if days is not None and days < 0:  # a decision the record dates by its year only (1 January)
                days = None
            comparable.cells.setdefault((row.level, row.tool), []).append(days)
    return (rows[0].name if rows else None), list(found.values())
