"""Evidence over the API: the register, an item with its custody and analyses, upload (with an
optional declared SHA-256), download (with X-Content-SHA256), custody, analyses, withdrawal."""
from __future__ import annotations

from contextlib import nullcontext

from flask import current_app, send_file

from views import db
from views.api import schemas
from views.api.operation import actor, answer, body, change, expected_version, operation, url, write
from views.api.problems import Problem
from workflow import cases, evidence, permissions, queries
from workflow.custody import chain_breaks
from workflow.evidence_store import EvidenceStore, clean_declared_hash, clean_filename

TAGS = ("evidence",)


def store() -> EvidenceStore:
    return EvidenceStore(current_app.config["EVIDENCE_DIR"])


def item_body(item) -> schemas.Evidence:
    breaks = chain_breaks(item.custody)
    stored = item.stored
    return schemas.Evidence(
        **{name: getattr(item, name) for name in (
            "id", "case_id", "kind", "title", "description", "source", "collected_at",
            "collected_by", "source_grade", "information_grade", "stage_added", "status",
            "withdrawn_reason", "sha256", "original_filename", "added_at")},
        size=stored.size if stored else None, detected_type=stored.detected_type if stored else None,
        custody=[schemas.Custody.model_validate(event).model_copy(
            update={"chain_break": breaks.get(event.id)}) for event in item.custody],
        analyses=[schemas.Analysis.model_validate(analysis) for analysis in item.analyses])


def _item(case_id: int, evidence_id: int):
    """The item, if it is one of this case and the caller may see the case."""
    session = db.session()
    cases.load_case(session, case_id, actor())
    return evidence.evidence_of(session, case_id, evidence_id)


def item_answer(case_id: int, evidence_id: int, status: int = 200):
    item = _item(case_id, evidence_id)
    version = cases.load_case(db.session(), case_id, actor()).version
    return answer(item_body(item), status, version=version,
                  location=url("get_evidence", case_id=case_id, evidence_id=evidence_id)
                  if status == 201 else None)


@operation("/cases/<id:case_id>/evidence", answer=schemas.EvidenceList, tags=TAGS)
def list_evidence(case_id: int):
    """Every evidence item of a case, withdrawn ones included, oldest first."""
    case = cases.load_case(db.session(), case_id, actor())
    return answer(schemas.EvidenceList(
        items=[item_body(item) for item in queries.evidence_items(db.session(), case_id)]),
        version=case.version)


@operation("/cases/<id:case_id>/evidence", "POST", scope="write", json=schemas.EvidenceIn,
           form=schemas.EvidenceUpload, answer=schemas.Evidence, status=201, tags=TAGS,
           versioned=True, action=permissions.RECORD_EVIDENCE)
def add_evidence(case_id: int):
    """Record an evidence item; as multipart/form-data it may carry its file (field `file`),
    stored by its SHA-256, and `declared_sha256`: a file whose bytes differ is refused."""
    fields = body().model_dump()
    upload, declared = fields.pop("file", None), fields.pop("declared_sha256", None)
    version = expected_version()
    stored, filename, claimed = None, "", ""
    if upload is not None:
        if not hasattr(upload, "stream"):
            raise Problem(422, "file: send the file as a multipart file part.", "validation",
                          errors=[{"field": "file", "message": "not a file"}])
        stored = store().receive(upload.stream, clean_declared_hash(declared))
        filename, claimed = clean_filename(upload.filename), upload.mimetype or ""
    elif declared:
        raise Problem(422, "declared_sha256: there is no file to check it against.", "validation",
                      errors=[{"field": "declared_sha256", "message": "no file sent"}])
    with stored or nullcontext():  # the received bytes go unless the command keeps them
        evidence_id = write(lambda session: evidence.add_evidence(
            session, actor(), case_id, expected_version=version, stored=stored,
            original_filename=filename, claimed_type=claimed, **fields).id)
    return item_answer(case_id, evidence_id, 201)


@operation("/cases/<id:case_id>/evidence/<id:evidence_id>", answer=schemas.Evidence, tags=TAGS)
def get_evidence(case_id: int, evidence_id: int):
    """An evidence item with its custody (breaks flagged) and laboratory analyses."""
    return item_answer(case_id, evidence_id)


@operation("/cases/<id:case_id>/evidence/<id:evidence_id>/file", tags=TAGS, binary=True)
def download_evidence(case_id: int, evidence_id: int):
    """The item's file as stored, with its SHA-256 in X-Content-SHA256; every download is audited."""
    _item(case_id, evidence_id)
    item = write(lambda session: evidence.record_download(session, actor(), case_id,
                                                          evidence_id=evidence_id))
    path = store().path(item.sha256)
    if not path.exists():
        raise Problem(404, "The stored file is missing; an operator should run the fixity check.",
                      "not-found")
    response = send_file(path, as_attachment=True, mimetype="application/octet-stream", max_age=0,
                         download_name=item.original_filename or f"evidence-{item.id}")
    response.headers["X-Content-SHA256"] = item.sha256
    return response


@operation("/cases/<id:case_id>/evidence/<id:evidence_id>/custody", "POST", scope="write",
           json=schemas.CustodyIn, answer=schemas.Evidence, status=201, tags=TAGS, versioned=True,
           action=permissions.RECORD_EVIDENCE)
def add_custody(case_id: int, evidence_id: int):
    """Record a step in the item's chain of custody."""
    change(evidence.add_custody_event, case_id, evidence_id=evidence_id)
    return item_answer(case_id, evidence_id, 201)


@operation("/cases/<id:case_id>/evidence/<id:evidence_id>/analyses", "POST", scope="write",
           json=schemas.AnalysisIn, answer=schemas.Evidence, status=201, tags=TAGS, versioned=True,
           action=permissions.RECORD_EVIDENCE)
def add_analysis(case_id: int, evidence_id: int):
    """Record a laboratory's analysis of a sample."""
    change(evidence.add_lab_analysis, case_id, evidence_id=evidence_id)
    return item_answer(case_id, evidence_id, 201)


@operation("/cases/<id:case_id>/evidence/<id:evidence_id>/withdraw", "POST", scope="write",
           json=schemas.Withdrawal, answer=schemas.Evidence, tags=TAGS, versioned=True,
           action=permissions.RECORD_EVIDENCE)
def withdraw_evidence(case_id: int, evidence_id: int):
    """Withdraw an item from use, with a reason; the record and its file stay."""
    change(evidence.withdraw_evidence, case_id, evidence_id=evidence_id)
    return item_answer(case_id, evidence_id)
