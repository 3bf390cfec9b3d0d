"""Evidence items, the files they hold, their custody events and laboratory analyses."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, choice
from models.user import User
from workflow.clock import utcnow
from workflow.stages import STAGES

KINDS = ("environmental_sample", "biomedical_sample", "munition_remnant", "witness_interview",
         "medical_record", "open_source_media", "imagery", "lab_report", "document", "other")
SAMPLE_KINDS = ("environmental_sample", "biomedical_sample")
SOURCE_GRADES = {
    "A": "completely reliable", "B": "usually reliable", "C": "fairly reliable",
    "D": "not usually reliable", "E": "unreliable", "F": "reliability cannot be judged",
}
INFORMATION_GRADES = {
    "1": "confirmed by other sources", "2": "probably true", "3": "possibly true",
    "4": "doubtful", "5": "improbable", "6": "truth cannot be judged",
}
CUSTODY_ACTIONS = ("collected", "sealed", "transferred", "received", "analysed", "stored",
                   "returned")



class StoredObject(Base):
    """A file held once, named by the SHA-256 of its bytes."""

    __tablename__ = "evidence_objects"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int]
    #: The type read from the bytes themselves, or None when unrecognised.
    detected_type: Mapped[str | None] = mapped_column(String(100))
    stored_at: Mapped[datetime] = mapped_column(default=utcnow)


class EvidenceItem(Base):
    """One piece of evidence in a case; never deleted, only withdrawn with a reason."""

    __tablename__ = "evidence_items"
    __table_args__ = (
        CheckConstraint("status = 'active' OR withdrawn_reason <> ''", name="withdrawn_has_reason"),
        Index("ix_evidence_items_case_id", "case_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    kind: Mapped[str] = mapped_column(choice(*KINDS, name="evidence_kind"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(300), default="")
    collected_at: Mapped[datetime | None]
    collected_by: Mapped[str] = mapped_column(String(200), default="")
    #: Admiralty scale: reliability of the source (A–F) and credibility of the information (1–6).
    source_grade: Mapped[str] = mapped_column(choice(*SOURCE_GRADES, name="source_grade", length=1),
                                              default="F")
    information_grade: Mapped[str] = mapped_column(
        choice(*INFORMATION_GRADES, name="information_grade", length=1), default="6")
    stage_added: Mapped[str] = mapped_column(choice(*STAGES, name="evidence_stage"))
    status: Mapped[str] = mapped_column(choice("active", "withdrawn", name="evidence_status",
                                                length=16), default="active")
    withdrawn_reason: Mapped[str] = mapped_column(Text, default="")
    withdrawn_at: Mapped[datetime | None]
    sha256: Mapped[str | None] = mapped_column(ForeignKey("evidence_objects.sha256"), index=True)
    #: As the uploader's browser named the file; shown, never used as a path.
    original_filename: Mapped[str] = mapped_column(String(255), default="")
    #: The type the browser claimed, kept beside the type detected from the bytes.
    claimed_type: Mapped[str] = mapped_column(String(100), default="")
    added_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    stored: Mapped[StoredObject | None] = relationship(lazy="joined")
    added_by: Mapped[User] = relationship(lazy="joined")
    custody: Mapped[list[CustodyEvent]] = relationship(
        order_by="(CustodyEvent.at, CustodyEvent.id)", lazy="selectin", back_populates="evidence")
    analyses: Mapped[list[LabAnalysis]] = relationship(
        order_by="LabAnalysis.id", lazy="selectin", back_populates="evidence")

    @property
    def grade(self) -> str:
        return f"{self.source_grade}{self.information_grade}"

    @property
    def is_sample(self) -> bool:
        return self.kind in SAMPLE_KINDS


class CustodyEvent(Base):
    """One step in the chain of custody of an evidence item."""

    __tablename__ = "custody_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence_items.id"), index=True)
    action: Mapped[str] = mapped_column(choice(*CUSTODY_ACTIONS, name="custody_action"))
    from_holder: Mapped[str] = mapped_column(String(200), default="")
    to_holder: Mapped[str] = mapped_column(String(200), default="")
    at: Mapped[datetime]
    place: Mapped[str] = mapped_column(String(200), default="")
    seal_id: Mapped[str] = mapped_column(String(100), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    evidence: Mapped[EvidenceItem] = relationship(back_populates="custody")


class LabAnalysis(Base):
    """A laboratory's analysis of a sample."""

    __tablename__ = "lab_analyses"

    id: Mapped[int] = mapped_column(primary_key=True)
    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence_items.id"), index=True)
    laboratory: Mapped[str] = mapped_column(String(200))
    #: Whether the laboratory is one designated by the OPCW.
    designated: Mapped[bool]
    method: Mapped[str] = mapped_column(String(300), default="")
    result: Mapped[str] = mapped_column(Text, default="")
    report_ref: Mapped[str] = mapped_column(String(200), default="")
    analysed_on: Mapped[date | None] = mapped_column(Date)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    evidence: Mapped[EvidenceItem] = relationship(back_populates="analyses")
