"""Insight on the record, across the cases a user may see: who used chemical weapons and what
answered them, where pathways were clipped, and how restraint moved over the years.

Every figure is counted in SQL, by a fixed number of statements however many cases there are.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Integer, case, cast, exists, extract, func, select, true
from sqlalchemy.orm import Session, aliased

from models.case import Case
from models.evaluation import Evaluation, EvaluationPressure
from models.finding import Finding
from models.register import RegisterEntry
from models.response import Response, ResponseBlock, ResponseEntry
from vocabulary import (AGENTS, ATTRIBUTED, ATTRIBUTION_FINDING, CLOSED, FACTORS, LEVELS,
                        STRATEGIES, TOOLS)
from workflow import permissions, registers

#: A response in force: the consequence was adopted, or is being implemented.
IN_FORCE = ("adopted", "implemented")
#: The closed pathways without a binding consequence the page lists; the CSV has them all.
UNBOUND_SHOWN = 20
#: Ratings as numbers, so that a year's ratings average: above 0 restraint was strengthened
#: (a factor) or pressure is rising (a pressure), below 0 the opposite.
FACTOR_SCORES = {"weakened": -1, "unchanged": 0, "strengthened": 1}
PRESSURE_SCORES = {"receding": -1, "unchanged": 0, "rising": 1}


@dataclass(frozen=True)
class Party:
    """A party rolled up to its state (or topmost entry), and what answered its uses."""

    id: int
    name: str
    #: Cases whose current attribution names the party, one of its units or one of its names.
    uses: int
    #: Attribution findings that name it (a case attributed by two bodies counts twice).
    attributions: int
    #: Responses in force on its uses, by (level, tool) cell of the menu.
    cells: dict[tuple[str, str], int] = field(default_factory=dict)
    blocked: int = 0
    #: Its uses that came after a legally binding consequence on an earlier use of its own.
    repeat_after_binding: int = 0
    #: Of its uses, how many have a response in force in each cell.
    answered: dict[tuple[str, str], int] = field(default_factory=dict)
    #: Of its uses, how many met a legally binding consequence in force.
    bound: int = 0

    @property
    def uneven(self) -> list[tuple[str, str]]:
        """The cells that answered some of its uses and not others: the same perpetrator met
        different responses."""
        return [(level, tool) for level in LEVELS for tool in TOOLS
                if 0 < self.answered.get((level, tool), 0) < self.uses]

    @property
    def in_force(self) -> int:
        return sum(self.cells.values())


@dataclass
class Insight:
    parties: list[Party] = field(default_factory=list)
    #: Blocked responses by the forum they were blocked in (None: not recorded), most first.
    blocked_by_forum: list[tuple[str | None, int]] = field(default_factory=list)
    #: Blocked responses by who blocked them (None: not recorded), most first.
    blocked_by_blocker: list[tuple[str | None, int]] = field(default_factory=list)
    closed: int = 0
    #: Closed cases with no binding consequence in force: (case id, reference, title, occurred on,
    #: outcome), oldest incident first; the first `UNBOUND_SHOWN` unless all were asked for.
    unbound: list[tuple[int, str, str, date | None, str | None]] = field(default_factory=list)
    unbound_total: int = 0
    #: By year of incident: each factor's and pressure's average score and how many ratings.
    trends: dict[int, dict[str, tuple[float, int]]] = field(default_factory=dict)
    #: Responses by strategy, then by level.
    strategies: dict[str, dict[str, int]] = field(default_factory=dict)
    #: Responses that name no strategy, by level.
    unmarked: dict[str, int] = field(default_factory=dict)
    #: Responses by level.
    levels: dict[str, int] = field(default_factory=dict)
    #: (number of actors from the register, responses), fewest actors first.
    coalitions: list[tuple[int, int]] = field(default_factory=list)
    #: By year of incident: cases by suspected agent.
    timeline: dict[int, dict[str, int]] = field(default_factory=dict)
    #: (country code, cases), most first.
    places: list[tuple[str, int]] = field(default_factory=list)

    @property
    def agents(self) -> list[str]:
        """The agents the timeline names, in the vocabulary's order."""
        named = {agent for counts in self.timeline.values() for agent in counts}
        return [agent for agent in AGENTS if agent in named]


def _within(user, column):
    """A WHERE clause: `column` (a case id) is one of the cases `user` may see."""
    if permissions.sees_all_cases(user):
        return true()
    return column.in_(select(Case.id).where(permissions.visible_cases(user)))


def _year(column):
    return cast(extract("year", column), Integer)


def _attributed(user):
    """The visible cases whose current (latest) attribution names a party, with the state (or
    topmost entry) the party rolls up to and the incident's date."""
    roots = registers.party_roots()
    latest = (select(func.max(Finding.id)).where(Finding.kind == ATTRIBUTION_FINDING)
              .group_by(Finding.case_id))
    return (select(Finding.case_id, roots.c.root, Case.occurred_on)
            .join(roots, roots.c.id == Finding.party_id).join(Case, Case.id == Finding.case_id)
            .where(Finding.id.in_(latest), Finding.conclusion == ATTRIBUTED,
                   _within(user, Finding.case_id)).subquery("attributed"))


#: A legally binding response in force: adopted, or being implemented.
BINDING_IN_FORCE = (Response.legally_binding, Response.status.in_(IN_FORCE))


def _binding(case_id):
    """A WHERE clause: the case `case_id` has a legally binding response in force."""
    return exists().where(Response.case_id == case_id, *BINDING_IN_FORCE).correlate_except(Response)


def parties(session: Session, user) -> list[Party]:
    """Each party rolled up to its state: uses, attributions, the menu's answers, blocks and repeat use."""
    roots = registers.party_roots()
    attributed = _attributed(user)
    counted = session.execute(
        select(roots.c.root, RegisterEntry.name, func.count(Finding.id))
        .join(roots, roots.c.id == Finding.party_id).join(RegisterEntry, RegisterEntry.id == roots.c.root)
        .where(Finding.kind == ATTRIBUTION_FINDING, Finding.conclusion == ATTRIBUTED,
               _within(user, Finding.case_id))
        .group_by(roots.c.root, RegisterEntry.name)).all()
    uses = dict(session.execute(select(attributed.c.root, func.count())
                                .group_by(attributed.c.root)).all())
    cells: dict[int, dict] = {}
    answered: dict[int, dict] = {}
    blocked: dict[int, int] = {}
    standing = case((Response.status == "blocked", "blocked"), else_="in_force")
    for root, level, tool, state, count, uses_answered in session.execute(
            select(attributed.c.root, Response.level, Response.tool, standing, func.count(),
                   func.count(func.distinct(Response.case_id)))
            .join(Response, Response.case_id == attributed.c.case_id)
            .where(Response.status.in_((*IN_FORCE, "blocked")))
            .group_by(attributed.c.root, Response.level, Response.tool, standing)):
        if state == "blocked":
            blocked[root] = blocked.get(root, 0) + count
        else:
            cells.setdefault(root, {})[(level, tool)] = count
            answered.setdefault(root, {})[(level, tool)] = uses_answered
    repeats = dict(session.execute(_repeat_after_binding(attributed)).all())
    bound = dict(session.execute(
        select(attributed.c.root, func.count(func.distinct(attributed.c.case_id)))
        .join(Response, Response.case_id == attributed.c.case_id).where(*BINDING_IN_FORCE)
        .group_by(attributed.c.root)).all())
    found = [Party(root, name, uses.get(root, 0), attributions, cells.get(root, {}),
                   blocked.get(root, 0), repeats.get(root, 0), answered.get(root, {}), bound.get(root, 0))
             for root, name, attributions in counted]
    return sorted(found, key=lambda party: (-party.uses, -party.attributions, party.name))


def _repeat_after_binding(attributed):
    """(party, uses) counting the uses that occurred after a legally binding response in force
    was decided on an earlier use by the same party: after the earliest day by which both an
    earlier use and its binding response had happened (one pass, not every pair of uses)."""
    known = (attributed.c.occurred_on, Response.decided_on)
    both_happened = case((attributed.c.occurred_on > Response.decided_on, attributed.c.occurred_on),
                         else_=Response.decided_on)
    since = (select(attributed.c.root, func.min(both_happened).label("since"))
             .join(Response, Response.case_id == attributed.c.case_id)
             .where(*BINDING_IN_FORCE, *(column.is_not(None) for column in known))
             .group_by(attributed.c.root).subquery("since"))
    # A use later than that day is later than the use and the response that set it: never itself.
    return (select(attributed.c.root, func.count())
            .join(since, since.c.root == attributed.c.root)
            .where(attributed.c.occurred_on > since.c.since).group_by(attributed.c.root))


def blocked(session: Session, user) -> tuple[list, list]:
    """Blocked responses by the forum they were blocked in, and by who blocked them."""
    forum, blocker = aliased(RegisterEntry), aliased(RegisterEntry)
    rows = session.execute(
        select(forum.name, blocker.name, func.count()).select_from(Response)
        .outerjoin(ResponseBlock, ResponseBlock.response_id == Response.id)
        .outerjoin(forum, forum.id == ResponseBlock.forum_id)
        .outerjoin(blocker, blocker.id == ResponseBlock.blocked_by_id)
        .where(Response.status == "blocked", _within(user, Response.case_id))
        .group_by(forum.name, blocker.name)).all()
    by_forum: dict[str | None, int] = {}
    by_blocker: dict[str | None, int] = {}
    for forum_name, blocker_name, count in rows:
        by_forum[forum_name] = by_forum.get(forum_name, 0) + count
        by_blocker[blocker_name] = by_blocker.get(blocker_name, 0) + count
    return _most_first(by_forum), _most_first(by_blocker)


def _most_first(counts: dict[str | None, int]) -> list[tuple[str | None, int]]:
    """Counts by name, the largest first; the unrecorded (None) last among equals."""
    return sorted(counts.items(), key=lambda row: (-row[1], row[0] is None, row[0] or ""))


def closed_without_binding(session: Session, user, shown: int | None = UNBOUND_SHOWN) -> tuple[int, int, list]:
    """How many pathways closed, how many of them without a legally binding consequence in
    force, and those (the first `shown`; all when None)."""
    closed, unbound = session.execute(
        select(func.count(), func.count().filter(~_binding(Case.id)))
        .where(Case.state == CLOSED, _within(user, Case.id))).one()
    listed = (select(Case.id, Case.reference, Case.title, Case.occurred_on, Case.outcome)
              .where(Case.state == CLOSED, ~_binding(Case.id), _within(user, Case.id))
              .order_by(Case.occurred_on, Case.id))
    rows = session.execute(listed.limit(shown) if shown is not None else listed).all()
    return closed, unbound, [tuple(row) for row in rows]


def _score(column, scores: dict[str, int]):
    return case(scores, value=column)


def trends(session: Session, user) -> dict[int, dict[str, tuple[float, int]]]:
    """The four factors and four pressures of each case's latest evaluation, averaged per year of incident."""
    latest = (select(func.max(Evaluation.id)).where(_within(user, Evaluation.case_id))
              .group_by(Evaluation.case_id))
    year = _year(Case.occurred_on).label("year")

    def evaluated(*columns):
        return (select(*columns).select_from(Evaluation).join(Case, Case.id == Evaluation.case_id)
                .where(Evaluation.id.in_(latest), Case.occurred_on.is_not(None)))
    result: dict[int, dict[str, tuple[float, int]]] = {}
    factors = session.execute(
        evaluated(year, func.count(), *(
            func.avg(_score(getattr(Evaluation, factor), FACTOR_SCORES)) for factor in FACTORS))
        .group_by(year)).all()
    for when, count, *averages in factors:
        result[when] = {factor: (float(average), count) for factor, average in zip(FACTORS, averages)}
    pressures = session.execute(
        evaluated(year, EvaluationPressure.pressure, func.count(),
                  func.avg(_score(EvaluationPressure.rating, PRESSURE_SCORES)))
        .join(EvaluationPressure, EvaluationPressure.evaluation_id == Evaluation.id)
        .group_by(year, EvaluationPressure.pressure)).all()
    for when, pressure, count, average in pressures:
        result.setdefault(when, {})[pressure] = (float(average), count)
    return dict(sorted(result.items()))


def strategies(session: Session, user) -> tuple[dict[str, dict[str, int]], dict[str, int], dict[str, int]]:
    """Responses per strategy (by level), responses per level, and those naming no strategy."""
    tagged = "," + Response.strategies + ","
    rows = session.execute(
        select(Response.level, func.count(), func.count().filter(Response.strategies == ""),
               *(func.count().filter(tagged.like(f"%,{tag},%")) for tag in STRATEGIES))
        .where(_within(user, Response.case_id)).group_by(Response.level)).all()
    by_level = {level: count for level, count, *_ in rows}
    unmarked = {level: none for level, _count, none, *_ in rows if none}
    by_strategy = {tag: {level: counts[n] for level, _count, _none, *counts in rows if counts[n]}
                   for n, tag in enumerate(STRATEGIES)}
    return by_strategy, {level: by_level[level] for level in LEVELS if level in by_level}, unmarked


def coalitions(session: Session, user) -> list[tuple[int, int]]:
    """Responses by how many actors of the register take them (0: none named from it)."""
    actors = (select(func.count(ResponseEntry.id).label("actors"))
              .select_from(Response)
              .outerjoin(ResponseEntry, (ResponseEntry.response_id == Response.id)
                         & (ResponseEntry.register == "actor"))
              .where(_within(user, Response.case_id))
              .group_by(Response.id).subquery())
    return [tuple(row) for row in session.execute(
        select(actors.c.actors, func.count()).group_by(actors.c.actors).order_by(actors.c.actors))]


def timeline(session: Session, user) -> dict[int, dict[str, int]]:
    """Cases per year of incident, by suspected agent."""
    year = _year(Case.occurred_on)
    result: dict[int, dict[str, int]] = {}
    for when, agent, count in session.execute(
            select(year, Case.suspected_agent, func.count())
            .where(Case.occurred_on.is_not(None), _within(user, Case.id))
            .group_by(year, Case.suspected_agent).order_by(year)):
        result.setdefault(when, {})[agent] = count
    return result


def places(session: Session, user) -> list[tuple[str, int]]:
    """Cases per country (ISO 3166 code), most first."""
    count = func.count().label("cases")
    return [tuple(row) for row in session.execute(
        select(Case.country, count).where(Case.country != "", _within(user, Case.id))
        .group_by(Case.country).order_by(count.desc(), Case.country))]


def insight(session: Session, user, unbound_shown: int | None = UNBOUND_SHOWN) -> Insight:
    """Every figure of the insight page, over the cases `user` may see."""
    result = Insight(parties=parties(session, user), trends=trends(session, user),
                     coalitions=coalitions(session, user), timeline=timeline(session, user),
                     places=places(session, user))
    result.blocked_by_forum, result.blocked_by_blocker = blocked(session, user)
    result.closed, result.unbound_total, result.unbound = closed_without_binding(
        session, user, unbound_shown)
    result.strategies, result.levels, result.unmarked = strategies(session, user)
    return result
