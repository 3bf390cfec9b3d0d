"""Evaluations: has restraint been restored, judged on the four factors that restrain use."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, choice
from models.user import User
from vocabulary import (FACTORS, PRESSURE_RATINGS, PRESSURES, RATINGS,  # noqa: F401 (re-exported)
                        RECOMMENDATIONS, REPEAT_USE)
from workflow.clock import utcnow



class Evaluation(Base):
    """An evaluation of a case; the latest one is the one the gates read."""

    __tablename__ = "evaluations"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    taboo: Mapped[str] = mapped_column(choice(*RATINGS, name="taboo_rating", length=16))
    taboo_rationale: Mapped[str] = mapped_column(Text)
    norms: Mapped[str] = mapped_column(choice(*RATINGS, name="norms_rating", length=16))
    norms_rationale: Mapped[str] = mapped_column(Text)
    lack_of_benefit: Mapped[str] = mapped_column(choice(*RATINGS, name="benefit_rating", length=16))
    lack_of_benefit_rationale: Mapped[str] = mapped_column(Text)
    deterrence: Mapped[str] = mapped_column(choice(*RATINGS, name="deterrence_rating", length=16))
    deterrence_rationale: Mapped[str] = mapped_column(Text)
    #: Did the perpetrator use chemical weapons again?
    repeat_use: Mapped[str] = mapped_column(choice(*REPEAT_USE, name="repeat_use", length=16))
    lessons: Mapped[str] = mapped_column(Text, default="")
    recommendation: Mapped[str] = mapped_column(choice(*RECOMMENDATIONS, name="recommendation", length=16))
    #: The outcome the case closes with, when the recommendation is to close.
    outcome: Mapped[str] = mapped_column(String(64), default="")
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User] = relationship(lazy="joined")
    pressure_rows: Mapped[list[EvaluationPressure]] = relationship(
        lazy="selectin", cascade="all, delete-orphan")

    @property
    def pressures(self) -> list[EvaluationPressure]:
        """The erosion pressures rated, in vocabulary order (none on evaluations before them)."""
        return sorted(self.pressure_rows, key=lambda row: PRESSURES.index(row.pressure))


class EvaluationPressure(Base):
    """One pressure eroding restraint, rated with its rationale in an evaluation."""

    __tablename__ = "evaluation_pressures"
    __table_args__ = (CheckConstraint("trim(rationale) <> ''", name="has_rationale"),)

    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id"), primary_key=True)
    pressure: Mapped[str] = mapped_column(choice(*PRESSURES, name="pressure"), primary_key=True)
    rating: Mapped[str] = mapped_column(choice(*PRESSURE_RATINGS, name="pressure_rating", length=16))
    rationale: Mapped[str] = mapped_column(Text)
