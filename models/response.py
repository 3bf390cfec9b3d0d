"""Responses chosen from the accountability menu, and the milestones of their implementation."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (CheckConstraint, Date, ForeignKey, ForeignKeyConstraint, Index, String, Text,
                        UniqueConstraint)
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, choice
from models.register import RegisterEntry
from models.user import User
from vocabulary import FACTORS, LEVELS, TOOLS
from vocabulary import RESPONSE_STATUSES as STATUSES
from workflow.clock import utcnow



class Response(Base):
    """One response to a case: a level × tool cell of the menu, tracked until implemented."""

    __tablename__ = "responses"
    __table_args__ = (Index("ix_responses_case_id", "case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    level: Mapped[str] = mapped_column(choice(*LEVELS, name="response_level"))
    tool: Mapped[str] = mapped_column(choice(*TOOLS, name="response_tool"))
    #: Who takes the response: a state, an organisation, a court.
    actor: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text)
    legally_binding: Mapped[bool] = mapped_column(default=False)
    legal_basis: Mapped[str] = mapped_column(String(300), default="")
    #: Comma-separated strategy tags (vocabulary.STRATEGIES).
    strategies: Mapped[str] = mapped_column(String(200), default="")
    #: Whom the response is aimed at.
    target: Mapped[str] = mapped_column(String(300), default="")
    decided_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(choice(*STATUSES, name="response_status"),
                                        default="proposed")
    #: The catalog option it was adapted from, if any.
    catalog_key: Mapped[str] = mapped_column(String(64), default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    created_by: Mapped[User] = relationship(lazy="joined")
    milestones: Mapped[list[Milestone]] = relationship(
        back_populates="response", lazy="selectin", order_by="(Milestone.due_on, Milestone.id)")
    links: Mapped[list[ResponseEntry]] = relationship(
        lazy="selectin", order_by="ResponseEntry.id", cascade="all, delete-orphan")
    factor_rows: Mapped[list[ResponseFactor]] = relationship(
        lazy="selectin", order_by="ResponseFactor.factor", cascade="all, delete-orphan")
    block: Mapped[ResponseBlock | None] = relationship(lazy="selectin", uselist=False)

    @property
    def strategy_list(self) -> list[str]:
        return [tag for tag in self.strategies.split(",") if tag]

    def _linked(self, register: str) -> list[RegisterEntry]:
        return [link.entry for link in self.links if link.register == register]

    def _link(self, register: str, entries) -> None:
        """Name these entries of `register`: links kept where the entry stays (so a unique
        pair is never deleted and inserted again in one flush), others removed or added."""
        wanted = {entry.id: entry for entry in entries}
        for link in [link for link in self.links if link.register == register]:
            if link.entry_id in wanted:
                wanted.pop(link.entry_id)
            else:
                self.links.remove(link)
        self.links.extend(ResponseEntry(case_id=self.case_id, register=register, entry_id=entry.id)
                          for entry in wanted.values())

    @property
    def actors(self) -> list[RegisterEntry]:
        """The actor register's entries that take the response: several for a coalition."""
        return self._linked("actor")

    @actors.setter
    def actors(self, entries) -> None:
        self._link("actor", entries)

    @property
    def instruments(self) -> list[RegisterEntry]:
        """The legal instruments the response relies on."""
        return self._linked("instrument")

    @instruments.setter
    def instruments(self, entries) -> None:
        self._link("instrument", entries)

    @property
    def forum(self) -> RegisterEntry | None:
        """The forum the response is taken in, if any."""
        return next(iter(self._linked("forum")), None)

    @forum.setter
    def forum(self, entry) -> None:
        self._link("forum", [entry] if entry is not None else [])

    @property
    def factors(self) -> list[str]:
        """The restraint factors the response is meant to reinforce, in vocabulary order."""
        present = {row.factor for row in self.factor_rows}
        return [factor for factor in FACTORS if factor in present]

    @factors.setter
    def factors(self, factors) -> None:
        for row in [row for row in self.factor_rows if row.factor not in factors]:
            self.factor_rows.remove(row)
        present = {row.factor for row in self.factor_rows}
        self.factor_rows.extend(ResponseFactor(factor=factor) for factor in FACTORS
                                if factor in factors and factor not in present)


class Milestone(Base):
    """A step in implementing an adopted response."""

    __tablename__ = "milestones"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id"), index=True)
    description: Mapped[str] = mapped_column(Text)
    due_on: Mapped[date]
    done_on: Mapped[date | None] = mapped_column(Date)
    #: Progress, or why a milestone past its date is not done.
    note: Mapped[str] = mapped_column(Text, default="")

    response: Mapped[Response] = relationship(back_populates="milestones")

    def overdue(self, today: date) -> bool:
        return self.done_on is None and self.due_on < today


#: The registers a response names entries of: who acts (a coalition: one or more), the
#: instruments relied on, the forum (at most one).
LINKED_REGISTERS = ("actor", "instrument", "forum")


class ResponseEntry(Base):
    """A register entry a response names: one of its actors, instruments, or its forum."""

    __tablename__ = "response_entries"
    __table_args__ = (
        UniqueConstraint("response_id", "entry_id", name="uq_response_entries_response_id"),
        # One forum per response.
        Index("uq_response_entries_forum", "response_id", unique=True,
              sqlite_where=sql_text("register = 'forum'"),
              postgresql_where=sql_text("register = 'forum'")),
        Index("ix_response_entries_entry_id", "entry_id"),
        # The entry belongs to the register named: an instrument is never taken for an actor.
        ForeignKeyConstraint(["entry_id", "register"],
                             ["register_entries.id", "register_entries.register"],
                             name="fk_response_entries_entry_id_register_entries"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The case, for the audit events of a merge that re-points the entry.
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id"))
    register: Mapped[str] = mapped_column(choice(*LINKED_REGISTERS, name="response_register",
                                                 length=16))
    entry_id: Mapped[int] = mapped_column()

    entry: Mapped[RegisterEntry] = relationship(
        lazy="joined", viewonly=True, foreign_keys=[entry_id],
        primaryjoin="ResponseEntry.entry_id == RegisterEntry.id")


class ResponseFactor(Base):
    """A restraint factor a response is meant to reinforce."""

    __tablename__ = "response_factors"

    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id"), primary_key=True)
    factor: Mapped[str] = mapped_column(choice(*FACTORS, name="response_factor"), primary_key=True)


class ResponseBlock(Base):
    """Who blocked a response, in which forum, and why: a clipped pathway on record."""

    __tablename__ = "response_blocks"
    __table_args__ = (CheckConstraint("trim(reason) <> ''", name="has_reason"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id"), unique=True)
    #: An entry of the actor register (a state, an organisation).
    blocked_by_id: Mapped[int] = mapped_column(ForeignKey("register_entries.id"), index=True)
    #: An entry of the forum register, if it was blocked in one.
    forum_id: Mapped[int | None] = mapped_column(ForeignKey("register_entries.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)

    blocked_by: Mapped[RegisterEntry] = relationship(lazy="joined", foreign_keys=[blocked_by_id])
    forum: Mapped[RegisterEntry | None] = relationship(lazy="joined", foreign_keys=[forum_id])
