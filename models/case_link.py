"""Links between cases: a related incident, or a duplicate report of the same incident."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, choice
from models.case import Case
from models.user import User
from vocabulary import LINK_KINDS
from workflow.clock import utcnow


class CaseLink(Base):
    """One case linked to another; shown on both. A duplicate link reads "case is a duplicate
    of linked case"."""

    __tablename__ = "case_links"
    __table_args__ = (
        CheckConstraint("case_id <> linked_case_id", name="not_itself"),
        Index("uq_case_links_pair", "case_id", "linked_case_id", unique=True),
        Index("ix_case_links_linked_case_id", "linked_case_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    linked_case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    kind: Mapped[str] = mapped_column(choice(*LINK_KINDS, name="link_kind", length=16))
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    case: Mapped[Case] = relationship(foreign_keys=[case_id], lazy="joined")
    linked_case: Mapped[Case] = relationship(foreign_keys=[linked_case_id], lazy="joined")
    created_by: Mapped[User] = relationship(lazy="joined")
