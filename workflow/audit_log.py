"""The audit log for its readers: search with keyset pages, exports, checkpoints, verifications."""
from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.audit import AuditCheckpoint, AuditEvent, AuditVerification
from models.case import Case
from workflow import audit, permissions
from workflow.audit import Actor, payload_columns
from workflow.audit_chain import FIELDS, Verification
from workflow.checkpoints import Checkpoint, export_line, sign
from workflow.clock import format_utc, utcnow
from workflow.errors import Conflict
from workflow.roles import AUDITOR

PAGE = 100
EXPORT_BATCH = 5000


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


def _rows(session: Session, user, case_id: int | None, since: int | None) -> Iterator:
    columns = [getattr(AuditEvent, name) for name in FIELDS]
    query = _visible(select(*columns, AuditEvent.payload, AuditEvent.prev_hash, AuditEvent.hash), user)
    if case_id:
        query = query.where(AuditEvent.case_id == case_id)
    if since:
        query = query.where(AuditEvent.seq >= since)
    query = query.order_by(AuditEvent.seq).execution_options(yield_per=EXPORT_BATCH)
    with session.connection().execute(query) as result:
        yield from result


def export_lines(session: Session, user, fmt: str, case_id: int | None = None,
                 since: int | None = None) -> Iterator[str]:
    """The export, line by line, streamed: jsonl for the offline verifier, csv for people."""
    if fmt == "jsonl":
        for row in _rows(session, user, case_id, since):
            yield export_line(row.seq, row.prev_hash, row.hash, row.payload) + "\n"
        return
    yield _csv_line([*FIELDS, "prev_hash", "hash", "payload"])
    for row in _rows(session, user, case_id, since):
        values = list(payload_columns(row))
        values[4] = ",".join(values[4])  # the roles, as the column stores them
        yield _csv_line([*values, row.prev_hash, row.hash, row.payload])


class _Line:
    def write(self, text: str) -> str:
        return text


_CSV = csv.writer(_Line(), lineterminator="\n")


def _csv_line(values: list) -> str:
    return _CSV.writerow(["" if value is None else value for value in values])


def record_export(session: Session, actor: Actor, fmt: str, case_id: int | None, since: int | None,
                  destination: str) -> None:
    """Every export is itself an audit event."""
    audit.append(session, "audit_exported", actor, case_id=case_id, entity_type="audit_log",
                 details={"format": fmt, "case_id": case_id, "since": since, "to": destination})


def make_checkpoint(session: Session, private_key) -> Checkpoint:
    """Sign the chain's head now; a checkpoint's seq and time only ever increase."""
    head = session.execute(select(AuditEvent.seq, AuditEvent.hash)
                           .order_by(AuditEvent.seq.desc()).limit(1)).first()
    if head is None:
        raise Conflict("The audit log is empty: there is nothing to sign.")
    last = session.scalar(select(AuditCheckpoint).order_by(AuditCheckpoint.seq.desc()).limit(1))
    at = format_utc(utcnow())
    if last is not None and (head.seq <= last.seq or at <= last.at):
        raise Conflict(f"No new events since the checkpoint at seq {last.seq}.")
    checkpoint = sign(private_key, head.seq, head.hash, at)
    session.add(AuditCheckpoint(seq=checkpoint.seq, head=checkpoint.head, at=checkpoint.at,
                                key_id=checkpoint.key_id, signature=checkpoint.signature))
    session.flush()
    return checkpoint


def checkpoints(session: Session) -> list[Checkpoint]:
    return [Checkpoint(c.seq, c.head, c.at, c.key_id, c.signature)
            for c in session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.seq))]


def record_verification(session: Session, actor: Actor, result: Verification) -> None:
    session.add(AuditVerification(at=utcnow(), by_username=actor.username, ok=result.ok,
                                  count=result.count, head=result.head, bad_seq=result.bad_seq,
                                  reason=result.reason))


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
