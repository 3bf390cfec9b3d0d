"""Evidence files stored by content: names, types, hashes, sizes, failures, duplicates, fixity."""
from __future__ import annotations

import hashlib
import io
import os
import stat

import pytest
from sqlalchemy import func, select
from webclient import post

from models.audit import AuditEvent
from models.evidence import EvidenceItem, StoredObject
from workflow.evidence_store import EvidenceStore, clean_filename

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def files_under(root) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def counts(db) -> tuple[int, int, int]:
    with db.sessions() as session:
        return tuple(session.scalar(select(func.count()).select_from(model))
                     for model in (EvidenceItem, StoredObject, AuditEvent))


@pytest.fixture
def evidence_dir(app, tmp_path):
    return tmp_path / "evidence"


@pytest.fixture
def upload(client, auth, cast, make_case):
    """POST the add-evidence form of a case as ivy; returns the response."""
    auth.login("ivy")

    def send(case_id: int, content: bytes, filename: str, content_type: str = "application/octet-stream",
             **fields):
        version = fields.pop("version", None) or case_version(client, case_id)
        data = {"kind": "document", "title": "Report", "source_grade": "B",
                "information_grade": "2", "version": version, **fields,
                "file": (io.BytesIO(content), filename, content_type)}
        return post(client, f"/cases/{case_id}/evidence/new", data,
                    content_type="multipart/form-data")
    return send


def case_version(client, case_id: int) -> str:
    import re
    page = client.get(f"/cases/{case_id}/evidence/new").get_data(as_text=True)
    return re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)


@pytest.mark.parametrize("name, shown", [
    ("../../etc/passwd", "passwd"), ("..\\..\\boot.ini", "boot.ini"), ("a\x00b\x07c.txt", "abc.txt"),
    ("x" * 400 + ".pdf", "x" * 255), ("تقرير الطبيب.pdf", "تقرير الطبيب.pdf"), ("..", "unnamed"),
    ("", "unnamed"), ("e\u0301t\u00e9.jpg", "\u00e9t\u00e9.jpg"),
])
def test_hostile_file_names_are_only_metadata(name, shown):
    assert clean_filename(name) == shown


def test_upload_stores_by_hash_read_only_and_keeps_the_name_as_metadata(upload, make_case, db, evidence_dir):
    case_id = make_case()
    response = upload(case_id, PNG, "../../../tmp/evil name.png", "image/png")
    assert response.status_code == 302
    sha = hashlib.sha256(PNG).hexdigest()
    assert files_under(evidence_dir) == [f"objects/{sha[:2]}/{sha}"]
    path = evidence_dir / "objects" / sha[:2] / sha
    assert path.read_bytes() == PNG and not path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    with db.sessions() as session:
        item = session.scalar(select(EvidenceItem))
        assert (item.sha256, item.original_filename, item.claimed_type) == (sha, "evil name.png", "image/png")
        assert item.stored.detected_type == "image/png" and item.stored.size == len(PNG)


def test_spoofed_type_is_recorded_as_what_it_is_and_served_as_an_attachment(upload, client, make_case, db):
    case_id = make_case()
    html = b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>"
    assert upload(case_id, html, "photo.png", "image/png").status_code == 302
    with db.sessions() as session:
        item = session.scalar(select(EvidenceItem))
        assert (item.claimed_type, item.stored.detected_type) == ("image/png", "text/html")
    page = client.get(f"/cases/{case_id}/evidence/{item.id}").get_data(as_text=True)
    assert "detected text/html, claimed image/png" in page
    with client.get(f"/cases/{case_id}/evidence/{item.id}/download") as response:
        assert response.status_code == 200 and response.data == html
        assert response.headers["Content-Type"] == "application/octet-stream"
        assert response.headers["Content-Disposition"].startswith("attachment;")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Content-SHA256"] == hashlib.sha256(html).hexdigest()
    with db.sessions() as session:
        download = session.scalar(select(AuditEvent).where(AuditEvent.event_type == "evidence_downloaded"))
        assert download.actor_username == "ivy" and download.entity_id == str(item.id)


def test_oversize_upload_is_413_and_leaves_nothing(app, upload, make_case, db, evidence_dir):
    case_id = make_case()
    before = counts(db)
    app.config["MAX_CONTENT_LENGTH"] = 10_000
    response = upload(case_id, b"x" * 20_000, "big.bin", version="3")
    assert response.status_code == 413
    assert counts(db) == before
    assert not evidence_dir.exists() or files_under(evidence_dir) == []


def test_declared_hash_mismatch_is_422_and_stores_nothing(upload, make_case, db, evidence_dir):
    case_id = make_case()
    before = counts(db)
    response = upload(case_id, PNG, "a.png", declared_sha256="0" * 64)
    assert response.status_code == 422
    assert "does not match the file" in response.get_data(as_text=True)
    assert counts(db) == before and files_under(evidence_dir) == []
    good = upload(case_id, PNG, "a.png", declared_sha256=hashlib.sha256(PNG).hexdigest().upper())
    assert good.status_code == 302


def test_an_upload_refused_by_the_command_leaves_no_file(upload, make_case, db, evidence_dir):
    case_id = make_case()
    before = counts(db)
    response = upload(case_id, PNG, "a.png", version="1")  # the case is at version 3
    assert response.status_code == 409
    assert counts(db) == before and files_under(evidence_dir) == []


class BreaksMidway(io.RawIOBase):
    """A stream that fails after its first chunk, like a dropped connection."""

    def __init__(self):
        self.sent = False

    def read(self, size=-1):
        if self.sent:
            raise OSError("connection reset")
        self.sent = True
        return b"partial" * 1000


def test_upload_failing_midway_leaves_no_partial_object(tmp_path):
    store = EvidenceStore(tmp_path)
    with pytest.raises(OSError, match="connection reset"):
        store.put(BreaksMidway())
    assert files_under(tmp_path) == []


def test_same_bytes_in_two_cases_is_one_object_and_two_records(upload, make_case, db, evidence_dir):
    first, second = make_case(), make_case()
    assert upload(first, PNG, "a.png").status_code == 302
    assert upload(second, PNG, "b.png").status_code == 302
    assert len(files_under(evidence_dir)) == 1
    with db.sessions() as session:
        items = session.scalars(select(EvidenceItem).order_by(EvidenceItem.id)).all()
        assert [(i.case_id, i.sha256) for i in items] == [(first, items[0].sha256), (second, items[0].sha256)]
        assert session.scalar(select(func.count()).select_from(StoredObject)) == 1


def test_existing_object_is_never_overwritten(tmp_path):
    store = EvidenceStore(tmp_path)
    first = store.put(io.BytesIO(PNG))
    assert first.created
    again = store.put(io.BytesIO(PNG))
    assert not again.created and files_under(tmp_path) == [f"objects/{first.sha256[:2]}/{first.sha256}"]


def test_declared_hash_must_be_hex(upload, make_case):
    response = upload(make_case(), PNG, "a.png", declared_sha256="not-a-hash")
    assert response.status_code == 422 and "64 hexadecimal characters" in response.get_data(as_text=True)


def test_a_declared_hash_without_its_file_is_refused_not_dropped(client, upload, make_case, db):
    case_id = make_case()
    before = counts(db)
    data = {"kind": "document", "title": "Report", "source_grade": "B", "information_grade": "2",
            "version": case_version(client, case_id), "declared_sha256": "ab" * 32}
    response = post(client, f"/cases/{case_id}/evidence/new", data)
    assert response.status_code == 422
    assert "declared SHA-256: attach the file it describes" in response.get_data(as_text=True)
    assert counts(db) == before


# --- fixity -------------------------------------------------------------------------------

def test_fixity_passes_then_catches_a_flipped_byte_and_a_missing_file(upload, make_case, runner, db,
                                                                      evidence_dir):
    case_id = make_case()
    upload(case_id, PNG, "a.png")
    upload(case_id, b"witness statement", "w.txt")
    result = runner.invoke(args=["evidence", "fixity"])
    assert result.exit_code == 0 and result.output.strip() == "OK 2 objects intact"
    with db.sessions() as session:
        items = {i.original_filename: i for i in session.scalars(select(EvidenceItem))}
    png = evidence_dir / "objects" / items["a.png"].sha256[:2] / items["a.png"].sha256
    os.chmod(png, 0o644)
    data = bytearray(png.read_bytes())
    data[100] ^= 0x01
    png.write_bytes(bytes(data))
    (evidence_dir / "objects" / items["w.txt"].sha256[:2] / items["w.txt"].sha256).unlink()
    result = runner.invoke(args=["evidence", "fixity"])
    assert result.exit_code == 1
    assert f"evidence {items['a.png'].id} (case {case_id}): {items['a.png'].sha256} changed" in result.output
    assert f"evidence {items['w.txt'].id} (case {case_id}): {items['w.txt'].sha256} missing" in result.output
    with db.sessions() as session:
        failures = session.scalars(select(AuditEvent.entity_id).where(
            AuditEvent.event_type == "integrity_failure").order_by(AuditEvent.seq)).all()
    assert sorted(failures) == sorted([str(items["a.png"].id), str(items["w.txt"].id)])


@pytest.mark.both_databases
def test_the_same_bytes_sent_to_two_cases_at_once_are_one_object(app, db, cast, make_case, evidence_dir):
    from test_pathway_concurrency import race

    from workflow import evidence
    from workflow.command import ANY_VERSION
    first, second = make_case(), make_case()
    store = EvidenceStore(app.config["EVIDENCE_DIR"])
    received = [store.receive(io.BytesIO(PNG)) for _ in range(2)]
    outcomes = race(db, *(lambda session, case_id=case_id, stored=stored: evidence.add_evidence(
        session, cast["ivy"], case_id, expected_version=ANY_VERSION, kind="document", title="Same",
        stored=stored) for case_id, stored in zip((first, second), received)))
    assert outcomes == ["ok", "ok"]
    with db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(StoredObject)) == 1
        assert session.scalar(select(func.count()).select_from(EvidenceItem)) == 2
    assert files_under(evidence_dir) == [f"objects/{hashlib.sha256(PNG).hexdigest()[:2]}/"
                                         f"{hashlib.sha256(PNG).hexdigest()}"]
