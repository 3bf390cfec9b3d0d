"""Evidence files shown in the page: only images and PDFs, by the type read from their bytes.

What the uploader's browser claimed a file was is never trusted: an HTML page named .png and
sent as image/png stays a download. Every preview is an audit event, as a download is.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from models.evidence import EvidenceItem
from workflow import audit
from workflow.audit import Actor
from workflow.errors import NotFound
from workflow.evidence import evidence_of
from workflow.words import _

#: The types a browser shows without running anything of the file's own.
PREVIEW_TYPES = frozenset({"image/png", "image/jpeg", "image/webp", "application/pdf"})


def previewable(item: EvidenceItem) -> bool:
    """Whether the item's file, by the type its bytes show, may be shown in the page."""
    return item.stored is not None and item.stored.detected_type in PREVIEW_TYPES


def record_preview(session: Session, actor: Actor, case_id: int, *, evidence_id: int) -> EvidenceItem:
    """Note in the audit log that someone looked at an item's file in the page."""
    item = evidence_of(session, case_id, evidence_id)
    if not previewable(item):
        raise NotFound(_("This file is not shown in the page (only PNG, JPEG and WebP images and PDF "
                         "documents are, by the type read from their bytes): download it instead."))
    audit.append(session, "evidence_previewed", actor, case_id=case_id, entity_type="evidence",
                 entity_id=item.id, details={"sha256": item.sha256,
                                             "detected_type": item.stored.detected_type})
    return item
