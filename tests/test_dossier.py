"""The case dossier: what its PDF says, that its attachments verify offline, who may produce it."""
from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from datetime import datetime, timedelta

import pypdf
import pytest
from sqlalchemy import func, select
from webclient import PASSWORD, Auth

from config import PROJECT_ROOT
from conftest import add_evidence_with_file
from models.audit import AuditEvent
from models.gate_request import GateRequest
from models.task import Task
from workflow import demo, dossier, evidence
from workflow.command import ANY_VERSION
from workflow.dossier_verify import main as verify_dossier

ARABIC = "هجوم بغاز الكلور على حي سكني"
ARABIC_HOLDER = "فريق التحقيق الميداني"


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


def shown(user) -> str:
    """How the dossier names a user."""
    return f"{user.full_name} ({user.username})" if user.full_name else user.username


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
        assert f"{request.decision} by {shown(request.decided_by)}" in text
    assert "Requirements met." in text
    pages = pypdf.PdfReader(io.BytesIO(pdf)).pages
    for number, page in enumerate(pages, start=1):
        assert reference in page.extract_text() and f"page {number} of {len(pages)}" in page.extract_text()
        assert "UTC by sue" in page.extract_text()
    code, output = verify(capsys, tmp_path / "dossier.pdf", public_key)
    assert code == 0, output
    assert output.startswith(f"OK dossier of {reference} (case 4)")
    with db.sessions() as session:
        produced, sealed = [json.loads(e.payload) for e in session.scalars(
            select(AuditEvent).where(AuditEvent.case_id == story).order_by(AuditEvent.seq.desc()).limit(2))][::-1]
    assert (produced["event_type"], produced["actor_username"]) == ("dossier_produced", "sue")
    assert sealed["event_type"] == "dossier_sealed"
    assert sealed["details"]["sha256"] == hashlib.sha256(pdf).hexdigest()


def test_the_work_of_each_stage_is_in_the_dossier(db, runner, story, tmp_path):
    text = text_of(produce(runner, tmp_path, story))
    with db.sessions() as session:
        tasks = session.scalars(select(Task).where(Task.case_id == story)).all()
        done = [(t.title, shown(t.completed_by)) for t in tasks if t.status == "done"]
    assert done and "Work at each stage (tasks)" in text
    for title, who in done:
        assert title in text and f"done by {who}" in text


def pdf_name(value) -> str:
    return str(value).lstrip("/")


def test_the_pdf_has_the_structure_pdfa3b_requires(runner, story, tmp_path):
    """What veraPDF would check first, read with pypdf: identification, output intent, embedded
    fonts, and attachments associated with the document."""
    pdf = produce(runner, tmp_path, story)
    header, comment = pdf.split(b"\n")[:2]
    assert header.startswith(b"%PDF-1.") and comment.startswith(b"%") and all(b > 127 for b in comment[1:5])
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert "/Encrypt" not in reader.trailer and len(reader.trailer["/ID"]) == 2
    catalog = reader.trailer["/Root"]
    assert "/JavaScript" not in catalog["/Names"] and "/AA" not in catalog and "/OpenAction" not in catalog

    xmp = ET.fromstring(catalog["/Metadata"].get_object().get_data())
    pdfaid, rdf = "{http://www.aiim.org/pdfa/ns/id/}", "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
    described = {}
    for description in xmp.iter(f"{rdf}Description"):
        described.update(description.attrib)
        described.update({child.tag: child for child in description})
    assert (described[f"{pdfaid}part"], described[f"{pdfaid}conformance"]) == ("3", "B")
    title = described["{http://purl.org/dc/elements/1.1/}title"].find(f".//{rdf}li").text
    assert title == reader.trailer["/Info"]["/Title"] and "CW-" in title  # the Info dictionary agrees with XMP

    intents = [intent.get_object() for intent in catalog["/OutputIntents"]]
    assert [pdf_name(intent["/S"]) for intent in intents] == ["GTS_PDFA1"]
    profile = intents[0]["/DestOutputProfile"].get_object().get_data()
    assert profile[36:40] == b"acsp" and profile[16:20] == b"RGB "  # an ICC profile of an RGB space

    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            fonts[font["/BaseFont"]] = font
    assert any("DejaVu" in name for name in fonts)
    for name, font in fonts.items():
        assert "/ToUnicode" in font, name  # so that the text can be extracted
        for descendant in font.get("/DescendantFonts", [font]):
            descendant = descendant.get_object()
            descriptor = descendant["/FontDescriptor"].get_object()
            assert {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor), f"{name} is not embedded"
            if descendant["/Subtype"] == "/CIDFontType2":
                assert "/CIDToGIDMap" in descendant, name

    associated = {reference.idnum for reference in catalog.raw_get("/AF")}
    names = catalog["/Names"]["/EmbeddedFiles"]["/Names"]
    relationships = {}
    for name, reference in zip(names[::2], names[1::2]):
        assert reference.idnum in associated, f"{name} is not associated with the document (/AF)"
        spec = reference.get_object()
        assert spec["/F"] == spec["/UF"] == name and spec["/Desc"]
        stream = spec["/EF"]["/F"].get_object()
        assert "/" in pdf_name(stream["/Subtype"]) and "/ModDate" in stream["/Params"]  # a MIME type
        relationships[name] = pdf_name(spec["/AFRelationship"])
    assert relationships == {"audit-export.jsonl": "Source", "evidence-manifest.json": "Data",
                             "dossier.json": "Data"}


@pytest.fixture
def filed_case(app, db, cast, make_case, move) -> dict:
    """A closed case with Arabic in its summary, two files, and one withdrawn item."""
    case_id = make_case(summary=ARABIC)
    kept = add_evidence_with_file(app, db, cast["ivy"], case_id)
    dropped = add_evidence_with_file(app, db, cast["ivy"], case_id)
    with db.transaction() as session:
        evidence.withdraw_evidence(session, cast["ivy"], case_id, expected_version=ANY_VERSION,
                                   evidence_id=dropped, reason="Duplicate of the report")
    with db.transaction() as session:
        evidence.add_custody_event(session, cast["ivy"], case_id, expected_version=ANY_VERSION,
                                   evidence_id=kept, action="collected", at=datetime(2024, 5, 1, 9, 30),
                                   to_holder=ARABIC_HOLDER, note="sealed bag")
    move(case_id, "closed")
    with db.sessions() as session:
        hashes = [row.details["sha256"] for row in (
            type("E", (), {"details": json.loads(e.payload)["details"]})
            for e in session.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id,
                                                               AuditEvent.event_type == "evidence_added")))
            if "sha256" in row.details]
    return {"case_id": case_id, "hashes": hashes, "dropped": dropped}


@pytest.fixture
def long_case(db, cast, make_case) -> int:
    """A case whose evidence register and audit events run over several pages."""
    case_id = make_case()
    start = datetime(2024, 5, 1)
    with db.transaction() as session:
        for n in range(45):
            item = evidence.add_evidence(session, cast["ivy"], case_id, expected_version=ANY_VERSION,
                                         kind="witness_interview", title=f"Interview {n}", source="field team",
                                         description="Statement of a witness. " * 4)
            for step in range(3):
                evidence.add_custody_event(
                    session, cast["ivy"], case_id, expected_version=ANY_VERSION, evidence_id=item.id,
                    action="collected" if step == 0 else "transferred", at=start + timedelta(hours=n * 3 + step),
                    from_holder="" if step == 0 else f"holder {step}", to_holder=f"holder {step + 1}")
    return case_id


def test_long_tables_repeat_their_heads_on_every_page(runner, long_case, tmp_path):
    pages = [" ".join(page.extract_text().split())
             for page in pypdf.PdfReader(io.BytesIO(produce(runner, tmp_path, long_case))).pages]
    register = [text for text in pages if "witness interview · field team" in text]
    listing = [text for text in pages if "custody_recorded" in text]
    assert len(register) > 1 and len(listing) > 1
    assert all("# Item: title, description; kind · source · grade File Added Status" in text for text in register)
    assert all(" ".join(dossier.LISTING_HEAD.split()) in text for text in listing)
    assert all(f"page {number} of {len(pages)}" in text for number, text in enumerate(pages, start=1))


def test_a_case_too_large_for_a_web_request_is_refused_with_the_command(client, db, story, monkeypatch):
    sign_in(client, "leo")
    with db.sessions() as session:
        rows = dossier.printed_rows(session, story)
        before = session.scalar(select(func.count()).select_from(AuditEvent))
    monkeypatch.setattr(dossier, "WEB_MAX_ROWS", rows - 1)
    response = client.get(f"/cases/{story}/dossier.pdf")
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "Traceback" not in page
    assert f"prints {rows:,} rows" in page and f"flask --app app cases dossier {story} --output FILE --as leo" in page
    with db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == before  # nothing produced
    monkeypatch.setattr(dossier, "WEB_MAX_ROWS", rows)
    assert client.get(f"/cases/{story}/dossier.pdf").status_code == 200
    assert client.get(f"/cases/{story}/dossier").status_code == 200  # the printable page has no limit


def test_hashes_withdrawn_items_and_arabic_are_in_the_text(runner, filed_case, tmp_path):
    text = text_of(produce(runner, tmp_path, filed_case["case_id"]))
    for sha256 in filed_case["hashes"]:
        assert sha256 in text.replace(" ", "")
    assert "withdrawn" in text and "Duplicate of the report" in text
    assert ARABIC in text and ARABIC_HOLDER in text


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


def test_a_copy_verifies_with_the_workflow_folder_alone(runner, story, tmp_path, public_key):
    """As the appendix says: the PDF, the public key and Restraint's workflow folder, no database
    and none of the application's other packages."""
    produce(runner, tmp_path, story)
    recipient = tmp_path / "recipient"
    shutil.copytree(PROJECT_ROOT / "workflow", recipient / "workflow", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(tmp_path / "dossier.pdf", recipient / "copy.pdf")
    shutil.copy(public_key, recipient / "audit-signing.pub.pem")
    blocked = tmp_path / "blocked"
    blocked.mkdir()
    for name in ("flask", "sqlalchemy", "werkzeug", "alembic", "psycopg", "models", "views", "weasyprint",
                 "config", "app"):
        (blocked / f"{name}.py").write_text(f"raise ImportError('{name} is not available here')\n")
    env = {key: value for key, value in os.environ.items() if not key.endswith("DATABASE_URL")}
    env["PYTHONPATH"] = str(blocked)
    result = subprocess.run([sys.executable, "-m", "workflow.dossier_verify", "copy.pdf",
                             "--public-key", "audit-signing.pub.pem", "--extract", "out"],
                            capture_output=True, text=True, env=env, cwd=recipient)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("OK dossier of")
    result = subprocess.run([sys.executable, "-m", "workflow.audit_verify", "out/audit-export.jsonl",
                             "--public-key", "audit-signing.pub.pem", "--partial"], capture_output=True,
                            text=True, env=env, cwd=recipient)
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
