"""The audit log for its readers: search with keyset pages, exports, checkpoints, verifications."""
from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, text
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
from workflow.words import Text, _, human

PAGE = 100
EXPORT_BATCH = 5000
#: Events whose inclusion proofs are read from the tree together.
PROOF_BATCH = 500


#: Every kind of event the application writes, by its code, in words.
EVENT_NAMES = {
    "case_opened": _("Case opened"),
    "case_updated": _("Case details changed"),
    "case_reopened": _("Case reopened"),
    "history_imported": _("Documented history imported"),
    "team_member_added": _("Team member added"),
    "team_member_changed": _("Team member's case role changed"),
    "team_member_removed": _("Team member removed"),
    "gate_requested": _("Gate requested"),
    "gate_approved": _("Gate approved"),
    "gate_rejected": _("Gate rejected"),
    "gate_withdrawn": _("Gate request withdrawn"),
    "evidence_added": _("Evidence added"),
    "evidence_withdrawn": _("Evidence withdrawn"),
    "evidence_downloaded": _("Evidence file downloaded"),
    "evidence_previewed": _("Evidence file previewed"),
    "custody_recorded": _("Custody event recorded"),
    "lab_analysis_recorded": _("Laboratory analysis recorded"),
    "integrity_failure": _("Stored file missing or changed"),
    "finding_recorded": _("Finding recorded"),
    "response_proposed": _("Response proposed"),
    "response_imported": _("Response imported"),
    "response_status_changed": _("Response status changed"),
    "milestone_added": _("Milestone added"),
    "milestone_updated": _("Milestone updated"),
    "deterrence_message_recorded": _("Deterrence message recorded"),
    "evaluation_recorded": _("Evaluation recorded"),
    "task_created": _("Task created"),
    "task_claimed": _("Task claimed"),
    "task_unclaimed": _("Task returned to its queue"),
    "task_assigned": _("Task assigned"),
    "task_completed": _("Task completed"),
    "task_cancelled": _("Task cancelled"),
    "dossier_produced": _("Dossier produced"),
    "dossier_sealed": _("Dossier sealed"),
    "audit_exported": _("Audit log exported"),
    "login": _("Signed in"),
    "login_failed": _("Sign-in refused"),
    "logout": _("Signed out"),
    "sessions_ended": _("Every session ended"),
    "password_changed": _("Password changed"),
    "reauthentication_failed": _("Password given again refused"),
    "preferences_changed": _("Language or time zone changed"),
    "second_factor_enrolled": _("Second factor set up"),
    "second_factor_failed": _("Second factor code refused"),
    "second_factor_reset": _("Second factor reset"),
    "recovery_code_used": _("Recovery code used"),
    "recovery_codes_renewed": _("Recovery codes renewed"),
    "user_created": _("Account created"),
    "user_roles_changed": _("Roles changed"),
    "user_activated": _("Account reactivated"),
    "user_deactivated": _("Account deactivated"),
    "role_grant_proposed": _("Role grant proposed"),
    "role_grant_approved": _("Role grant approved"),
    "role_grant_refused": _("Role grant refused"),
    "role_grant_withdrawn": _("Role grant withdrawn"),
    "register_entry_added": _("Register entry added"),
    "register_alias_added": _("Register alias added"),
    "register_entry_proposed": _("Register entry proposed"),
    "register_entry_accepted": _("Register entry accepted"),
    "register_entry_merged": _("Register entry merged"),
    "register_link_moved": _("Register link moved"),
    "register_parent_moved": _("Register entry moved under another"),
    "case_corrected": _("Imported case corrected from its source"),
    "case_linked": _("Cases linked"),
    "comment_added": _("Comment added"),
    "no_sample_explained": _("Why there is no sample recorded"),
    "notification_preferences_changed": _("Notification settings changed"),
    "token_created": _("API token made"),
    "token_revoked": _("API token revoked"),
    "token_used_from_new_address": _("API token used from a new address"),
    "token_refused": _("API token refused"),
    "evidence_corrected": _("Evidence record corrected"),
    "response_corrected": _("Response corrected"),
    "task_corrected": _("Task due date corrected"),
    "milestone_corrected": _("Milestone due date corrected"),
}


def event_name(code: str) -> Text:
    """An event type in words; one the table does not know yet, from its code."""
    return EVENT_NAMES.get(code) or human(code)


#: The event types in the log, read from its index one type at a time (a loose index scan):
#: as fast with a million events as with ten.
_TYPES_IN_LOG = text(
    "WITH RECURSIVE types (event_type) AS ("
    " SELECT min(event_type) FROM audit_events"
    " UNION ALL SELECT (SELECT min(event_type) FROM audit_events e WHERE e.event_type > types.event_type)"
    " FROM types WHERE types.event_type IS NOT NULL)"
    " SELECT event_type FROM types WHERE event_type IS NOT NULL")


def event_types(session: Session) -> list[tuple[str, str]]:
    """Every event type known or in the log, as (code, name), by name."""
    codes = set(EVENT_NAMES) | set(session.scalars(_TYPES_IN_LOG))
    return sorted(((code, event_name(code)) for code in codes), key=lambda pair: pair[1].lower())


@dataclass
class EventFilters:
    case_id: int | None = None
    actor: str = ""
    event_type: str = ""
    since: datetime | None = None
    until: datetime | None = None

    @property
    def beyond_case(self) -> bool:
        """Whether anything but the case narrows the events."""
        return bool(self.actor or self.event_type or self.since or self.until)


def _where(query, filters: EventFilters):
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
    return query


def _visible(query, user):
    """Auditors read every event; supervisors read the events of the cases they may see."""
    if AUDITOR in user.roles:
        return query
    return query.where(AuditEvent.case_id.in_(select(Case.id).where(permissions.visible_cases(user))))


def search(session: Session, user, filters: EventFilters, before_seq: int | None = None,
           limit: int = PAGE, after_seq: int | None = None) -> list[AuditEvent]:
    """Newest first, `limit` events older than `before_seq`: keyset pages that stay fast at any
    depth. With `after_seq`, the `limit` events just newer than it, oldest first (the page before)."""
    query = _where(_visible(select(AuditEvent), user), filters)
    if after_seq is not None:
        return session.scalars(query.where(AuditEvent.seq > after_seq)
                               .order_by(AuditEvent.seq).limit(limit)).all()
    if before_seq:
        query = query.where(AuditEvent.seq < before_seq)
    return session.scalars(query.order_by(AuditEvent.seq.desc()).limit(limit)).all()


def _rows(session: Session, user, filters: EventFilters, since: int | None,
          until: int | None = None) -> Iterator:
    columns = [getattr(AuditEvent, name) for name in FIELDS]
    query = _where(_visible(select(*columns, AuditEvent.payload, AuditEvent.prev_hash,
                                   AuditEvent.hash), user), filters)
    if since:
        query = query.where(AuditEvent.seq >= since)
    if until:
        query = query.where(AuditEvent.seq <= until)
    query = query.order_by(AuditEvent.seq).execution_options(yield_per=EXPORT_BATCH)
    with session.connection().execute(query) as result:
        yield from result


def export_lines(session: Session, user, fmt: str, case_id: int | None = None,
                 since: int | None = None, filters: EventFilters | None = None) -> Iterator[str]:
    """The export, line by line, streamed: jsonl for the offline verifier, csv for people.

    A case's jsonl export proves itself: it stops at the latest signed checkpoint, gives each
    event its inclusion proof in that checkpoint's tree, and ends with the checkpoint note.
    Narrowed by more than its case (`filters`), an export holds the events that match, each as
    the log has it; a selection cannot show what it leaves out, so it carries no proof.
    """
    filters = filters or EventFilters(case_id=case_id)
    if fmt == "jsonl" and filters.case_id and not filters.beyond_case:
        yield from _proven_case_lines(session, user, filters.case_id)
        return
    if fmt == "jsonl":
        for row in _rows(session, user, filters, since):
            yield export_line(row.seq, row.prev_hash, row.hash, row.payload) + "\n"
        return
    yield _csv_line([*FIELDS, "prev_hash", "hash", "payload"])
    for row in _rows(session, user, filters, since):
        values = list(payload_columns(row))
        values[4] = ",".join(values[4])  # the roles, as the column stores them
        yield _csv_line([*values, row.prev_hash, row.hash, row.payload])


def _proven_case_lines(session: Session, user, case_id: int) -> Iterator[str]:
    checkpoint = transparency.latest_checkpoint(session)
    if checkpoint is None:  # no signing key: the events alone, which the verifier says are unproven
        for row in _rows(session, user, EventFilters(case_id=case_id), None):
            yield export_line(row.seq, row.prev_hash, row.hash, row.payload) + "\n"
        return
    batch = []
    for row in _rows(session, user, EventFilters(case_id=case_id), None, until=checkpoint.seq):
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
                  destination: str, filters: EventFilters | None = None) -> None:
    """Every export is itself an audit event, naming what it holds; a case's export is signed
    up to and including it."""
    details = {"format": fmt, "case_id": case_id, "since": since, "to": destination}
    if filters is not None and filters.beyond_case:
        details["filters"] = {"actor": filters.actor.strip().lower(), "event_type": filters.event_type,
                              "from": format_utc(filters.since) if filters.since else None,
                              "until": format_utc(filters.until) if filters.until else None}
    audit.append(session, "audit_exported", actor, case_id=case_id, entity_type="audit_log",
                 details=details)
    if case_id:
        audit.checkpoint_at_commit(session)


def references(session: Session, case_ids) -> dict[int, str]:
    """The references of the cases named, by id."""
    ids = {case_id for case_id in case_ids if case_id}
    if not ids:
        return {}
    return dict(session.execute(select(Case.id, Case.reference).where(Case.id.in_(ids))).all())


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
