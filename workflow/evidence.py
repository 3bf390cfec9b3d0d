"""Evidence commands: add, withdraw, custody events, laboratory analyses, findings.

Each runs inside the caller's transaction on a locked, current case that is open and not
under review, and writes its audit event.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.case import AGENTS
from models.database import insert_on
from models.evidence import (
    CUSTODY_ACTIONS,
    INFORMATION_GRADES,
    KINDS,
    SOURCE_GRADES,
    CustodyEvent,
    EvidenceItem,
    LabAnalysis,
    StoredObject,
)
from models.finding import CONCLUSIONS, PARTY_TYPES, STANDARDS_OF_PROOF, Finding
from workflow import audit, command, permissions, registers, tasks
from workflow.audit import Actor
from workflow.clock import format_utc, utcnow
from workflow.errors import Invalid, NotFound
from workflow.evidence_store import EvidenceStore, StoredFile
from workflow.fields import day, moment, one_of, text
from workflow.registers import known_entries
from workflow.words import _, inline


def evidence_of(session: Session, case_id: int, evidence_id: int) -> EvidenceItem:
    item = session.get(EvidenceItem, evidence_id)
    if item is None or item.case_id != case_id:
        raise NotFound(_("No such evidence item in this case."))
    return item


def add_evidence(session: Session, actor: Actor, case_id: int, *, expected_version,
                 kind: str, title: str, description: str = "", source: str = "",
                 collected_at: datetime | None = None, collected_by: str = "",
                 source_grade: str = "F", information_grade: str = "6",
                 stored: StoredFile | None = None, original_filename: str = "",
                 claimed_type: str = "") -> EvidenceItem:
    """Record an evidence item, with the stored file when there is one."""
    cmd = command.begin(session, actor, case_id, action=permissions.RECORD_EVIDENCE,
                        expected_version=expected_version)
    case = cmd.case
    item = EvidenceItem(
        case_id=case.id, kind=one_of(kind, "kind", KINDS), title=text(title, "title", 200, True),
        description=text(description, "description", 20_000), source=text(source, "source", 300),
        collected_at=moment(collected_at, "collected_at"),
        collected_by=text(collected_by, "collected_by", 200),
        source_grade=one_of(source_grade, "source_grade", SOURCE_GRADES),
        information_grade=one_of(information_grade, "information_grade", INFORMATION_GRADES),
        stage_added=case.state, added_by_id=actor.id,
        original_filename=original_filename[:255], claimed_type=(claimed_type or "")[:100])
    details = {"kind": item.kind, "title": item.title, "grade": item.grade}
    if stored is not None:
        # The same bytes may come to two cases at once: the second finds the first's row.
        session.execute(insert_on(session.get_bind().dialect.name, StoredObject.__table__).values(
            sha256=stored.sha256, size=stored.size, detected_type=stored.detected_type)
            .on_conflict_do_nothing())
        item.sha256 = stored.sha256
        details.update(sha256=stored.sha256, size=stored.size, filename=item.original_filename,
                       detected_type=stored.detected_type, claimed_type=item.claimed_type)
    session.add(item)
    session.flush()
    cmd.record("evidence_added", "evidence", item.id, details)
    if stored is not None:
        # The file takes its name only once every check has passed: a refusal keeps nothing.
        stored.keep()
    return item


def withdraw_evidence(session: Session, actor: Actor, case_id: int, *, expected_version,
                      evidence_id: int, reason: str) -> EvidenceItem:
    """Withdraw an item from use, with a reason; the record and its file stay."""
    cmd = command.begin(session, actor, case_id, action=permissions.RECORD_EVIDENCE,
                        expected_version=expected_version)
    case = cmd.case
    item = evidence_of(session, case.id, evidence_id)
    if item.status == "withdrawn":
        raise Invalid(_("this item is withdrawn already"))
    item.status, item.withdrawn_at = "withdrawn", utcnow()
    item.withdrawn_reason = text(reason, "reason", 5000, True)
    cmd.record("evidence_withdrawn", "evidence", item.id,
             {"reason": item.withdrawn_reason})
    return item


def add_custody_event(session: Session, actor: Actor, case_id: int, *, expected_version,
                      evidence_id: int, action: str, at: datetime,
                      from_holder: str = "", to_holder: str = "", place: str = "",
                      seal_id: str = "", note: str = "") -> CustodyEvent:
    """Record a step in the chain of custody of an item."""
    cmd = command.begin(session, actor, case_id, action=permissions.RECORD_EVIDENCE,
                        expected_version=expected_version)
    case = cmd.case
    item = evidence_of(session, case.id, evidence_id)
    if item.status == "withdrawn":
        raise Invalid(_("this item is withdrawn: its custody is closed"))
    if at is None:
        raise Invalid(_("time: required"), "at")
    event = CustodyEvent(
        evidence_id=item.id, action=one_of(action, "action", CUSTODY_ACTIONS), at=moment(at, "at"),
        from_holder=text(from_holder, "from_holder", 200), to_holder=text(to_holder, "to_holder", 200),
        place=text(place, "place", 200), seal_id=text(seal_id, "seal_id", 100),
        note=text(note, "note", 5000), recorded_by_id=actor.id)
    if event.action in ("transferred", "returned", "received") and not event.to_holder:
        raise Invalid(_("to holder: required when custody is %(action)s", action=inline(event.action)),
                      "to_holder")
    if event.action == "collected" and not (event.to_holder or event.from_holder):
        raise Invalid(_("to holder: name who collected it"), "to_holder")
    item.custody.append(event)
    session.flush()
    cmd.record("custody_recorded", "custody_event", event.id, {
        "evidence_id": item.id, "action": event.action, "at": format_utc(event.at),
        "from_holder": event.from_holder, "to_holder": event.to_holder, "place": event.place,
        "seal_id": event.seal_id, "note": event.note})
    return event


def add_lab_analysis(session: Session, actor: Actor, case_id: int, *, expected_version,
                     evidence_id: int, laboratory: str, designated: bool,
                     method: str = "", result: str = "", report_ref: str = "",
                     analysed_on: date | None = None) -> LabAnalysis:
    """Record a laboratory's analysis of a sample."""
    cmd = command.begin(session, actor, case_id, action=permissions.RECORD_EVIDENCE,
                        expected_version=expected_version)
    case = cmd.case
    item = evidence_of(session, case.id, evidence_id)
    if not item.is_sample:
        raise Invalid(_("laboratory analyses are recorded for environmental and biomedical samples only"))
    analysis = LabAnalysis(
        evidence_id=item.id, laboratory=text(laboratory, "laboratory", 200, True),
        designated=bool(designated), method=text(method, "method", 300),
        result=text(result, "result", 20_000), report_ref=text(report_ref, "report_ref", 200),
        analysed_on=day(analysed_on, "analysed_on", past=True), recorded_by_id=actor.id)
    item.analyses.append(analysis)
    session.flush()
    cmd.record("lab_analysis_recorded", "lab_analysis", analysis.id, {
        "evidence_id": item.id, "laboratory": analysis.laboratory,
        "designated": analysis.designated, "result": analysis.result,
        "report_ref": analysis.report_ref})
    return analysis


def record_finding(session: Session, actor: Actor, case_id: int, *, expected_version,
                   kind: str, conclusion: str, rationale: str, cited_ids=(), agent: str = "",
                   responsible_party: str = "", party_type: str = "",
                   standard_of_proof: str = "", body: str = "") -> Finding:
    """Record a use determination or an attribution, with the body that made it (from the body
    register, through its aliases); it supersedes earlier ones of its kind."""
    cmd = command.begin(session, actor, case_id, action=permissions.RECORD_FINDING,
                        expected_version=expected_version)
    case = cmd.case
    kind = one_of(kind, "kind", CONCLUSIONS)
    # Before anything is appended to the audit log (a proposed register entry is): see
    # tasks.lock_completed_by.
    done = tasks.lock_completed_by(cmd, kind)
    finding = Finding(case_id=case.id, kind=kind, author_id=actor.id,
                      conclusion=one_of(conclusion, "conclusion", CONCLUSIONS[kind]),
                      rationale=text(rationale, "rationale", 20_000, True))
    if kind == "use_determination" and conclusion != "not_confirmed":
        finding.agent = one_of(agent, "agent", AGENTS)
    if kind == "attribution" and conclusion == "attributed":
        finding.responsible_party = text(responsible_party, "responsible_party", 300, True)
        finding.party_type = one_of(party_type, "party_type", PARTY_TYPES)
        finding.standard_of_proof = one_of(standard_of_proof, "standard_of_proof",
                                            STANDARDS_OF_PROOF)
        finding.party_id = registers.link_party(session, actor, finding.responsible_party,
                                                finding.party_type).id
    bodies = known_entries(session, "body", body, "body")
    if len(bodies) > 1:
        raise Invalid(_("%(field)s: one body only", field="body"), "body")
    finding.body = bodies[0] if bodies else None
    cited_ids = sorted(set(cited_ids))
    cited = session.scalars(select(EvidenceItem).where(EvidenceItem.id.in_(cited_ids),
                                                       EvidenceItem.case_id == case.id)).all()
    if len(cited) != len(cited_ids):
        raise Invalid(_("cited evidence: every cited item must belong to this case"), "cited")
    finding.cited = list(cited)
    session.add(finding)
    session.flush()
    cmd.record("finding_recorded", "finding", finding.id, {
        "kind": kind, "conclusion": finding.conclusion, "agent": finding.agent,
        "responsible_party": finding.responsible_party, "party_type": finding.party_type,
        "party_id": finding.party_id, "standard_of_proof": finding.standard_of_proof,
        "body_id": finding.body.id if finding.body else None, "rationale": finding.rationale,
        "cited": cited_ids})
    tasks.complete_by_record(cmd, done, kind, "finding", finding.id)
    return finding


def explain_no_sample(session: Session, actor: Actor, case_id: int, *, expected_version,
                      reason: str):
    """A supervisor records why the case has no sample (the site out of reach, say): only then
    may a case that names an agent pass the sample requirement without one."""
    cmd = command.begin(session, actor, case_id, action=permissions.EXPLAIN_NO_SAMPLE,
                        expected_version=expected_version)
    case = cmd.case
    permissions.require(permissions.can_explain_no_sample(actor, case, cmd.pending))
    reason, before = text(reason, "reason", 5000, True), case.no_sample_reason
    case.no_sample_reason = reason
    cmd.record("no_sample_explained", "case", case.id, {"reason": reason, "before": before})
    return case


def record_download(session: Session, actor: Actor, case_id: int, *, evidence_id: int) -> EvidenceItem:
    """Note in the audit log that someone took a copy of an item's file."""
    item = evidence_of(session, case_id, evidence_id)
    if item.sha256 is None:
        raise NotFound(_("This evidence item has no file."))
    audit.append(session, "evidence_downloaded", actor, case_id=case_id, entity_type="evidence",
                 entity_id=item.id, details={"sha256": item.sha256})
    return item


@dataclass(frozen=True)
class FixityFailure:
    evidence_id: int
    case_id: int
    sha256: str
    problem: str


def check_fixity(session: Session, store: EvidenceStore) -> tuple[int, list[FixityFailure]]:
    """Re-hash every stored object that evidence refers to; (objects checked, failures)."""
    rows = session.execute(select(EvidenceItem.id, EvidenceItem.case_id, EvidenceItem.sha256)
                           .where(EvidenceItem.sha256.is_not(None)).order_by(EvidenceItem.id)).all()
    problems = {sha256: store.check(sha256) for sha256 in sorted({row.sha256 for row in rows})}
    failures = [FixityFailure(row.id, row.case_id, row.sha256, problems[row.sha256])
                for row in rows if problems[row.sha256]]
    return len(problems), failures


def record_integrity_failures(session: Session, failures: list[FixityFailure]) -> None:
    """One `integrity_failure` audit event per evidence item whose file is missing or changed."""
    for failure in failures:
        audit.append(session, "integrity_failure", audit.SYSTEM, case_id=failure.case_id,
                     entity_type="evidence", entity_id=failure.evidence_id,
                     details={"sha256": failure.sha256, "problem": failure.problem})
