"""The audit log for its readers: search with keyset pages, exports, checkpoints, verifications."""
from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.audit import AuditEvent, AuditVerification
from models.case import Case
from workflow import audit, permissions, transparency
from workflow.audit import Actor, payload_columns
from workflow.audit_chain import FIELDS
from workflow.audit_verification import Report
from workflow.clock import format_utc, utcnow
from workflow.roles import AUDITOR
from workflow.spreadsheet import neutralise_row

PAGE = 100
EXPORT_BATCH = 5000
#: Events whose inclusion proofs are read from the tree together.
PROOF_BATCH = 500


@dataclass
class EventFilters:
    case_id: int | None = None
    actor: str = ""
    event_type: str = ""
    since: datetime | None = None
    until: datetime | None = None


def _visible(query, user):
    """Auditors read every event; supervisors read the events of the cases they may see."""
    if AUDITOR in user.roles:
        return query
    return query.where(AuditEvent.case_id.in_(select(Case.id).where(permissions.visible_cases(user))))


def search(session: Session, user, filters: EventFilters, before_seq: int | None = None,
           limit: int = PAGE) -> list[AuditEvent]:
    """Newest first, `limit` events older than `before_seq`: keyset pages that stay fast at any depth."""
    query = _visible(select(AuditEvent), user)
    if filters.case_id:
        query = query.where(AuditEvent.case_id == filters.case_id)
    if filters.actor:
        query = query.where(AuditEvent.actor_username == filters.actor.strip().lower())
    if filters.event_type:
        query = query.where(AuditEvent.event_type == filters.event_type)
    if filters.since:
        query = query.where(AuditEvent.at >= filters.since)
    if filters.until:
        query = query.where(AuditEvent.at < filters.until)
    if before_seq:
        query = query.where(AuditEvent.seq < before_seq)
    return session.scalars(query.order_by(AuditEvent.seq.desc()).limit(limit)).all()


def _rows(session: Session, user, case_id: int | None, since: int | None,
          until: int | None = None) -> Iterator:
    columns = [getattr(AuditEvent, name) for name in FIELDS]
    query = _visible(select(*columns, AuditEvent.payload, AuditEvent.prev_hash, AuditEvent.hash), user)
    if case_id:
        query = query.where(AuditEvent.case_id == case_id)
    if since:
        query = query.where(AuditEvent.seq >= since)
    if until:
        query = query.where(AuditEvent.seq <= until)
    query = query.order_by(AuditEvent.seq).execution_options(yield_per=EXPORT_BATCH)
    with session.connection().execute(query) as result:
        yield from result


def export_lines(session: Session, user, fmt: str, case_id: int | None = None,
                 since: int | None = None) -> Iterator[str]:
    """The export, line by line, streamed: jsonl for the offline verifier, csv for people.

    A case's jsonl export proves itself: it stops at the latest signed checkpoint, gives each
    event its inclusion proof in that checkpoint's tree, and ends with the checkpoint note.
    """
    if fmt == "jsonl" and case_id:
        yield from _proven_case_lines(session, user, case_id)
        return
    if fmt == "jsonl":
        for row in _rows(session, user, case_id, since):
            yield export_line(row.seq, row.prev_hash, row.hash, row.payload) + "\n"
        return
    yield _csv_line([*FIELDS, "prev_hash", "hash", "payload"])
    for row in _rows(session, user, case_id, since):
        values = list(payload_columns(row))
        values[4] = ",".join(values[4])  # the roles, as the column stores them
        yield _csv_line([*values, row.prev_hash, row.hash, row.payload])


def _proven_case_lines(session: Session, user, case_id: int) -> Iterator[str]:
    checkpoint = transparency.latest_checkpoint(session)
    if checkpoint is None:  # no signing key: the events alone, which the verifier says are unproven
        for row in _rows(session, user, case_id, None):
            yield export_line(row.seq, row.prev_hash, row.hash, row.payload) + "\n"
        return
    batch = []
    for row in _rows(session, user, case_id, None, until=checkpoint.seq):
        batch.append(row)
        if len(batch) == PROOF_BATCH:
            yield from _with_proofs(session, batch, checkpoint.seq)
            batch = []
    yield from _with_proofs(session, batch, checkpoint.seq)
    yield json.dumps({"checkpoint": checkpoint.note}, ensure_ascii=False, separators=(",", ":")) + "\n"


def _with_proofs(session: Session, rows: list, size: int) -> Iterator[str]:
    proofs = transparency.inclusion_proofs(session, [row.seq for row in rows], size) if rows else {}
    for row in rows:
        yield export_line(row.seq, row.prev_hash, row.hash, row.payload,
                          proof=[node.hex() for node in proofs[row.seq]]) + "\n"


def export_line(seq: int, prev_hash: str, hash_: str, payload: str, **extra) -> str:
    """One line of a JSONL export; the payload holds every field of the event."""
    return json.dumps({"seq": seq, "prev_hash": prev_hash, "hash": hash_, "payload": payload, **extra},
                      ensure_ascii=False, separators=(",", ":"))


class _Line:
    def write(self, text: str) -> str:
        return text


_CSV = csv.writer(_Line(), lineterminator="\n")


def _csv_line(values: list) -> str:
    return _CSV.writerow(neutralise_row("" if value is None else value for value in values))


def record_export(session: Session, actor: Actor, fmt: str, case_id: int | None, since: int | None,
                  destination: str) -> None:
    """Every export is itself an audit event; a case's export is signed up to and including it."""
    audit.append(session, "audit_exported", actor, case_id=case_id, entity_type="audit_log",
                 details={"format": fmt, "case_id": case_id, "since": since, "to": destination})
    if case_id:
        audit.checkpoint_at_commit(session)


def record_verification(session: Session, actor: Actor, report: Report) -> None:
    chain = report.chain
    session.add(AuditVerification(at=utcnow(), by_username=actor.username, ok=report.ok,
                                  count=chain.count, head=chain.head, bad_seq=chain.bad_seq,
                                  reason=report.summary()))


def last_verification(session: Session) -> AuditVerification | None:
    return session.scalar(select(AuditVerification).order_by(AuditVerification.id.desc()).limit(1))


def custody_history(session: Session, case_id: int, evidence_id: int) -> list[dict]:
    """An item's custody, rebuilt from the audit log alone (each event's signed payload)."""
    events = session.scalars(select(AuditEvent).where(
        AuditEvent.case_id == case_id, AuditEvent.event_type.in_(("evidence_added", "custody_recorded",
                                                                  "evidence_withdrawn")))
        .order_by(AuditEvent.seq)).all()
    history = []
    for event in events:
        details = json.loads(event.payload)["details"]
        if event.entity_id == str(evidence_id) or details.get("evidence_id") == evidence_id:
            history.append({"seq": event.seq, "hash": event.hash, "event": event.event_type,
                            "recorded_at": format_utc(event.at), "by": event.actor_username,
                            **details})
    return history
