"""The case dossier: what its PDF says, that its attachments verify offline, who may produce it."""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile

import pypdf
import pytest
from sqlalchemy import select
from webclient import PASSWORD, Auth

from config import PROJECT_ROOT
from conftest import add_evidence_with_file
from models.audit import AuditEvent
from models.gate_request import GateRequest
from workflow import demo, evidence
from workflow.command import ANY_VERSION
from workflow.dossier_verify import main as verify_dossier

ARABIC = "هجوم بغاز الكلور على حي سكني"


@pytest.fixture
def extra_config(log_key_files):
    return {"AUDIT_SIGNING_KEY": str(log_key_files[0]), "AUDIT_LOG_ORIGIN": "restraint.test/audit"}


@pytest.fixture
def public_key(log_key_files):
    return str(log_key_files[1])


@pytest.fixture
def story(db, people) -> int:
    """The demonstration cases; the id of the closed one."""
    assert demo.load_story(db, people) == 4
    return 4


def text_of(pdf: bytes) -> str:
    """The PDF's text, every run of white space made one space."""
    return " ".join(" ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages).split())


def produce(runner, tmp_path, case_id: int, *extra: str) -> bytes:
    out = tmp_path / ("dossier.zip" if "--with-files" in extra else "dossier.pdf")
    result = runner.invoke(args=["cases", "dossier", str(case_id), "--output", str(out), *extra])
    assert result.exit_code == 0, result.output
    return out.read_bytes()


def verify(capsys, path, public_key) -> tuple[int, str]:
    code = verify_dossier([str(path), "--public-key", public_key])
    captured = capsys.readouterr()
    return code, (captured.out + captured.err).strip()


def test_the_closed_demonstration_case_reads_and_verifies(db, runner, story, tmp_path, public_key, capsys):
    pdf = produce(runner, tmp_path, story, "--as", "sue")
    text = text_of(pdf)
    with db.sessions() as session:
        requests = session.scalars(select(GateRequest).where(GateRequest.case_id == story)).all()
        reference = requests[0].case.reference
    assert reference in text and "Mustard agent shells on a village" in text
    assert len(requests) == 6
    for request in requests:
        assert request.reason and request.reason in text
    assert text.count("approved by") >= 6 and "Requirements met." in text
    pages = pypdf.PdfReader(io.BytesIO(pdf)).pages
    for number, page in enumerate(pages, start=1):
        assert reference in page.extract_text() and f"page {number} of {len(pages)}" in page.extract_text()
        assert "UTC by sue" in page.extract_text()
    code, output = verify(capsys, tmp_path / "dossier.pdf", public_key)
    assert code == 0, output
    assert output.startswith(f"OK dossier of {reference} (case 4)")


@pytest.fixture
def filed_case(app, db, cast, make_case, move) -> dict:
    """A closed case with Arabic in its summary, two files, and one withdrawn item."""
    case_id = make_case(summary=ARABIC)
    kept = add_evidence_with_file(app, db, cast["ivy"], case_id)
    dropped = add_evidence_with_file(app, db, cast["ivy"], case_id)
    with db.transaction() as session:
        evidence.withdraw_evidence(session, cast["ivy"], case_id, expected_version=ANY_VERSION,
                                   evidence_id=dropped, reason="Duplicate of the report")
    move(case_id, "closed")
    with db.sessions() as session:
        hashes = [row.details["sha256"] for row in (
            type("E", (), {"details": json.loads(e.payload)["details"]})
            for e in session.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id,
                                                               AuditEvent.event_type == "evidence_added")))
            if "sha256" in row.details]
    return {"case_id": case_id, "hashes": hashes, "dropped": dropped}


def test_hashes_withdrawn_items_and_arabic_are_in_the_text(runner, filed_case, tmp_path):
    text = text_of(produce(runner, tmp_path, filed_case["case_id"]))
    for sha256 in filed_case["hashes"]:
        assert sha256 in text.replace(" ", "")
    assert "withdrawn" in text and "Duplicate of the report" in text
    assert ARABIC in text


@pytest.mark.parametrize("name, change", [
    ("audit-export.jsonl", "byte"), ("audit-export.jsonl", "line"), ("audit-export.jsonl", "both"),
    ("evidence-manifest.json", "byte"), ("dossier.json", "byte")])
def test_a_changed_attachment_fails_naming_it(runner, filed_case, tmp_path, public_key, capsys, name, change):
    pdf = produce(runner, tmp_path, filed_case["case_id"])
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    found = {key: values[0] for key, values in reader.attachments.items()}
    data = found[name]
    if change == "byte":
        position = data.index(b'"sha256"') + 12 if name == "evidence-manifest.json" else len(data) // 2
        data = data[:position] + bytes([data[position] ^ 0x01]) + data[position + 1:]
    else:
        lines = data.decode().splitlines(keepends=True)
        event = json.loads(lines[3])
        event["payload"] = event["payload"].replace('"case_id"', '"case_id" ', 1)
        lines[3] = json.dumps(event, ensure_ascii=False, separators=(",", ":")) + "\n"
        data = "".join(lines).encode()
    found[name] = data
    if change == "both":  # the description updated too: only the signed log can tell
        about = json.loads(found["dossier.json"])
        import hashlib
        about["attachments"][name] = hashlib.sha256(data).hexdigest()
        found["dossier.json"] = json.dumps(about).encode()
    writer = pypdf.PdfWriter()
    for page in reader.pages:
        writer.add_page(page)
    for key, value in found.items():
        writer.add_attachment(key, value)
    tampered = tmp_path / "tampered.pdf"
    with open(tampered, "wb") as out:
        writer.write(out)
    code, output = verify(capsys, tampered, public_key)
    assert code == 1
    assert name in output if change != "both" else "BROKEN at seq" in output, output


def test_the_bundle_holds_the_files_named_by_hash_and_verifies(runner, filed_case, tmp_path, public_key, capsys):
    data = produce(runner, tmp_path, filed_case["case_id"], "--with-files")
    with zipfile.ZipFile(io.BytesIO(data)) as bundle:
        names = set(bundle.namelist())
    assert {f"evidence/{h}" for h in filed_case["hashes"]} <= names and "SHA256SUMS" in names
    code, output = verify(capsys, tmp_path / "dossier.zip", public_key)
    assert code == 0 and "evidence files in the bundle match" in output, output
    broken = tmp_path / "broken.zip"
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(broken, "w") as target:
        for item in source.infolist():
            content = source.read(item)
            target.writestr(item, content + b"x" if item.filename.startswith("evidence/") else content)
    code, output = verify(capsys, broken, public_key)
    assert code == 1 and "BAD evidence/" in output


def test_verifier_runs_where_flask_and_sqlalchemy_cannot_be_imported(runner, story, tmp_path, public_key):
    produce(runner, tmp_path, story)
    blocked = tmp_path / "blocked"
    blocked.mkdir()
    for name in ("flask", "sqlalchemy", "werkzeug", "alembic", "models", "views", "weasyprint"):
        (blocked / f"{name}.py").write_text(f"raise ImportError('{name} is not available here')\n")
    env = {**os.environ, "PYTHONPATH": f"{blocked}{os.pathsep}{PROJECT_ROOT}"}
    result = subprocess.run([sys.executable, "-m", "workflow.dossier_verify", str(tmp_path / "dossier.pdf"),
                             "--public-key", public_key, "--extract", str(tmp_path / "out")],
                            capture_output=True, text=True, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("OK dossier of")
    result = subprocess.run([sys.executable, "-m", "workflow.audit_verify", str(tmp_path / "out" / "audit-export.jsonl"),
                             "--public-key", public_key, "--partial"], capture_output=True, text=True,
                            env=env, cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.startswith("OK (partial)"), result.stderr


# --- who may ---------------------------------------------------------------------------------

def sign_in(client, username):
    response = Auth(client, None).login(username, PASSWORD)
    assert response.status_code == 302


@pytest.mark.parametrize("username, status", [
    ("ivy", 200), ("ana", 200), ("leo", 200), ("sue", 200), ("aud", 200), ("out", 404), ("adm", 403)])
def test_who_may_produce_the_dossier(client, db, story, username, status):
    sign_in(client, username)
    with db.sessions() as session:
        before = session.scalars(select(AuditEvent.event_type).where(AuditEvent.case_id == story)).all()
    response = client.get(f"/cases/{story}/dossier.pdf")
    assert response.status_code == status
    with db.sessions() as session:
        after = session.scalars(select(AuditEvent).where(AuditEvent.case_id == story,
                                                         AuditEvent.seq > 0)).all()[len(before):]
    if status != 200:
        assert after == []
        return
    assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF")
    produced, sealed = after
    assert (produced.event_type, produced.actor_username) == ("dossier_produced", username)
    assert json.loads(produced.payload)["details"] == {"format": "pdf", "with_files": False}
    import hashlib
    assert json.loads(sealed.payload)["details"]["sha256"] == hashlib.sha256(response.data).hexdigest()


def test_the_printable_page_links_the_pdf_and_is_audited(client, db, story):
    sign_in(client, "sue")
    page = client.get(f"/cases/{story}").get_data(as_text=True)
    assert f'/cases/{story}/dossier"' in page
    html = client.get(f"/cases/{story}/dossier")
    assert html.status_code == 200 and "Evidence register" in html.get_data(as_text=True)
    assert "style=" not in html.get_data(as_text=True) and "<script" not in html.get_data(as_text=True)
    bundle = client.get(f"/cases/{story}/dossier.pdf?files=1")
    assert bundle.mimetype == "application/zip"
    bundle.close()
    with db.sessions() as session:
        details = [json.loads(e.payload)["details"] for e in session.scalars(
            select(AuditEvent).where(AuditEvent.event_type == "dossier_produced"))]
    assert details == [{"format": "html", "with_files": False}, {"format": "pdf", "with_files": True}]


@pytest.mark.postgres
def test_the_dossier_on_postgresql(runner, story, tmp_path, public_key, capsys):
    produce(runner, tmp_path, story)
    code, output = verify(capsys, tmp_path / "dossier.pdf", public_key)
    assert code == 0, output
