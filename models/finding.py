"""Findings: the use determination and the attribution, each citing evidence."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, choice
from models.evidence import EvidenceItem
from models.user import User
from vocabulary import CONCLUSIONS, FINDING_KINDS, PARTY_TYPES, STANDARDS_OF_PROOF
from workflow.clock import utcnow

finding_citations = Table(
    "finding_citations", Base.metadata,
    Column("finding_id", ForeignKey("findings.id"), primary_key=True),
    Column("evidence_id", ForeignKey("evidence_items.id"), primary_key=True),
)



class Finding(Base):
    """A conclusion recorded on a case; a newer finding of the same kind supersedes it."""

    __tablename__ = "findings"
    __table_args__ = (Index("ix_findings_case_kind", "case_id", "kind", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    kind: Mapped[str] = mapped_column(choice(*FINDING_KINDS, name="finding_kind"))
    conclusion: Mapped[str] = mapped_column(
        choice(*(c for cs in CONCLUSIONS.values() for c in cs), name="conclusion"))
    #: For a use determination: the agent found.
    agent: Mapped[str] = mapped_column(String(32), default="")
    #: For an attribution: who is responsible, and what kind of party they are.
    responsible_party: Mapped[str] = mapped_column(String(300), default="")
    party_type: Mapped[str] = mapped_column(String(32), default="")
    standard_of_proof: Mapped[str] = mapped_column(String(32), default="")
    rationale: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User] = relationship(lazy="joined")
    cited: Mapped[list[EvidenceItem]] = relationship(secondary=finding_citations, lazy="selectin",
                                                     order_by="EvidenceItem.id")
