"""Cases, their teams, and the counter their references are drawn from."""
from __future__ import annotations

from contextvars import ContextVar
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (CheckConstraint, Column, Date, ForeignKey, Index, Numeric, String, Table, Text,
                        text)
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship, validates

from models.base import Base, choice
from models.register import RegisterEntry
from models.user import User
from vocabulary import AGENTS, CASE_ROLES, CLOSED, PRECISIONS, REPORTED, STAGES, TARGETED
from workflow.clock import utcnow

#: True only while the pathway machine fires a trigger (workflow.pathway.fire sets it).
STATE_WRITES: ContextVar[bool] = ContextVar("pathway_firing", default=False)


def state_write_allowed() -> bool:
    """Whether the pathway machine is the one writing a case's state now."""
    return STATE_WRITES.get()


#: The suspected perpetrators a case names from reporting on: entries of the party register.
case_suspects = Table(
    "case_suspects", Base.metadata,
    Column("case_id", ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True),
    Column("entry_id", ForeignKey("register_entries.id"), primary_key=True),
    Index("ix_case_suspects_entry_id", "entry_id"),
)


class Case(Base):
    """One reported use of chemical weapons, travelling the accountability pathway."""

    __tablename__ = "cases"
    __table_args__ = (
        CheckConstraint(f"state <> '{CLOSED}' OR (outcome IS NOT NULL AND closed_at IS NOT NULL)",
                        name="closed_has_outcome"),
        CheckConstraint("latitude IS NULL OR (latitude >= -90 AND latitude <= 90)",
                        name="latitude_range"),
        CheckConstraint("longitude IS NULL OR (longitude >= -180 AND longitude <= 180)",
                        name="longitude_range"),
        CheckConstraint("deaths IS NULL OR deaths >= 0", name="deaths_not_negative"),
        CheckConstraint("injured IS NULL OR injured >= 0", name="injured_not_negative"),
        CheckConstraint("version >= 1", name="version_positive"),
        # One index per sort and filter of the case list, each ending in the id its keyset
        # pages break ties with (see workflow/paging.py).
        Index("ix_cases_state_id", "state", "id"),
        Index("ix_cases_occurred_on_id", "occurred_on", "id"),
        Index("ix_cases_opened_at_id", "opened_at", "id"),
        Index("ix_cases_title_id", "title", "id"),
        Index("ix_cases_country_id", "country", "id"),
        Index("ix_cases_suspected_agent_id", "suspected_agent", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: CW-YYYY-NNNN, the year being the year the case was opened.
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    occurred_on: Mapped[date | None] = mapped_column(Date)
    #: How much of occurred_on is known: the day, only the month, or only the year.
    occurred_precision: Mapped[str] = mapped_column(choice(*PRECISIONS, name="precision"),
                                                    default="day")
    country: Mapped[str] = mapped_column(String(100), default="")
    place: Mapped[str] = mapped_column(String(200), default="")
    latitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    longitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    suspected_agent: Mapped[str] = mapped_column(choice(*AGENTS, name="agent"), default="unknown")
    delivery_means: Mapped[str] = mapped_column(String(200), default="")
    deaths: Mapped[int | None]
    injured: Mapped[int | None]
    summary: Mapped[str] = mapped_column(Text, default="")
    #: Who the attack was aimed at.
    targeted: Mapped[str] = mapped_column(choice(*TARGETED, name="targeted"), default="unknown",
                                          server_default="unknown")
    #: The strategies the case's pathway follows, comma-separated codes in their declared order.
    strategies: Mapped[str] = mapped_column(String(200), default="", server_default="")
    #: The stage; written only by the pathway machine.
    state: Mapped[str] = mapped_column(choice(*STAGES, name="stage"), default=REPORTED)
    outcome: Mapped[str | None] = mapped_column(String(64))
    #: Optimistic lock: every change adds one; a form carries the version it showed.
    version: Mapped[int] = mapped_column(default=1)
    #: Where an imported case came from, e.g. "syrian-archive:KAT141012"; unique.
    source_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    #: When the case last entered its stage, read from the log with the case where it is loaded
    #: for a page or a command (workflow.command.load); None where it was not, or once it moved.
    entered_stage_at: Mapped[datetime | None] = query_expression()
    #: Whether the case has an evaluation, read likewise; None where it was not.
    evaluated: Mapped[bool | None] = query_expression()
    #: How many active evidence items, and required tasks of its stage still open, the case
    #: has, read likewise for the gate checks; None where they were not.
    active_evidence: Mapped[int | None] = query_expression()
    open_required_tasks: Mapped[int | None] = query_expression()
    #: Placed at its stage by an import of its documented history, not by gate reviews.
    history_imported: Mapped[bool] = mapped_column(default=False)
    #: Why no sample exists, recorded by a supervisor; only then may a case that names an agent
    #: pass the sample requirement without samples.
    no_sample_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]

    members: Mapped[list[CaseMember]] = relationship(
        back_populates="case", cascade="all, delete-orphan", lazy="selectin")
    #: Who reporting suspects, before any attribution: party register entries, by name.
    suspects: Mapped[list[RegisterEntry]] = relationship(secondary=case_suspects,
                                                         order_by=RegisterEntry.name)

    @validates("state")
    def _only_the_pathway_writes_state(self, _key, value):
        if self.state is not None and not state_write_allowed():
            raise AttributeError("a case's state changes only through the pathway machine")
        return value

    @property
    def strategy_list(self) -> list[str]:
        return [tag for tag in self.strategies.split(",") if tag]

    def member(self, user_id: int) -> CaseMember | None:
        return next((m for m in self.members if m.user_id == user_id), None)

    @property
    def lead(self) -> CaseMember | None:
        return next((m for m in self.members if m.case_role == "lead_investigator"), None)


class CaseMember(Base):
    """A user on a case's team, with the role they play in it."""

    __tablename__ = "case_members"
    __table_args__ = (
        # At most one lead investigator per case.
        Index("uq_case_members_one_lead", "case_id", unique=True,
              sqlite_where=text("case_role = 'lead_investigator'"),
              postgresql_where=text("case_role = 'lead_investigator'")),
    )

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"),
                                         primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
    case_role: Mapped[str] = mapped_column(choice(*CASE_ROLES, name="case_role"))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    case: Mapped[Case] = relationship(back_populates="members")
    user: Mapped[User] = relationship(lazy="joined")


class CaseCounter(Base):
    """The last reference number used in a year."""

    __tablename__ = "case_counters"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last: Mapped[int]
