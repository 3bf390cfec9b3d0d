"""Insight on the record, across the cases a user may see: who used chemical weapons and what
answered them, where pathways were clipped, and how restraint moved over the years.

Every figure is a sum of what each case adds (workflow/case_figures.py), read from a few rows
for someone who sees every case; the page takes the same few statements however many cases
there are.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, or_, select, true
from sqlalchemy.orm import Session

from models.case import Case
from models.register import RegisterEntry
from models.figures import UNBOUND, CaseFigures
from vocabulary import AGENTS, FACTORS, LEVELS, STRATEGIES, TOOLS
from workflow import case_figures, registers

#: The closed pathways without a binding consequence the page lists; the CSV has them all.
UNBOUND_SHOWN = 20


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


#: The sums (workflow/case_figures.py) the page reads.
FIGURES = ("attributions", "uses", "bound", "cell", "answered", "party_blocked", "blocked",
           "closed", "unbound", "trend_n", "trend", "pressure_n", "pressure", "level", "unmarked",
           "strategy", "coalition", "timeline", "place")


def _within(cases, column):
    """A WHERE clause: `column` (a case id) is one of `cases` (None: any case)."""
    return true() if cases is None else column.in_(cases)


def parties(session: Session, cases, kept) -> list[Party]:
    """Each party rolled up to its state: uses, attributions, the menu's answers, blocks and repeat use."""
    roots = registers.party_roots()
    rolled = {party: (root, name) for party, root, name in session.execute(
        select(roots.c.id, roots.c.root, RegisterEntry.name)
        .join(RegisterEntry, RegisterEntry.id == roots.c.root))}
    totals: dict[int, Counter] = defaultdict(Counter)
    cells: dict[int, Counter] = defaultdict(Counter)
    answered: dict[int, Counter] = defaultdict(Counter)
    for figure in ("attributions", "uses", "bound", "party_blocked"):
        for (party,), n in kept[figure].items():
            totals[rolled[party][0]][figure] += n
    for into, figure in ((cells, "cell"), (answered, "answered")):
        for (party, level, tool), n in kept[figure].items():
            into[rolled[party][0]][level, tool] += n
    repeats = _repeat_after_binding(session, cases, rolled)
    names = dict(rolled.values())
    found = [Party(root, names[root], counts["uses"], counts["attributions"], dict(cells[root]),
                   counts["party_blocked"], repeats.get(root, 0), dict(answered[root]), counts["bound"])
             for root, counts in totals.items() if counts["attributions"]]
    return sorted(found, key=lambda party: (-party.uses, -party.attributions, party.name))


def _repeat_after_binding(session: Session, cases, rolled: dict[int, tuple[int, str]]) -> dict[int, int]:
    """Per party, the uses that occurred after a legally binding response in force was decided
    on an earlier use by the same party: after the earliest day by which both an earlier use
    and its binding response had happened (one pass, not every pair of uses)."""
    since: dict[int, date] = {}
    for party, earliest in session.execute(
            select(CaseFigures.party_id, func.min(CaseFigures.bound_since))
            .where(CaseFigures.bound_since.is_not(None), CaseFigures.party_id.is_not(None),
                   _within(cases, CaseFigures.case_id)).group_by(CaseFigures.party_id)):
        root = rolled[party][0]
        since[root] = min(earliest, since.get(root, earliest))
    if not since:
        return {}
    units = defaultdict(list)
    for party, (root, _name) in rolled.items():
        if root in since:
            units[root].append(party)
    # A use later than that day is later than the use and the response that set it: never itself.
    later = or_(*(CaseFigures.party_id.in_(units[root]) & (CaseFigures.occurred_on > day)
                  for root, day in since.items()))
    repeats: Counter = Counter()
    for party, count in session.execute(select(CaseFigures.party_id, func.count())
                                        .where(later, _within(cases, CaseFigures.case_id))
                                        .group_by(CaseFigures.party_id)):
        repeats[rolled[party][0]] += count
    return repeats


def blocked(session: Session, kept) -> tuple[list, list]:
    """Blocked responses by the forum they were blocked in, and by who blocked them."""
    named = {entry for pair in kept["blocked"] for entry in pair if entry is not None}
    names = dict(session.execute(select(RegisterEntry.id, RegisterEntry.name)
                                 .where(RegisterEntry.id.in_(named))).all()) if named else {}
    by_forum: Counter = Counter()
    by_blocker: Counter = Counter()
    for (forum, blocker), count in kept["blocked"].items():
        by_forum[names.get(forum)] += count
        by_blocker[names.get(blocker)] += count
    return _most_first(by_forum), _most_first(by_blocker)


def _most_first(counts: dict[str | None, int]) -> list[tuple[str | None, int]]:
    """Counts by name, the largest first; the unrecorded (None) last among equals."""
    return sorted(counts.items(), key=lambda row: (-row[1], row[0] is None, row[0] or ""))


def closed_without_binding(session: Session, cases, kept, shown: int | None = UNBOUND_SHOWN) -> tuple[int, int, list]:
    """How many pathways closed, how many of them without a legally binding consequence in
    force, and those (the first `shown`; all when None)."""
    listed = (select(Case.id, Case.reference, Case.title, Case.occurred_on, Case.outcome)
              .join(CaseFigures, CaseFigures.case_id == Case.id)
              .where(UNBOUND, _within(cases, CaseFigures.case_id))
              .order_by(CaseFigures.occurred_on, CaseFigures.case_id))
    rows = session.execute(listed.limit(shown) if shown is not None else listed).all()
    return kept["closed"].get((), 0), kept["unbound"].get((), 0), [tuple(row) for row in rows]


def trends(kept) -> dict[int, dict[str, tuple[float, int]]]:
    """The four factors and four pressures of each case's latest evaluation, averaged per year of incident."""
    result: dict[int, dict[str, tuple[float, int]]] = {}
    for (year,), count in kept["trend_n"].items():
        result[year] = {factor: (kept["trend"].get((year, factor), 0) / count, count)
                        for factor in FACTORS}
    for (year, pressure), count in kept["pressure_n"].items():
        result.setdefault(year, {})[pressure] = (kept["pressure"].get((year, pressure), 0) / count, count)
    return dict(sorted(result.items()))


def strategies(kept) -> tuple[dict[str, dict[str, int]], dict[str, int], dict[str, int]]:
    """Responses per strategy (by level), responses per level, and those naming no strategy."""
    by_level = lambda figure, *tag: {level: kept[figure][(*tag, level)]  # noqa: E731
                                     for level in LEVELS if (*tag, level) in kept[figure]}
    return ({tag: by_level("strategy", tag) for tag in STRATEGIES}, by_level("level"),
            by_level("unmarked"))


def coalitions(kept) -> list[tuple[int, int]]:
    """Responses by how many actors of the register take them (0: none named from it)."""
    return sorted((actors, count) for (actors,), count in kept["coalition"].items())


def timeline(kept) -> dict[int, dict[str, int]]:
    """Cases per year of incident, by suspected agent."""
    result: dict[int, dict[str, int]] = {}
    for (year, agent), count in sorted(kept["timeline"].items()):
        result.setdefault(year, {})[agent] = count
    return result


def places(session: Session, user) -> list[tuple[str, int]]:
    """Cases per country (ISO 3166 code) among those `user` may see, most first."""
    return _places(case_figures.read(session, case_figures.visible(user), ("place",)))


def _places(kept) -> list[tuple[str, int]]:
    return sorted(((country, count) for (country,), count in kept["place"].items()),
                  key=lambda row: (-row[1], row[0]))


def insight(session: Session, user, unbound_shown: int | None = UNBOUND_SHOWN) -> Insight:
    """Every figure of the insight page, over the cases `user` may see."""
    cases = case_figures.visible(user)
    kept = case_figures.read(session, cases, FIGURES)
    result = Insight(parties=parties(session, cases, kept), trends=trends(kept),
                     coalitions=coalitions(kept), timeline=timeline(kept), places=_places(kept))
    result.blocked_by_forum, result.blocked_by_blocker = blocked(session, kept)
    result.closed, result.unbound_total, result.unbound = closed_without_binding(
        session, cases, kept, unbound_shown)
    result.strategies, result.levels, result.unmarked = strategies(kept)
    return result
