"""What each case adds to the figures of the dashboard and of insight, kept by the transaction
that changes the case, so that the figures over every case are read from a few rows.

A case's counts (its uses by party, its responses by cell, strategy and coalition, its latest
evaluation's ratings by year, …) are computed here, from the case alone; the figures are their
sums. Every audit event on a case that may change them marks the case (`touched`); when the
transaction commits, the marked cases are counted again and the difference is added to the
kept sums (FigureCount). Someone who sees every case reads the sums; someone who sees some
cases reads those cases' counts and adds them up. Parties are counted by register entry and
rolled up to their state when read, so a change to the register moves no count.
"""
from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable

from sqlalchemy import Select, delete, event, func, insert, select
from sqlalchemy.orm import Session

from models.case import Case
from models.database import constant
from models.evaluation import Evaluation, EvaluationPressure
from models.finding import Finding
from models.response import Response, ResponseBlock, ResponseEntry
from models.figures import CaseFigures, FigureCount
from vocabulary import ATTRIBUTED, ATTRIBUTION_FINDING, CLOSED, FACTORS
from workflow import audit, permissions, stays

#: A response in force: the consequence was adopted, or is being implemented.
IN_FORCE = ("adopted", "implemented")
#: Ratings as numbers, so that a year's ratings average: above 0 restraint was strengthened
#: (a factor) or pressure is rising (a pressure), below 0 the opposite.
FACTOR_SCORES = {"weakened": -1, "unchanged": 0, "strengthened": 1}
PRESSURE_SCORES = {"receding": -1, "unchanged": 0, "rising": 1}
#: Events that change nothing a figure counts: a case they name is not counted again (unless
#: the event closes or reopens it).
UNCOUNTED = frozenset((
    "gate_requested", "gate_approved", "gate_rejected", "gate_withdrawn", "comment_added",
    "evidence_added", "evidence_withdrawn", "evidence_corrected", "evidence_downloaded",
    "evidence_previewed", "custody_recorded", "lab_analysis_recorded", "no_sample_explained",
    "deterrence_message_recorded", "case_linked", "milestone_added", "milestone_updated",
    "milestone_corrected", "team_added", "team_member_added", "team_member_changed",
    "team_member_removed", "task_assigned", "task_cancelled", "task_claimed", "task_completed",
    "task_corrected", "task_created", "task_queued", "task_unclaimed"))
#: Cases counted again per batch of statements.
BATCH = 2_000
#: The figures a case adds to (their keys are JSON lists).
FIGURES = ("timeline", "place", "closed", "unbound", "level", "unmarked", "strategy", "coalition",
           "blocked", "attributions", "uses", "bound", "cell", "answered", "party_blocked",
           "attributed", "binding", "evaluated", "repeat", "trend_n", "trend", "pressure_n",
           "pressure")

Key = tuple[str, str]  # (figure, JSON list of the key's parts)


def key(figure: str, *parts) -> Key:
    """The counter of `figure` for the key `parts` (ids, codes, years, names)."""
    return figure, json.dumps(parts, ensure_ascii=False, separators=(",", ":"))


def touched(session: Session, event: dict) -> None:
    """An event was appended: mark its case to be counted again at commit if it may have
    changed what the case counts."""
    if event["case_id"] is not None and (event["event_type"] not in UNCOUNTED
                                         or CLOSED in (event["from_state"], event["to_state"])):
        session.info.setdefault("figures_touched", set()).add(event["case_id"])


@event.listens_for(Session, "before_commit")
def _count_at_commit(session: Session) -> None:
    """Count the cases the transaction touched again, once, with everything it changed."""
    if session.in_nested_transaction():  # a savepoint released: the transaction goes on
        return
    case_ids = session.info.pop("figures_touched", None)
    if case_ids:
        session.flush()
        recount(session, sorted(case_ids))


@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, previous) -> None:
    """Nothing of a rolled-back transaction is counted; a savepoint rolled back leaves the
    cases marked before it (counting a case again changes nothing if it did not change)."""
    if not previous.nested:
        session.info.pop("figures_touched", None)


def recount(session: Session, case_ids: Iterable[int]) -> None:
    """Count the cases again, and add the difference to the kept sums."""
    case_ids = list(case_ids)
    for start in range(0, len(case_ids), BATCH):
        _recount(session, case_ids[start:start + BATCH])


def _recount(session: Session, case_ids: list[int]) -> None:
    connection = session.connection()
    counted = _count(session, case_ids)
    change = Counter()
    for case_id, counts in connection.execute(select(CaseFigures.case_id, CaseFigures.counts)
                                              .where(CaseFigures.case_id.in_(case_ids))):
        for figure, parts, n in json.loads(counts):
            change[figure, parts] -= n
    for row in counted:
        for figure, parts, n in json.loads(row["counts"]):
            change[figure, parts] += n
    connection.execute(delete(CaseFigures).where(CaseFigures.case_id.in_(case_ids)))
    if counted:
        connection.execute(insert(CaseFigures), counted)
    changed = [dict(figure=figure, key=parts, count=n) for (figure, parts), n in change.items() if n]
    if changed:
        stays.add_counts(connection, FigureCount, changed, "count")


def _count(session: Session, case_ids: list[int]) -> list[dict]:
    """Each case's row of CaseFigures: its facts, and its counts as JSON."""
    of = lambda column: column.in_(case_ids)  # noqa: E731
    attributions = defaultdict(list)
    for row in session.execute(select(Finding.case_id, Finding.conclusion, Finding.party_id,
                                      Finding.party_type, Finding.responsible_party)
                               .where(of(Finding.case_id), Finding.kind == ATTRIBUTION_FINDING)
                               .order_by(Finding.id)):
        attributions[row.case_id].append(row)
    responses = defaultdict(list)
    for row in session.execute(select(Response.id, Response.case_id, Response.level, Response.tool,
                                      Response.status, Response.legally_binding,
                                      Response.decided_on, Response.strategies)
                               .where(of(Response.case_id))):
        responses[row.case_id].append(row)
    actors = dict(session.execute(
        select(ResponseEntry.response_id, func.count()).join(Response)
        .where(of(Response.case_id), ResponseEntry.register == constant("actor"))
        .group_by(ResponseEntry.response_id)).all())
    blocks = {row.response_id: (row.forum_id, row.blocked_by_id) for row in session.execute(
        select(ResponseBlock.response_id, ResponseBlock.forum_id, ResponseBlock.blocked_by_id)
        .where(of(ResponseBlock.case_id)))}
    evaluations = {}
    for row in session.execute(select(Evaluation).where(of(Evaluation.case_id))
                               .order_by(Evaluation.id)).scalars():
        evaluations[row.case_id] = row  # the latest wins
    pressures = defaultdict(list)
    for row in session.execute(select(EvaluationPressure.evaluation_id, EvaluationPressure.pressure,
                                      EvaluationPressure.rating)
                               .where(EvaluationPressure.evaluation_id.in_(
                                   [evaluation.id for evaluation in evaluations.values()]))):
        pressures[row.evaluation_id].append(row)
    rows = []
    for case in session.execute(select(Case.id, Case.occurred_on, Case.country,
                                       Case.suspected_agent, Case.state)
                                .where(of(Case.id))):
        evaluation = evaluations.get(case.id)
        rows.append(_case_row(case, attributions[case.id], responses[case.id], actors, blocks,
                              evaluation, pressures[evaluation.id] if evaluation else []))
    return rows


def _case_row(case, attributions, responses, actors, blocks, evaluation, pressures) -> dict:
    """What one case adds to each figure, from its attributions (oldest first), responses and
    latest evaluation."""
    counts = Counter()
    year = case.occurred_on.year if case.occurred_on else None
    if year is not None:
        counts[key("timeline", year, case.suspected_agent)] += 1
    if case.country:
        counts[key("place", case.country)] += 1
    in_force = [r for r in responses if r.status in IN_FORCE]
    binding = [r for r in in_force if r.legally_binding]
    closed = case.state == CLOSED
    if closed:
        counts[key("closed")] += 1
        counts[key("unbound")] += not binding
    for response in responses:
        counts[key("level", response.level)] += 1
        tags = [tag for tag in response.strategies.split(",") if tag]
        counts[key("unmarked", response.level)] += not tags
        for tag in tags:
            counts[key("strategy", tag, response.level)] += 1
        counts[key("coalition", actors.get(response.id, 0))] += 1
        if response.status == "blocked":
            counts[key("blocked", *blocks.get(response.id, (None, None)))] += 1
    for finding in attributions:
        if finding.conclusion == ATTRIBUTED and finding.party_id is not None:
            counts[key("attributions", finding.party_id)] += 1
    current = attributions[-1] if attributions and attributions[-1].conclusion == ATTRIBUTED else None
    party = current.party_id if current else None
    if party is not None:
        counts[key("uses", party)] += 1
        counts[key("bound", party)] += bool(binding)
        for response in in_force:
            counts[key("cell", party, response.level, response.tool)] += 1
        for level, tool in {(r.level, r.tool) for r in in_force}:
            counts[key("answered", party, level, tool)] += 1
        counts[key("party_blocked", party)] += sum(r.status == "blocked" for r in responses)
    if current is not None:
        counts[key("attributed")] += 1
        counts[key("binding")] += bool(binding)
        if evaluation is not None:
            counts[key("evaluated", current.responsible_party)] += 1
            counts[key("repeat", current.responsible_party)] += evaluation.repeat_use == "yes"
    if evaluation is not None and year is not None:
        counts[key("trend_n", year)] += 1
        for factor in FACTORS:
            counts[key("trend", year, factor)] += FACTOR_SCORES[getattr(evaluation, factor)]
        for pressure in pressures:
            counts[key("pressure_n", year, pressure.pressure)] += 1
            counts[key("pressure", year, pressure.pressure)] += PRESSURE_SCORES[pressure.rating]
    both_happened = [max(case.occurred_on, r.decided_on) for r in binding
                     if case.occurred_on and r.decided_on]
    return dict(case_id=case.id, party_id=party, party_type=current.party_type if current else None,
                responsible_party=current.responsible_party if current else None,
                binding=bool(binding), closed=closed,
                repeat_use=evaluation.repeat_use if evaluation else None,
                occurred_on=case.occurred_on, bound_since=min(both_happened, default=None),
                counts=json.dumps([[figure, parts, n] for (figure, parts), n in counts.items() if n],
                                  ensure_ascii=False))


def read(session: Session, cases: Select | None, figures: tuple[str, ...]) -> dict[str, dict[tuple, int]]:
    """The sums of `figures` by figure, keyed by their parts: over `cases` (a select of case
    ids), or over every case when None (the kept sums)."""
    found: dict[str, dict[tuple, int]] = {figure: {} for figure in figures}
    if cases is None:
        rows = session.execute(select(FigureCount.figure, FigureCount.key, FigureCount.count)
                               .where(FigureCount.figure.in_(figures), FigureCount.count != 0))
    else:
        sums = Counter()
        for (counts,) in session.execute(select(CaseFigures.counts)
                                         .where(CaseFigures.case_id.in_(cases))):
            for figure, parts, n in json.loads(counts):
                if figure in found:
                    sums[figure, parts] += n
        rows = ((figure, parts, n) for (figure, parts), n in sums.items() if n)
    for figure, parts, n in rows:
        found[figure][tuple(json.loads(parts))] = n
    return found


def visible(user) -> Select | None:
    """The cases `user` may see, as a select of ids; None when that is every case."""
    return None if permissions.sees_all_cases(user) else select(Case.id).where(permissions.visible_cases(user))


def rebuild(session: Session) -> int:
    """Count every case afresh, and the sums from them (after a bulk load or an upgrade);
    returns how many cases were counted."""
    audit.lock_chain_head(session)  # no command counts a case meanwhile (see tallies.py)
    session.execute(delete(CaseFigures))
    session.execute(delete(FigureCount).where(FigureCount.figure.in_(FIGURES)))
    case_ids = session.scalars(select(Case.id).order_by(Case.id)).all()
    recount(session, case_ids)
    return len(case_ids)
