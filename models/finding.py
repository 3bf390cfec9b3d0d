"""Findings: the use determination and the attribution, each citing evidence."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (CheckConstraint, Column, ForeignKey, ForeignKeyConstraint, Index, Integer,
                        String, Table, Text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, choice, sql_list
from models.evidence import EvidenceItem
from models.register import RegisterEntry
from models.user import User
from vocabulary import (AGENT_CONCLUSIONS, AGENTS, ATTRIBUTED, CONCLUSIONS, FINDING_KINDS,
                        PARTY_TYPES, STANDARDS_OF_PROOF, USE_DETERMINATION)
from workflow.clock import utcnow

#: Each kind of finding reaches only its own conclusions.
KIND_CONCLUSION_RULE = " OR ".join(f"(kind = '{kind}' AND conclusion IN ({sql_list(conclusions)}))"
                                   for kind, conclusions in CONCLUSIONS.items())
#: A use determination that confirms use (or finds it likely) names a known agent; no other finding names one.
AGENT_RULE = (f"CASE WHEN kind = '{USE_DETERMINATION}' AND conclusion IN ({sql_list(AGENT_CONCLUSIONS)}) "
              f"THEN agent IN ({sql_list(AGENTS)}) ELSE agent = '' END")
#: Only an attribution that attributes says who is responsible, what kind of party, on what standard.
RESPONSIBLE_PARTY_RULE = (f"CASE WHEN conclusion = '{ATTRIBUTED}' THEN trim(responsible_party) <> '' "
                          f"ELSE responsible_party = '' END")
PARTY_TYPE_RULE = (f"CASE WHEN conclusion = '{ATTRIBUTED}' THEN party_type IN ({sql_list(PARTY_TYPES)}) "
                   f"ELSE party_type = '' END")
#: Only an attribution that attributes links a party of the register.
PARTY_LINK_RULE = f"conclusion = '{ATTRIBUTED}' OR party_id IS NULL"
STANDARD_OF_PROOF_RULE = (f"CASE WHEN conclusion = '{ATTRIBUTED}' "
                          f"THEN standard_of_proof IN ({sql_list(STANDARDS_OF_PROOF)}) "
                          f"ELSE standard_of_proof = '' END")


finding_citations = Table(
    "finding_citations", Base.metadata,
    Column("finding_id", Integer, primary_key=True),
    Column("evidence_id", Integer, primary_key=True),
    #: The case of both the finding and the cited item: the two composite keys make them the same.
    #: The relationship joins on both columns, so SQLAlchemy copies it from the finding and the item.
    Column("case_id", Integer, nullable=False),
    ForeignKeyConstraint(["finding_id", "case_id"], ["findings.id", "findings.case_id"]),
    ForeignKeyConstraint(["evidence_id", "case_id"], ["evidence_items.id", "evidence_items.case_id"]),
)


class Finding(Base):
    """A conclusion recorded on a case; a newer finding of the same kind supersedes it."""

    __tablename__ = "findings"
    __table_args__ = (
        Index("ix_findings_case_kind", "case_id", "kind", "id"),
        # The target of the citations' composite key (finding, case); a unique index, like
        # evidence_items' (see there).
        Index("uq_findings_id_case_id", "id", "case_id", unique=True),
        CheckConstraint(KIND_CONCLUSION_RULE, name="kind_conclusion"),
        CheckConstraint(AGENT_RULE, name="agent"),
        CheckConstraint(RESPONSIBLE_PARTY_RULE, name="attributed_has_party"),
        CheckConstraint(PARTY_TYPE_RULE, name="party_type"),
        CheckConstraint(STANDARD_OF_PROOF_RULE, name="standard_of_proof"),
        CheckConstraint(PARTY_LINK_RULE, name="party_link"),
        Index("ix_findings_party_id", "party_id"),
        Index("ix_findings_body_id", "body_id"),
    )

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
    #: The party register's entry the responsible party resolved to (proposed if it was new).
    party_id: Mapped[int | None] = mapped_column(ForeignKey("register_entries.id"))
    standard_of_proof: Mapped[str] = mapped_column(String(32), default="")
    #: The body register's entry that made the finding: the investigating body of a use
    #: determination (an OPCW fact-finding mission), the attributing body of an attribution.
    body_id: Mapped[int | None] = mapped_column(ForeignKey("register_entries.id"))
    rationale: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User] = relationship(lazy="joined")
    body: Mapped[RegisterEntry | None] = relationship(foreign_keys=[body_id])
    cited: Mapped[list[EvidenceItem]] = relationship(secondary=finding_citations, lazy="selectin",
                                                     order_by="EvidenceItem.id")
