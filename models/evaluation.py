"""Evaluations: has restraint been restored, judged on the four factors that restrain use."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Enum, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base
from models.user import User
from workflow.clock import utcnow

FACTORS = ("taboo", "norms", "lack_of_benefit", "deterrence")
RATINGS = ("weakened", "unchanged", "strengthened")
REPEAT_USE = ("yes", "no", "unknown")
RECOMMENDATIONS = ("close", "escalate", "continue")


def _choice(*values: str, name: str) -> Enum:
    return Enum(*values, name=name, native_enum=False, create_constraint=True, length=16)


class Evaluation(Base):
    """An evaluation of a case; the latest one is the one the gates read."""

    __tablename__ = "evaluations"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    taboo: Mapped[str] = mapped_column(_choice(*RATINGS, name="taboo_rating"))
    taboo_rationale: Mapped[str] = mapped_column(Text)
    norms: Mapped[str] = mapped_column(_choice(*RATINGS, name="norms_rating"))
    norms_rationale: Mapped[str] = mapped_column(Text)
    lack_of_benefit: Mapped[str] = mapped_column(_choice(*RATINGS, name="benefit_rating"))
    lack_of_benefit_rationale: Mapped[str] = mapped_column(Text)
    deterrence: Mapped[str] = mapped_column(_choice(*RATINGS, name="deterrence_rating"))
    deterrence_rationale: Mapped[str] = mapped_column(Text)
    #: Did the perpetrator use chemical weapons again?
    repeat_use: Mapped[str] = mapped_column(_choice(*REPEAT_USE, name="repeat_use"))
    lessons: Mapped[str] = mapped_column(Text, default="")
    recommendation: Mapped[str] = mapped_column(_choice(*RECOMMENDATIONS, name="recommendation"))
    #: The outcome the case closes with, when the recommendation is to close.
    outcome: Mapped[str] = mapped_column(String(64), default="")
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User] = relationship(lazy="joined")
