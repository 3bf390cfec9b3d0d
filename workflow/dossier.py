"""The case dossier: one document a court or a commission can read and check without Restraint.

Producing one is an audit event, written with a signed checkpoint at commit, so that the case's
proven audit export embedded in the dossier covers its own production. The document is
rendered from HTML (the caller renders the template; this module has no Flask) to a PDF/A-3
whose attachments are that export, a manifest of the evidence files and a small description;
`python -m workflow.dossier_verify` checks them offline. Once the bytes exist, a second event
records their SHA-256.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import types
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.audit import AuditEvent
from models.case import Case
from models.database import Database
from models.evaluation import Evaluation
from models.evidence import CustodyEvent, EvidenceItem
from models.gate_request import GateRequest
from workflow import audit, audit_log, cases, notes, permissions, queries
from workflow.audit import Actor
from workflow.clock import format_utc, utcnow
from workflow.custody import chain_breaks, current_holder
from workflow.errors import Forbidden, Invalid
from workflow.evidence_store import EvidenceStore
from workflow.pathway import STAGES
from workflow.words import _, _n

FORMAT = "restraint-dossier-v1"
#: The PDF's attachments, by name.
EXPORT_NAME = "audit-export.jsonl"
MANIFEST_NAME = "evidence-manifest.json"
ABOUT_NAME = "dossier.json"
#: In a bundle: the checksums of everything in it, in `sha256sum -c` form.
CHECKSUMS_NAME = "SHA256SUMS"
#: The most printed rows (audit events, custody records, evidence items) whose PDF is laid out
#: within a web request: the benchmark's case of about 10,000 took some 15 s of CPU and 360 MB
#: (tests/bench/dossier.py), and a worker is given 30 s. Larger cases' dossiers are produced
#: with the `cases dossier` command, which has no time limit.
WEB_MAX_ROWS = 12_000
#: Fonts bundled with the system set-up (Debian fonts-dejavu-core), referenced by path so that
#: no font is looked up or fetched while rendering; DejaVu Sans covers Latin, Arabic, Hebrew,
#: Greek, Cyrillic and Armenian.
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"),)
FONT_FILES = {("normal", "normal"): "DejaVuSans.ttf", ("bold", "normal"): "DejaVuSans-Bold.ttf",
              ("normal", "italic"): "DejaVuSans-Oblique.ttf", ("bold", "italic"): "DejaVuSans-BoldOblique.ttf"}
MONO_FILE = "DejaVuSansMono.ttf"
#: The audit events are printed as a fixed-width listing cut into page-sized blocks, each under
#: the column heads: WeasyPrint lays a table cell out many times slower than a line of text, and
#: a case of 5,000 events as a table took minutes and gigabytes. Lines per block: what an A4 page
#: holds at the stylesheet's 6 pt listing (94) less room for lines that wrap; the first block
#: also leaves room for the chapter's heading.
LISTING_LINES = 84
LISTING_FIRST_LINES = 72
LISTING_HEAD = f"{'seq':>7} {'at (UTC)':<19} {'actor':<14} {'event':<24} SHA-256 chain hash"
_LISTING_INDENT = " " * 28


def may_produce(user, case: Case) -> bool:
    """Supervisors, auditors, and team members holding a working role may produce a case's dossier.

    Auditors read every case and export its audit log (DESIGN §1); a dossier changes nothing
    but the log, so it is theirs too. Admins see no case content.
    """
    return permissions.can(user, permissions.PRODUCE_DOSSIER, case)


@dataclass
class EvidenceEntry:
    item: object
    breaks: dict
    holder: str


@dataclass
class Dossier:
    """Everything the dossier shows, read after its production was recorded."""

    case: Case
    actor: Actor
    generated_at: datetime
    production_seq: int
    with_files: bool
    members: list = field(default_factory=list)
    evidence: list[EvidenceEntry] = field(default_factory=list)
    findings: list = field(default_factory=list)
    current_findings: set = field(default_factory=set)
    responses: list = field(default_factory=list)
    response_history: dict = field(default_factory=dict)
    messages: list = field(default_factory=list)
    evaluations: list = field(default_factory=list)
    requests: list = field(default_factory=list)
    reopenings: list = field(default_factory=list)
    #: The case's tasks by stage, in the pathway's order (stages with none left out).
    tasks: dict = field(default_factory=dict)
    events: list = field(default_factory=list)
    #: The signed checkpoint note the export is proven against, or None without a signing key.
    checkpoint_note: str | None = None
    checkpoint: notes.Checkpoint | None = None
    export: bytes = b""
    manifest: bytes = b""
    about: bytes = b""

    @property
    def reference(self) -> str:
        return self.case.reference

    @property
    def file_items(self) -> list:
        return [entry.item for entry in self.evidence if entry.item.sha256]

    @property
    def listing(self) -> list[str]:
        """The audit events as fixed-width text, one block per printed page."""
        return listing_blocks(self.events)

    def attachments(self) -> dict[str, bytes]:
        return {EXPORT_NAME: self.export, MANIFEST_NAME: self.manifest, ABOUT_NAME: self.about}

    def file_name(self, suffix: str) -> str:
        return f"{self.reference}-dossier.{suffix}"


def printed_rows(session: Session, case_id: int) -> int:
    """How many rows the case's dossier prints: audit events, custody records and evidence items."""
    items = select(EvidenceItem.id).where(EvidenceItem.case_id == case_id)
    return sum(session.scalar(select(func.count()).select_from(query.subquery())) for query in (
        select(AuditEvent.seq).where(AuditEvent.case_id == case_id), items,
        select(CustodyEvent.id).where(CustodyEvent.evidence_id.in_(items))))


def record_production(session: Session, actor: Actor, case_id: int, *, fmt: str,
                      with_files: bool, max_rows: int | None = None) -> int:
    """Check who asks (and, given `max_rows`, the case's size), and write the production's audit
    event (signed at commit); its seq."""
    case = cases.load_case(session, case_id, actor)
    if not may_produce(actor, case):
        raise Forbidden(_("Producing a case's dossier needs the supervisor or auditor role, or a "
                          "working role on the case's team."))
    if max_rows is not None and (rows := printed_rows(session, case.id)) > max_rows:
        command = f"flask --app app cases dossier {case.id} --output FILE --as {actor.username}"
        raise Invalid(_n("The dossier of %(reference)s prints %(num)s row (audit events, custody "
                         "records and evidence items), more than the %(limit)s laid out within a web "
                         "request. The printable page shows it all; for the signed PDF, ask an operator "
                         "of this installation to run `%(command)s`, which is audited the same way.",
                         "The dossier of %(reference)s prints %(num)s rows (audit events, custody "
                         "records and evidence items), more than the %(limit)s laid out within a web "
                         "request. The printable page shows it all; for the signed PDF, ask an operator "
                         "of this installation to run `%(command)s`, which is audited the same way.",
                         rows, reference=case.reference, limit=f"{max_rows:,}", command=command))
    row = audit.append(session, "dossier_produced", actor, case_id=case.id, entity_type="case",
                       entity_id=case.id, details={"format": fmt, "with_files": with_files})
    audit.checkpoint_at_commit(session)
    return row["seq"]


def record_seal(session: Session, actor: Actor, case_id: int, production_seq: int, fmt: str,
                digest: str, size: int, bundle_digest: str | None = None) -> None:
    """The produced document's SHA-256, in the log, beside the production it completes."""
    details = {"production_seq": production_seq, "format": fmt, "sha256": digest, "size": size}
    if bundle_digest:
        details["bundle_sha256"] = bundle_digest
    audit.append(session, "dossier_sealed", actor, case_id=case_id, entity_type="case",
                 entity_id=case_id, details=details)


@contextmanager
def produced(database: Database, actor: Actor, case_id: int, *, fmt: str,
             with_files: bool = False, max_rows: int | None = None) -> Iterator[Dossier]:
    """Record the production (committed, signed), then read the case and its proven export;
    the records stay readable until the block ends."""
    with database.transaction() as session:
        seq = record_production(session, actor, case_id, fmt=fmt, with_files=with_files,
                                max_rows=max_rows)
    with database.sessions() as session:
        yield gather(session, actor, case_id, seq, with_files)


def _canonical(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, indent=1).encode() + b"\n"


def gather(session: Session, actor: Actor, case_id: int, production_seq: int, with_files: bool) -> Dossier:
    """Every record of the case, in reading order, with the export proven up to the production."""
    case = cases.load_case(session, case_id, actor)
    dossier = Dossier(case=case, actor=actor, generated_at=utcnow(), production_seq=production_seq,
                      with_files=with_files)
    dossier.members = sorted(case.members, key=lambda m: (m.case_role != "lead_investigator", m.added_at))
    for item in queries.evidence_items(session, case_id):
        dossier.evidence.append(EvidenceEntry(item, chain_breaks(item.custody), current_holder(item.custody)))
    dossier.findings = queries.findings_of(session, case_id)
    dossier.current_findings = {f.id for f in queries.current_findings(session, case_id).values()}
    dossier.responses = [r for cell in queries.responses_by_cell(session, case_id, full=True).values() for r in cell]
    dossier.messages = queries.messages_of(session, case_id)
    dossier.evaluations = session.scalars(select(Evaluation).where(Evaluation.case_id == case_id)
                                          .order_by(Evaluation.id)).all()
    dossier.requests = session.scalars(select(GateRequest).where(GateRequest.case_id == case_id)
                                       .order_by(GateRequest.id)).all()
    for task in sorted(queries.tasks_of(session, case_id), key=lambda t: (STAGES.index(t.stage), t.id)):
        dossier.tasks.setdefault(task.stage, []).append(task)
    lines = []
    for line in audit_log.export_lines(session, actor, "jsonl", case_id=case_id):
        lines.append(line)
        record = json.loads(line)
        if "checkpoint" in record:
            dossier.checkpoint_note = record["checkpoint"]
            dossier.checkpoint = notes.Checkpoint.parse(notes.parse(record["checkpoint"])[0])
            continue
        payload = json.loads(record["payload"])
        event = {"seq": record["seq"], "hash": record["hash"], **payload}
        dossier.events.append(event)
        if event["event_type"].startswith(("response_", "milestone_")):
            response_id = event["details"].get("response_id") or (
                event["entity_id"] if event["entity_type"] == "response" else None)
            if response_id is not None:
                dossier.response_history.setdefault(int(response_id), []).append(event)
        elif event["event_type"] == "case_reopened":
            dossier.reopenings.append(event)
    dossier.export = "".join(lines).encode()
    dossier.manifest = _canonical({"case_id": case.id, "reference": case.reference, "files": [
        {"evidence_id": item.id, "title": item.title, "sha256": item.sha256, "size": item.stored.size,
         "detected_type": item.stored.detected_type, "filename": item.original_filename,
         "status": item.status} for item in dossier.file_items]})
    dossier.about = _canonical({
        "format": FORMAT, "case_id": case.id, "reference": case.reference,
        "generated_at": format_utc(dossier.generated_at), "generated_by": actor.username,
        "production_seq": production_seq, "with_files": with_files,
        "attachments": {EXPORT_NAME: hashlib.sha256(dossier.export).hexdigest(),
                        MANIFEST_NAME: hashlib.sha256(dossier.manifest).hexdigest()}})
    return dossier


def listing_lines(event: dict) -> list[str]:
    """One audit event as listing lines: the event, then its change of stage if it made one."""
    at = event["at"][:19].replace("T", " ")
    actor = event.get("actor_username") or "system"
    lines = [f"{event['seq']:>7} {at:<19} {actor:<14} {event['event_type']:<24} {event['hash']}"]
    if event.get("to_state"):
        lines.append(f"{_LISTING_INDENT}stage {event.get('from_state') or '—'} → {event['to_state']}")
    return lines


def listing_blocks(events: list[dict], lines_per_block: int = LISTING_LINES,
                   first_block: int = LISTING_FIRST_LINES) -> list[str]:
    """The events' listing cut into blocks of at most `lines_per_block` lines (`first_block` for
    the first), heads included; an event's lines stay together."""
    blocks, block, limit = [], [LISTING_HEAD], first_block
    for event in events:
        lines = listing_lines(event)
        if len(block) + len(lines) > limit:
            blocks.append("\n".join(block))
            block, limit = [LISTING_HEAD], lines_per_block
        block.extend(lines)
    if len(block) > 1 or not blocks:
        blocks.append("\n".join(block))
    return blocks


def font_css() -> str:
    """@font-face rules naming the bundled font files by path (empty if they are missing)."""
    rules = []
    for directory in FONT_DIRS:
        for (weight, style), name in FONT_FILES.items():
            if (directory / name).is_file():
                rules.append(f'@font-face {{ font-family: "Dossier Sans"; font-weight: {weight}; '
                             f'font-style: {style}; src: url("{(directory / name).as_uri()}"); }}')
        if (directory / MONO_FILE).is_file():
            rules.append(f'@font-face {{ font-family: "Dossier Mono"; '
                         f'src: url("{(directory / MONO_FILE).as_uri()}"); }}')
    return "\n".join(rules)


#: zlib for pydyf (WeasyPrint's PDF writer) at zlib's default level: pydyf asks for level 9,
#: which on the benchmark's 200-page dossier cost about a fifth of the rendering time for output
#: under 2 % smaller.
_ZLIB_DEFAULT_LEVEL = types.SimpleNamespace(
    compress=zlib.compress,
    compressobj=lambda level=9, *args, **kwargs: zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, *args, **kwargs))


def render_pdf(html: str, dossier: Dossier, stylesheet: Path) -> bytes:
    """The HTML as a PDF/A-3b carrying the export, the manifest and the description as attachments."""
    import pydyf
    from weasyprint import CSS, HTML, Attachment  # heavy: loaded only when a PDF is made
    if pydyf.zlib is zlib:
        pydyf.zlib = _ZLIB_DEFAULT_LEVEL
    attachments = [
        Attachment(string=dossier.export, name=EXPORT_NAME, relationship="Source",
                   description="The case's audit events with inclusion proofs and the signed checkpoint"),
        Attachment(string=dossier.manifest, name=MANIFEST_NAME, relationship="Data",
                   description="SHA-256 of every evidence file of the case"),
        Attachment(string=dossier.about, name=ABOUT_NAME, relationship="Data",
                   description="What this dossier is: case, production, digests of the other attachments"),
    ]
    return HTML(string=html, base_url=str(stylesheet.parent)).write_pdf(
        stylesheets=[CSS(filename=str(stylesheet)), CSS(string=font_css())],
        attachments=attachments, pdf_variant="pdf/a-3b", uncompressed_pdf=False)


def write_bundle(pdf: bytes, dossier: Dossier, store: EvidenceStore, out) -> None:
    """A ZIP of the PDF and the evidence files named by their hash, with SHA256SUMS.

    Each file is re-hashed as it is copied: a stored file that no longer matches refuses the bundle.
    """
    sums = [f"{hashlib.sha256(pdf).hexdigest()}  {dossier.file_name('pdf')}"]
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr(dossier.file_name("pdf"), pdf)
        done = set()
        for item in dossier.file_items:
            if item.sha256 in done:
                continue
            done.add(item.sha256)
            name = f"evidence/{item.sha256}"
            digest = hashlib.sha256()
            with store.path(item.sha256).open("rb") as source, \
                    bundle.open(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), "w",
                                force_zip64=True) as target:
                while chunk := source.read(1 << 20):
                    digest.update(chunk)
                    target.write(chunk)
            if digest.hexdigest() != item.sha256:
                raise Invalid(_("evidence %(item)s: its stored file no longer has SHA-256 "
                                "%(sha256)s; run `flask --app app evidence fixity`",
                                item=item.id, sha256=item.sha256), "files")
            sums.append(f"{item.sha256}  {name}")
        bundle.writestr(CHECKSUMS_NAME, "\n".join(sums) + "\n")


def bundle_file(pdf: bytes, dossier: Dossier, store: EvidenceStore):
    """The bundle in a temporary file (evidence can be large), rewound; the caller closes it."""
    spool = tempfile.TemporaryFile()
    try:
        write_bundle(pdf, dossier, store, spool)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool


def file_digest(handle) -> tuple[str, int]:
    """SHA-256 and size of an open file, read from the start; rewound afterwards."""
    handle.seek(0)
    digest, size = hashlib.sha256(), 0
    while chunk := handle.read(1 << 20):
        digest.update(chunk)
        size += len(chunk)
    handle.seek(0)
    return digest.hexdigest(), size


def copy_to(handle, path: str) -> None:
    with open(path, "wb") as out:
        shutil.copyfileobj(handle, out)
