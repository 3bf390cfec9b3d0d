"""Requests to pass a gate, and the supervisor's decision on them."""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, choice
from models.case import Case
from models.user import User
from workflow.clock import utcnow
from workflow.stages import STAGES

DECISIONS = ("pending", "approved", "rejected", "withdrawn")


class GateRequest(Base):
    """A request to move a case from one stage to a target; it puts the case under review."""

    __tablename__ = "gate_requests"
    __table_args__ = (
        # At most one pending request per case: enforced here, not only in code.
        Index("uq_gate_requests_one_pending", "case_id", unique=True,
              sqlite_where=text("decision = 'pending'"),
              postgresql_where=text("decision = 'pending'")),
        CheckConstraint("decision = 'pending' OR (decided_by_id IS NOT NULL AND decided_at IS NOT NULL)",
                        name="decided_has_decider"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    from_state: Mapped[str] = mapped_column(choice(*STAGES, name="from_stage"))
    target: Mapped[str] = mapped_column(choice(*STAGES, name="target_stage"))
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")
    #: The checklist as it stood when requested, as canonical JSON.
    checklist: Mapped[str] = mapped_column(Text)
    decision: Mapped[str] = mapped_column(choice(*DECISIONS, name="decision", length=16),
                                          default="pending")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    reason: Mapped[str] = mapped_column(Text, default="")

    case: Mapped[Case] = relationship()
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id], lazy="joined")
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id], lazy="joined")

    @property
    def checklist_items(self) -> list[dict]:
        """The checklist snapshot taken when the gate was requested."""
        return json.loads(self.checklist)
