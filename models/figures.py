"""The counts the dashboard and insight show for every case, and what each case adds to them."""
from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


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
    #: The kind of party that attribution names (state, non-state group …).
    party_type: Mapped[str | None] = mapped_column(String(32))
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
