"""Deterrence messages: what was said, to whom, and when, at every stage of a case."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, choice
from models.user import User
from workflow.clock import utcnow
from workflow.stages import STAGES


class DeterrenceMessage(Base):
    """A message meant to deter further use, recorded in the stage the case was in."""

    __tablename__ = "deterrence_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    stage: Mapped[str] = mapped_column(choice(*STAGES, name="message_stage"))
    said_on: Mapped[date] = mapped_column(Date)
    audience: Mapped[str] = mapped_column(String(300))
    channel: Mapped[str] = mapped_column(String(200), default="")
    speaker: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    recorded_by: Mapped[User] = relationship(lazy="joined")
