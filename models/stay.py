"""How long cases stay in each stage, one row per stay, with a tally of ended stays by day."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Index, text
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
