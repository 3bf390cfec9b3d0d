"""Each case's stays in the stages, written by the transaction that moves it, and the dashboard's
figures read from them: days per stage (count, median, 90th percentile) and stalled cases.

Every move is an audit event naming the stage entered (`to_state`); `moved` is called for
each as it is appended (workflow/tallies.py), so a case opened, a gate approved, a reopening
and an imported history all keep the stays, in the move's own transaction. A stay that ends
adds one to its stage's tally of stays by whole days, so a percentile over every case is
found in the tally and read from a few rows, however many cases there are.
"""
from __future__ import annotations

import math
from collections import defaultdict
from datetime import date, datetime
from functools import cache

from sqlalchemy import DateTime, Select, bindparam, extract, func, insert, select, text, update
from sqlalchemy.orm import Session

from models.case import Case
from models.database import insert_on
from models.stay import STALLABLE, CaseStay, StayTally
from workflow.stages import STAGES

#: The move that places an imported case at its stage: the stay it ends was never spent here.
IMPORTED = "history_imported"


def moved(session: Session, case_id: int, stage: str, at: datetime, event_type: str,
          documented: list | None = None) -> str | None:
    """A case moved into `stage` at `at`: its stay ends (tallied by its whole days unless an
    imported history ended it) and the next begins; the stage it left, if any. An imported
    history with `documented` moves ([stage, ISO date or None] from the first stage to `stage`)
    keeps a stay per dated stage instead (see `_documented`)."""
    connection = session.connection()
    if event_type == IMPORTED and documented:
        return _documented(connection, case_id, stage, at, documented)
    ended = connection.execute(_end_stay(connection.dialect.name, event_type != IMPORTED),
                               {"of_case": case_id, "moved_at": at}).first()
    if ended is not None and ended.days is not None:
        add_counts(connection, StayTally, [dict(stage=ended.stage, day=day_of(ended.days), stays=1)],
                   "stays")
    connection.execute(_BEGIN_STAY, {"case_id": case_id, "stage": stage, "entered_at": at})
    return ended.stage if ended is not None else None


def _documented(connection, case_id: int, stage: str, at: datetime, documented: list) -> str | None:
    """The stays of an imported case as its record dates them: the open stay (since the case was
    opened by the import) is moved back to the first documented date, and each dated stage
    after it ends the stay before it. A stay is tallied only when the record dates both its
    entry and its exit; an undated stage gets no stay (nothing says when it began), and the
    stage reached, undated, begins at the import."""
    moves = [(name, datetime.combine(date.fromisoformat(on), datetime.min.time()) if on else None)
             for name, on in documented]
    first, since = moves[0]
    left = connection.execute(
        update(CaseStay).where(CaseStay.case_id == case_id, CaseStay.left_at.is_(None))
        .values(**({"entered_at": since} if since else {})).returning(CaseStay.stage)).scalar()
    previous = since
    for name, when in moves[1:]:
        if when is None and name != stage:
            previous = None
            continue
        tallied = previous is not None and when is not None
        ended = connection.execute(_end_stay(connection.dialect.name, tallied),
                                   {"of_case": case_id, "moved_at": when or at}).first()
        if ended is not None and ended.days is not None:
            add_counts(connection, StayTally,
                       [dict(stage=ended.stage, day=day_of(ended.days), stays=1)], "stays")
        connection.execute(_BEGIN_STAY, {"case_id": case_id, "stage": name, "entered_at": when or at})
        previous = when
    return left


# The statements below run inside every move: built once, run with each move's values.
_BEGIN_STAY = insert(CaseStay)


@cache
def _end_stay(dialect: str, tallied: bool):
    """UPDATE … RETURNING that ends a case's open stay at :moved_at (its days counted if `tallied`)."""
    at = bindparam("moved_at", type_=DateTime)
    return (update(CaseStay).where(CaseStay.case_id == bindparam("of_case"),
                                   CaseStay.left_at.is_(None))
            .values(left_at=at, days=_days(dialect, at) if tallied else None)
            .returning(CaseStay.stage, CaseStay.days))


def _days(dialect: str, at):
    """The stay's length in days up to `at`, as the database computes it."""
    if dialect == "postgresql":
        return extract("epoch", at - CaseStay.entered_at) / 86400
    return func.julianday(at) - func.julianday(CaseStay.entered_at)


def day_of(days: float) -> int:
    """The tally a stay's length falls in: its whole days (a clock set back counts as day 0)."""
    return max(0, math.floor(days))


def add_counts(connection, model, rows: list[dict], column: str) -> None:
    """Add each row's `column` to the counter its primary key names (created at that count if
    new): one statement for all the rows."""
    connection.execute(_upsert(connection.dialect.name, model, column), rows)


@cache
def _upsert(dialect: str, model, column: str):
    """INSERT … ON CONFLICT that adds to a counter, built once per counter table."""
    statement = insert_on(dialect, model)
    return statement.on_conflict_do_update(
        index_elements=list(model.__table__.primary_key.columns),
        set_={column: getattr(model, column) + getattr(statement.excluded, column)})


# --- Reading ---------------------------------------------------------------------------------

def _ranks(count) -> tuple:
    """The 1-based ranks the median (one or two middle stays) and the 90th percentile
    (nearest rank) are read at; of a number, or of a column in SQL."""
    return (count + 1) // 2, count // 2 + 1, (9 * count + 9) // 10


def _figures(count: int, at: dict[int, float]) -> tuple[int, float, float]:
    low, high, p90 = _ranks(count)
    return count, (at[low] + at[high]) / 2, at[p90]


def durations(session: Session, cases: Select | None) -> dict[str, tuple[int, float, float]]:
    """Per stage: the stays that ended, their median and 90th percentile in days; of `cases`
    (a select of case ids), or of every case when None."""
    found = _tallied(session) if cases is None else _ranked(session, cases)
    return {stage: _figures(*found[stage]) for stage in STAGES if stage in found}


def _ranked(session: Session, cases: Select) -> dict[str, tuple[int, dict[int, float]]]:
    """Window functions rank the stays of the cases chosen; only the ranks wanted come back."""
    ranked = select(
        CaseStay.stage, CaseStay.days,
        func.row_number().over(partition_by=CaseStay.stage, order_by=CaseStay.days).label("rank"),
        func.count().over(partition_by=CaseStay.stage).label("n"),
    ).where(CaseStay.days.is_not(None), CaseStay.case_id.in_(cases)).subquery()
    rows = session.execute(select(ranked.c.stage, ranked.c.n, ranked.c.rank, ranked.c.days)
                           .where(ranked.c.rank.in_(_ranks(ranked.c.n))))
    found: dict[str, tuple[int, dict[int, float]]] = {}
    for stage, n, rank, days in rows:
        found.setdefault(stage, (n, {}))[1][rank] = days
    return found


def _tallied(session: Session) -> dict[str, tuple[int, dict[int, float]]]:
    """The tally says in which whole day each rank falls; one statement reads those stays."""
    buckets = defaultdict(list)
    for stage, day, stays in session.execute(select(StayTally.stage, StayTally.day, StayTally.stays)
                                             .where(StayTally.stays > 0)
                                             .order_by(StayTally.stage, StayTally.day)):
        buckets[stage].append((day, stays))
    wanted = []
    for stage, days in buckets.items():
        for rank in set(_ranks(sum(stays for _, stays in days))):
            before = 0
            for day, stays in days:
                if rank <= before + stays:
                    wanted.append((stage, rank, day, rank - before - 1))
                    break
                before += stays
    if not wanted:
        return {}
    # One scalar subquery per rank, written as text: built from SQL expressions, the eighteen
    # of them cost more to construct than to run.
    reads, values = [], {}
    for n, (stage, rank, day, offset) in enumerate(wanted):
        reads.append(f"SELECT :stage{n} AS stage, :rank{n} AS rank, (SELECT days FROM case_stays "
                     f"WHERE stage = :stage{n} AND days >= :low{n} AND days < :high{n} "
                     f"ORDER BY days LIMIT 1 OFFSET :offset{n}) AS days")
        # Day 0 also holds any stay a clock set back made negative (see `day_of`).
        values.update({f"stage{n}": stage, f"rank{n}": rank, f"offset{n}": offset,
                       f"low{n}": float(day) if day else -math.inf, f"high{n}": float(day + 1)})
    found = {stage: (sum(stays for _, stays in days), {}) for stage, days in buckets.items()}
    for stage, rank, days in session.execute(text(" UNION ALL ".join(reads)), values):
        found[stage][1][rank] = days
    return found


def stalled_query(cases: Select | None, cutoff: datetime, bare: bool = False) -> Select:
    """Open cases that have not moved since `cutoff`, the longest idle first; `bare`: their
    stays only (enough to count them)."""
    query = select(CaseStay.case_id) if bare else (
        select(CaseStay.entered_at, Case.id, Case.reference, Case.title, CaseStay.stage)
        .join(Case, Case.id == CaseStay.case_id))
    query = query.where(STALLABLE, CaseStay.entered_at <= cutoff)
    if cases is not None:
        query = query.where(CaseStay.case_id.in_(cases))
    return query.order_by(CaseStay.entered_at, CaseStay.case_id)
