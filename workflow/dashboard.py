"""Where accountability stalls, across all the cases a user may see: the dashboard's figures.

Every figure comes from a fixed number of aggregate queries, however many cases there are.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from statistics import median

from sqlalchemy import String, extract, func, select, type_coerce
from sqlalchemy.orm import Session

from models.audit import AuditEvent
from models.case import Case
from models.evaluation import Evaluation
from models.finding import Finding
from models.gate_request import GateRequest
from models.response import Response
from workflow import permissions
from workflow.clock import utcnow
from workflow.pathway import CLOSED, STAGES

MOVES = ("case_opened", "gate_approved", "case_reopened")


@dataclass
class Filters:
    year: int | None = None
    country: str = ""
    stall_days: int = 90


@dataclass
class Figures:
    funnel: dict[str, int] = field(default_factory=dict)
    durations: dict[str, tuple[int, float, float]] = field(default_factory=dict)
    stalled: list[tuple] = field(default_factory=list)
    rejections: list[tuple[str, str, int, int, float]] = field(default_factory=list)
    coverage: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)
    attributed: int = 0
    binding: int = 0
    repeat_use: list[tuple[str, int, int]] = field(default_factory=list)

    @property
    def binding_share(self) -> float | None:
        return self.binding / self.attributed if self.attributed else None


def _cases(user, filters: Filters):
    """The ids of the cases the figures are about: visible to the user, and filtered."""
    query = select(Case.id).where(permissions.visible_cases(user))
    if filters.year:
        query = query.where(extract("year", Case.occurred_on) == filters.year)
    if filters.country:
        query = query.where(func.lower(Case.country) == filters.country.strip().lower())
    return query


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, -(-int(share * 100) * len(ordered) // 100))
    return ordered[rank - 1]


def stage_stays(moves) -> tuple[dict, dict]:
    """From moves (case id, stage entered, when) in order: per stage (stays, median days, 90th
    percentile) of the stays that ended, and each case's last move."""
    stays, last = defaultdict(list), {}
    for case_id, stage, at in moves:
        previous = last.get(case_id)
        if previous:
            stays[previous[0]].append((at - previous[1]).total_seconds() / 86400)
        last[case_id] = (stage, at)
    durations = {stage: (len(days), median(days), percentile(days, 0.9))
                 for stage, days in stays.items() if days}
    return durations, last


def figures(session: Session, user, filters: Filters, now: datetime | None = None) -> Figures:
    """Every figure of the dashboard for `user`, filtered by year and country."""
    now, ids, result = now or utcnow(), _cases(user, filters), Figures()
    result.funnel = dict(session.execute(select(Case.state, func.count()).where(Case.id.in_(ids))
                                         .group_by(Case.state)).all())
    # Times as the driver gives them: SQLAlchemy's own parsing of SQLite's text would cost
    # more than everything else here, at tens of thousands of moves.
    core = session.connection()  # plain rows: no ORM bookkeeping for tens of thousands of them
    moves = core.execute(select(AuditEvent.case_id, AuditEvent.to_state,
                                   type_coerce(AuditEvent.at, String))
                            .where(AuditEvent.case_id.in_(ids), AuditEvent.event_type.in_(MOVES))
                            .order_by(AuditEvent.case_id, AuditEvent.seq)).all()
    result.durations, last = stage_stays(
        (case_id, stage, at if isinstance(at, datetime) else datetime.fromisoformat(at))
        for case_id, stage, at in moves)
    open_cases = core.execute(select(Case.id, Case.reference, Case.title, Case.state)
                              .where(Case.id.in_(ids), Case.state != CLOSED)).all()
    for case_id, reference, title, state in open_cases:
        since = last.get(case_id, (state, now))[1]
        idle = (now - since).days
        if idle >= filters.stall_days:
            result.stalled.append((idle, case_id, reference, title, state))
    result.stalled.sort(reverse=True)
    decided = session.execute(select(GateRequest.from_state, GateRequest.target, GateRequest.decision,
                                     func.count())
                              .where(GateRequest.case_id.in_(ids),
                                     GateRequest.decision.in_(("approved", "rejected")))
                              .group_by(GateRequest.from_state, GateRequest.target, GateRequest.decision)).all()
    gates = defaultdict(lambda: [0, 0])
    for source, target, decision, count in decided:
        gates[(source, target)][decision == "rejected"] += count
    result.rejections = sorted(
        ((source, target, approved + rejected, rejected, rejected / (approved + rejected))
         for (source, target), (approved, rejected) in gates.items()),
        key=lambda row: (STAGES.index(row[0]), STAGES.index(row[1])))
    for level, tool, status, count in session.execute(
            select(Response.level, Response.tool, Response.status, func.count())
            .where(Response.case_id.in_(ids)).group_by(Response.level, Response.tool, Response.status)):
        result.coverage.setdefault((level, tool), {})[status] = count
    latest = (select(Finding.case_id, func.max(Finding.id).label("id"))
              .where(Finding.case_id.in_(ids), Finding.kind == "attribution")
              .group_by(Finding.case_id).subquery())
    attributed = (select(Finding.case_id, Finding.responsible_party)
                  .join(latest, Finding.id == latest.c.id)
                  .where(Finding.conclusion == "attributed").subquery())
    result.attributed = session.scalar(select(func.count()).select_from(attributed))
    result.binding = session.scalar(select(func.count(func.distinct(Response.case_id))).where(
        Response.case_id.in_(select(attributed.c.case_id)), Response.legally_binding,
        Response.status.in_(("adopted", "implemented"))))
    latest_evaluation = (select(Evaluation.case_id, func.max(Evaluation.id).label("id"))
                         .where(Evaluation.case_id.in_(ids)).group_by(Evaluation.case_id).subquery())
    repeat = session.execute(
        select(attributed.c.responsible_party, func.count(),
               func.count().filter(Evaluation.repeat_use == "yes"))
        .select_from(attributed)
        .join(latest_evaluation, latest_evaluation.c.case_id == attributed.c.case_id)
        .join(Evaluation, Evaluation.id == latest_evaluation.c.id)
        .group_by(attributed.c.responsible_party)).all()
    result.repeat_use = sorted(((party, evaluated, again) for party, evaluated, again in repeat),
                               key=lambda row: (-row[2], row[0]))
    return result
