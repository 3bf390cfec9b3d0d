"""Responses chosen from the accountability menu, and the milestones of their implementation."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, choice
from models.user import User
from vocabulary import LEVELS, TOOLS
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

    @property
    def strategy_list(self) -> list[str]:
        return [tag for tag in self.strategies.split(",") if tag]


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
