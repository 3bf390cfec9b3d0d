"""Evidence previews: real images and PDFs shown in the page from the stored bytes, sandboxed;
anything else (whatever its name and claimed type) stays a download; each preview audited."""
from __future__ import annotations

import io

import pytest
from bs4 import BeautifulSoup
from PIL import Image
from sqlalchemy import select
from weasyprint import HTML
from webclient import PASSWORD

from models.audit import AuditEvent
from workflow import evidence
from workflow.command import ANY_VERSION
from workflow.evidence_store import EvidenceStore


def png() -> bytes:
    image, out = Image.new("RGB", (120, 60), (200, 30, 30)), io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def image(kind: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 40), (30, 30, 200)).save(out, kind)
    return out.getvalue()


def pdf() -> bytes:
    return HTML(string="<h1>Hospital admissions, 4 April 2017</h1>").write_pdf()


HTML_AS_PNG = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


@pytest.fixture
def add_file(app, db, cast, make_case):
    """Store bytes as an evidence item's file, under a name and a claimed type; the item's id."""
    case_id = make_case()

    def add(content: bytes, filename: str, claimed: str) -> tuple[int, int]:
        stored = EvidenceStore(app.config["EVIDENCE_DIR"]).put(io.BytesIO(content))
        with db.transaction() as session:
            item = evidence.add_evidence(session, cast["ivy"], case_id, expected_version=ANY_VERSION,
                                         kind="document", title=filename, stored=stored,
                                         original_filename=filename, claimed_type=claimed)
            return case_id, item.id
    return add


def previews_of(db, item_id: int) -> int:
    with db.sessions() as session:
        return len(session.scalars(select(AuditEvent).where(
            AuditEvent.event_type == "evidence_previewed", AuditEvent.entity_id == str(item_id))).all())


def frame(client, case_id: int, item_id: int):
    page = client.get(f"/cases/{case_id}/evidence/{item_id}").get_data(as_text=True)
    return BeautifulSoup(page, "html.parser").select_one('[data-testid="preview"] iframe')


@pytest.mark.parametrize("content, name, detected, attribute", [
    (png(), "photo.png", "image/png", True),
    (image("JPEG"), "photo.jpg", "image/jpeg", True),
    (image("WEBP"), "photo.webp", "image/webp", True),
    (pdf(), "admissions.pdf", "application/pdf", False),
])
def test_images_and_pdfs_are_shown_in_a_sandboxed_frame_and_audited(
        client, auth, db, add_file, content, name, detected, attribute):
    case_id, item_id = add_file(content, name, "application/octet-stream")
    auth.login("ivy")
    shown = frame(client, case_id, item_id)
    url = f"/cases/{case_id}/evidence/{item_id}/preview"
    assert shown["src"] == url
    # Chromium shows no PDF in a frame with the attribute: the response sandboxes it instead.
    assert shown.has_attr("sandbox") == attribute and not shown.get("sandbox")  # no allow-… at all
    assert previews_of(db, item_id) == 0  # the page alone is not a viewing
    response = client.get(url)
    body = response.get_data()
    response.close()
    assert response.status_code == 200 and body == content
    assert response.mimetype == detected and response.headers["Content-Disposition"] == "inline"
    csp = [part.strip() for part in response.headers["Content-Security-Policy"].split(";")]
    assert "sandbox" in csp and "default-src 'none'" in csp and "script-src 'none'" in csp
    assert "frame-ancestors 'self'" in csp and response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store" and "Accept-Ranges" not in response.headers
    assert previews_of(db, item_id) == 1


@pytest.mark.parametrize("content, name, claimed", [
    (HTML_AS_PNG, "photo.png", "image/png"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "map.png", "image/png"),
    (b"Witness statement, plain text.", "statement.pdf", "application/pdf"),
])
def test_a_file_whose_bytes_are_not_an_image_or_pdf_is_never_previewed(
        client, auth, db, add_file, content, name, claimed):
    case_id, item_id = add_file(content, name, claimed)
    auth.login("ivy")
    assert frame(client, case_id, item_id) is None
    response = client.get(f"/cases/{case_id}/evidence/{item_id}/preview")
    assert response.status_code == 404 and b"download it instead" in response.data
    assert content not in response.data and previews_of(db, item_id) == 0
    download = client.get(f"/cases/{case_id}/evidence/{item_id}/download")
    download.close()
    assert download.mimetype == "application/octet-stream" and "attachment" in download.headers[
        "Content-Disposition"]


def test_previews_keep_need_to_know(client, auth, db, add_file):
    case_id, item_id = add_file(png(), "photo.png", "image/png")
    auth.login("out")  # on no team of the case
    assert client.get(f"/cases/{case_id}/evidence/{item_id}/preview").status_code == 404
    assert previews_of(db, item_id) == 0


@pytest.mark.browser
def test_the_browser_shows_the_image_and_the_pdf_in_the_page(new_context, db, add_file):
    _case_id, image_id = add_file(png(), "photo.png", "image/png")
    case_id, pdf_id = add_file(pdf(), "admissions.pdf", "application/pdf")
    page = new_context().new_page()
    page.goto("/login")
    page.get_by_label("Username").fill("ivy")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")
    page.goto(f"/cases/{case_id}/evidence/{image_id}")
    image_frame = page.frame_locator('[data-testid="preview"] iframe')
    assert image_frame.locator("img").evaluate("img => img.complete && img.naturalWidth") == 120
    page.goto(f"/cases/{case_id}/evidence/{pdf_id}")
    page.locator('[data-testid="preview"] iframe').wait_for()
    for _ in range(50):  # the PDF viewer is a frame of its own inside the preview's
        if any(frame.url.startswith("chrome-extension://") for frame in page.frames):
            break
        page.wait_for_timeout(100)
    assert any(frame.url.startswith("chrome-extension://") for frame in page.frames), [
        frame.url for frame in page.frames]
    assert previews_of(db, image_id) == 1 and previews_of(db, pdf_id) == 1
