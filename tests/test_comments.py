"""Notes on a case, an evidence item and a response: append-only in the database, corrected by
new notes, each an audit event; mentions only of people who may see the case."""
from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from models import AuditEvent, Comment, Notification
from webclient import post
from workflow import accounts, audit, comments
from workflow.errors import Conflict, Forbidden, Invalid, NotFound


def counts(db) -> tuple[int, int, int]:
    """Notes, audit events and notifications: what a refused note must leave as they were."""
    with db.sessions() as session:
        return tuple(session.scalar(select(func.count()).select_from(model))
                     for model in (Comment, AuditEvent, Notification))


def note(db, actor, case_id: int, body: str, **where) -> Comment:
    with db.transaction() as session:
        return comments.add_comment(session, actor, case_id, body=body, **where)


@pytest.mark.both_databases
def test_notes_are_append_only_in_the_database(db, cast, make_case):
    case_id = make_case()
    first = note(db, cast["ivy"], case_id, "The sample bag was torn.")
    for statement in (f"UPDATE comments SET body = 'nothing happened' WHERE id = {first.id}",
                      f"DELETE FROM comments WHERE id = {first.id}"):
        with db.engine.connect() as connection:
            with pytest.raises(DBAPIError, match="comments is append-only"):
                connection.execute(text(statement))
            connection.rollback()
    if db.is_postgresql:
        with db.engine.connect() as connection:
            with pytest.raises(DBAPIError, match="comments is append-only"):
                connection.execute(text("TRUNCATE comments"))
            connection.rollback()
    with db.sessions() as session:
        assert session.get(Comment, first.id).body == "The sample bag was torn."


@pytest.mark.both_databases
def test_a_correction_is_a_new_note_pointing_at_the_old_one(db, cast, make_case):
    case_id = make_case()
    first = note(db, cast["ivy"], case_id, "Seal S-001 was intact.")
    second = note(db, cast["ivy"], case_id, "Seal S-002 (not S-001) was intact.",
                  corrects_id=first.id)
    with db.sessions() as session:
        thread = comments.notes_on(session, case_id)
        assert [(c.id, c.body, c.corrects_id) for c in thread] == [
            (first.id, "Seal S-001 was intact.", None),
            (second.id, "Seal S-002 (not S-001) was intact.", first.id)]
        events = session.scalars(select(AuditEvent).where(AuditEvent.event_type == "comment_added")
                                 .order_by(AuditEvent.seq)).all()
    assert [(e.entity_id, e.actor_username) for e in events] == [(str(first.id), "ivy"),
                                                                 (str(second.id), "ivy")]
    assert '"corrects":%d' % first.id in events[1].payload
    assert '"body":"Seal S-002 (not S-001) was intact."' in events[1].payload
    # Only its author corrects a note; a note of another record is not corrected from here.
    with pytest.raises(Forbidden, match="Only its author"):
        note(db, cast["ana"], case_id, "No, S-003.", corrects_id=first.id)
    with pytest.raises(NotFound):
        note(db, cast["ivy"], case_id, "x", subject="evidence", subject_id=10_000,
             corrects_id=first.id)


def test_mentions_of_people_who_may_not_see_the_case_are_refused_with_the_reason(
        db, cast, make_case, make_user):
    case_id = make_case()
    make_user("gone", "investigator")
    with db.transaction() as session:
        accounts.set_active(session, audit.SYSTEM, accounts.find_user(session, "gone"), False)
    before = counts(db)
    with pytest.raises(Invalid) as refused:
        note(db, cast["ivy"], case_id, "@out and @gone and @nobody, and @ana: look at this")
    message = str(refused.value)
    assert refused.value.field == "body"
    assert ("@out may not see case" in message and "a supervisor can add them on Team first"
            in message)
    assert "@gone is not an active account." in message and "@nobody is no user here." in message
    assert "@ana" not in message  # on the team: no reason against her
    assert counts(db) == before  # nothing written, nobody told
    # Supervisors see every case; an email address names nobody.
    note(db, cast["ivy"], case_id, "@sue please look; write to ivy@example.org")
    with db.sessions() as session:
        told = session.scalars(select(Notification.user_id).where(
            Notification.kind == "mentioned")).all()
    assert told == [cast["sue"].id]


def test_notes_on_evidence_and_responses_belong_to_the_case(db, cast, full_case, make_case):
    other = make_case()
    note(db, cast["leo"], full_case["case_id"], "The listing is due.", subject="response",
         subject_id=full_case["response_id"])
    with pytest.raises(NotFound):  # the item of another case
        note(db, cast["ivy"], other, "Mine?", subject="evidence",
             subject_id=full_case["evidence_id"])
    with pytest.raises(NotFound):
        note(db, cast["ivy"], full_case["case_id"], "Which?", subject="evidence")
    with pytest.raises(Invalid):
        note(db, cast["ivy"], full_case["case_id"], "Where?", subject="finding", subject_id=1)
    with pytest.raises(Invalid, match="body: required"):
        note(db, cast["ivy"], full_case["case_id"], "   ")


def test_who_may_write_notes(db, cast, make_case, move):
    case_id = make_case()
    with pytest.raises(Forbidden):  # auditors read, never write
        note(db, cast["aud"], case_id, "Noted.")
    with pytest.raises(NotFound):  # off the team: no such case
        note(db, cast["out"], case_id, "Hello?")
    note(db, cast["sue"], case_id, "Supervisors see every case, and may write on it.")
    move(case_id, "closed")
    with pytest.raises(Conflict, match="is closed"):
        note(db, cast["ivy"], case_id, "One more thing.")


# --- in the pages ---------------------------------------------------------------------------

def page(client, url: str) -> BeautifulSoup:
    response = client.get(url)
    assert response.status_code == 200, url
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def test_writing_and_correcting_a_note_in_the_pages(client, auth, db, cast, full_case):
    case_id, item_id = full_case["case_id"], full_case["evidence_id"]
    assert auth.login("ivy").status_code == 302
    response = post(client, f"/cases/{case_id}/comments",
                    {"body": "Photo 3 shows the seal. @leo", "subject": "evidence",
                     "subject_id": item_id})
    assert response.status_code == 302
    assert f"/cases/{case_id}/evidence/{item_id}#comment-" in response.headers["Location"]
    soup = page(client, f"/cases/{case_id}/evidence/{item_id}")
    thread = soup.select_one('[data-testid="comments"]')
    assert "Photo 3 shows the seal. @leo" in thread.get_text()
    first = int(thread.select_one("[data-comment]")["data-comment"])
    post(client, f"/cases/{case_id}/comments", {"body": "Photo 4, not 3.", "subject": "evidence",
                                                "subject_id": item_id, "corrects": first})
    thread = page(client, f"/cases/{case_id}/evidence/{item_id}").select_one('[data-testid="comments"]')
    said = " ".join(thread.get_text(" ").split())
    assert f"corrected by #{first + 1}" in said and f"corrects #{first}" in said
    # On the case page: a refused mention keeps the text and says why, beside the field.
    response = post(client, f"/cases/{case_id}/comments", {"body": "@out come and see"})
    assert response.status_code == 422
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    thread = soup.select_one('[data-testid="comments"]')
    assert "@out may not see case" in thread.select_one('[data-testid="comment-error"]').get_text()
    assert thread.select_one("textarea#comment-body-case").get_text().strip() == "@out come and see"
    # The browser shows the refused page at the form: the address it was sent to says where.
    assert thread.select_one("form#add-note")["action"] == f"/cases/{case_id}/comments#add-note"
    # The auditor reads the notes, has no form, and is not told why (the role never writes).
    auth.logout()
    assert auth.login("aud").status_code == 302
    thread = page(client, f"/cases/{case_id}/evidence/{item_id}").select_one('[data-testid="comments"]')
    assert "Photo 4, not 3." in thread.get_text() and not thread.select("form")
    assert post(client, f"/cases/{case_id}/comments", {"body": "x"}).status_code == 403
    with db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Comment)) == 2
