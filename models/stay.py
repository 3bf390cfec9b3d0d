"""How long cases stay in each stage, one row per stay, with a tally of ended stays by day; the
counts the dashboard and insight show for every case, and what each case adds to them."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Float, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, choice
from vocabulary import STAGES

OPEN = text("left_at IS NULL")
#: An open stay in a stage that is not closed (a query uses the same text, so the index serves it).
STALLABLE = text("left_at IS NULL AND stage <> 'closed'")


class CaseStay(Base):
    """A case's stay in a stage, from the move that entered it to the move that left it."""

    __tablename__ = "case_stays"
    __table_args__ = (
        # A case stands in one stage at a time.
        Index("uq_case_stays_open", "case_id", unique=True, sqlite_where=OPEN, postgresql_where=OPEN),
        # Stalled cases, the longest idle first: a range of this index, read and counted.
        Index("ix_case_stays_open_since", "entered_at", "case_id", sqlite_where=STALLABLE,
              postgresql_where=STALLABLE),
        # A stage's stays in order of length: its percentiles are read by rank.
        Index("ix_case_stays_stage_days", "stage", "days"),
        Index("ix_case_stays_case_id", "case_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Like the audit log's own case ids, not a foreign key: the stays mirror the log's moves,
    #: whatever case an event names.
    case_id: Mapped[int]
    stage: Mapped[str] = mapped_column(choice(*STAGES, name="stay_stage"))
    entered_at: Mapped[datetime]
    left_at: Mapped[datetime | None]
    #: The stay's length in days; None while it lasts, and for a stay an imported history ended
    #: (the case was placed past it, it did not spend that time here).
    days: Mapped[float | None] = mapped_column(Float)


class StayTally(Base):
    """How many ended stays of a stage lasted `day` whole days: where each percentile lies."""

    __tablename__ = "stay_tallies"

    stage: Mapped[str] = mapped_column(choice(*STAGES, name="tally_stage"), primary_key=True)
    day: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    stays: Mapped[int]


class FigureCount(Base):
    """A count the dashboard shows for every case, by figure and key: cases per stage
    ('stage', 'investigation'), responses per cell and status of the menu ('menu',
    'national/legal/adopted'), gate decisions ('gate', 'reported/investigation/rejected');
    and the sums of what each case adds (CaseFigures), keyed by JSON lists ('uses', '[12]')."""

    __tablename__ = "figure_counts"

    figure: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(Text, primary_key=True)
    count: Mapped[int]


#: A case with a binding response in force since a known day.
BOUND = text("bound_since IS NOT NULL")
#: A closed case with no legally binding consequence in force (a query uses the same text).
UNBOUND = text("closed AND NOT binding")


class CaseFigures(Base):
    """What one case adds to the figures counted over every case (workflow/case_figures.py):
    its counts, and the few facts the figures that are not sums read case by case."""

    __tablename__ = "case_figures"
    __table_args__ = (
        Index("ix_case_figures_party_occurred", "party_id", "occurred_on"),
        Index("ix_case_figures_party_bound", "party_id", "bound_since", sqlite_where=BOUND,
              postgresql_where=BOUND),
        Index("ix_case_figures_unbound", "occurred_on", "case_id", sqlite_where=UNBOUND,
              postgresql_where=UNBOUND),
    )

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    #: The party the case's current attribution names, when it attributes the use.
    party_id: Mapped[int | None]
    #: The party as that attribution writes it.
    responsible_party: Mapped[str | None] = mapped_column(String(300))
    #: A legally binding response is in force (adopted or being implemented).
    binding: Mapped[bool]
    closed: Mapped[bool]
    #: The latest evaluation's judgement of repeat use, if the case has one.
    repeat_use: Mapped[str | None] = mapped_column(String(16))
    occurred_on: Mapped[date | None] = mapped_column(Date)
    #: The first day by which both the use and a binding response in force to it had happened.
    bound_since: Mapped[date | None] = mapped_column(Date)
    #: Its counts, as JSON: [[figure, key, count], …] (the keys of FigureCount).
    counts: Mapped[str] = mapped_column(Text)
