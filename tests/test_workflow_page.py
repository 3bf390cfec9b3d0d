"""The pathway page: drawn from the declaration in stage names people read, large, and, opened
from a case, with the stage the case stands in marked."""
from __future__ import annotations

from bs4 import BeautifulSoup

from workflow import diagram
from workflow.pathway import LABELS, PATHWAY


def test_the_diagram_names_the_stages_as_people_do_and_every_gate(client, auth, cast):
    auth.login("ivy")
    soup = BeautifulSoup(client.get("/workflow").get_data(as_text=True), "html.parser")
    source = soup.select_one('[data-testid="diagram"]').get_text()
    for stage, label in LABELS.items():
        assert f'state "{label}" as {stage}' in source
    for gate in PATHWAY.gates:
        assert f"{gate.source} --> {gate.target}:" in source
    assert "approve_gate" not in source and "legal_consequence\"" not in source
    assert "direction TB" in source  # drawn down the page, so it is drawn large
    assert " s_active\n" not in source  # no case, no stage marked


def test_opened_from_a_case_it_marks_the_case_stage(client, auth, db, cast, make_case, move):
    case_id = make_case()
    move(case_id, "attribution")
    auth.login("ivy")
    case_page = BeautifulSoup(client.get(f"/cases/{case_id}").get_data(as_text=True), "html.parser")
    url = case_page.find("a", string="Pathway")["href"]
    soup = BeautifulSoup(client.get(url).get_data(as_text=True), "html.parser")
    source = soup.select_one('[data-testid="diagram"]').get_text()
    assert "Class attribution s_active" in source and source.count(" s_active\n") == 1
    assert "stands in Attribution" in " ".join(soup.select_one('[data-testid="case-stage"]').get_text().split())
    assert source == diagram.mermaid_source("attribution")


def test_a_case_the_user_may_not_see_is_not_named(client, auth, cast, make_case):
    case_id = make_case()
    auth.login("out")
    assert client.get(f"/workflow?case={case_id}").status_code == 404
    assert client.get("/workflow?case=Douma").status_code == 400
    auth.logout()
    auth.login("adm")
    assert client.get(f"/workflow?case={case_id}").status_code == 404
    assert client.get("/workflow").status_code == 200


def test_in_arabic_the_diagram_names_the_stages_in_arabic(client, auth, db, cast, make_case, move):
    from flask_babel import force_locale
    from sqlalchemy import update

    from models.user import User
    from views.language import translated
    case_id = make_case()
    move(case_id, "attribution")
    with db.transaction() as session:
        session.execute(update(User).where(User.username == "ivy").values(locale="ar"))
    auth.login("ivy")
    case_page = BeautifulSoup(client.get(f"/cases/{case_id}").get_data(as_text=True), "html.parser")
    url = next(a["href"] for a in case_page.find_all("a", href=True) if a["href"].startswith("/workflow?case="))
    soup = BeautifulSoup(client.get(url).get_data(as_text=True), "html.parser")
    source = soup.select_one('[data-testid="diagram"]').get_text()
    assert 'state "التحقيق" as investigation' in source and "Investigation" not in source
    assert "evaluation --> legal_consequence: التصعيد" in source
    assert "Class attribution s_active" in source
    with client.application.test_request_context(), force_locale("ar"):
        assert source == diagram.mermaid_source("attribution", translated)
    assert 'state "Investigation" as investigation' in diagram.mermaid_source("attribution")  # English still
