"""Notes on a case, an evidence item or a response: append-only (a database trigger)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, choice
from models.user import User
from vocabulary import COMMENT_SUBJECTS
from workflow.clock import utcnow


class Comment(Base):
    """A note; never changed or removed: a correction is a new note pointing at the old."""

    __tablename__ = "comments"
    __table_args__ = (
        Index("ix_comments_subject", "case_id", "subject", "subject_id"),
        CheckConstraint("(subject = 'case') = (subject_id IS NULL)", name="subject_id_matches"),
        CheckConstraint("trim(body) <> ''", name="body_not_blank"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    subject: Mapped[str] = mapped_column(choice(*COMMENT_SUBJECTS, name="comment_subject"))
    #: The evidence item or response noted on; none for a note on the case itself.
    subject_id: Mapped[int | None]
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    #: The earlier note this one corrects.
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User] = relationship(lazy="joined")
