"""Notes on a case, an evidence item or a response: the threads the pages show, and writing one."""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, url_for
from flask_babel import gettext as _, ngettext
from flask_login import current_user

from views import db
from views.access import current_actor
from views.case_forms import CommentForm
from views.cases import case_page, load_case_for
from views.commands import Page, run
from views.language import listed
from views.evidence import detail_page
from views.menu import response_page
from workflow import comments, permissions

blueprint = Blueprint("comments", __name__, url_prefix="/cases/<int:case_id>")


@blueprint.app_context_processor
def comment_threads():
    """`comment_thread(case, subject, subject_id)`: the notes on a record, the form to add one
    (the one just posted, if it was refused) and whether this user may (else why not)."""
    def comment_thread(case, subject: str = "case", subject_id: int | None = None) -> dict:
        notes = comments.notes_on(db.session(), case.id, subject, subject_id)
        posted = g.get("posted_comment")
        if posted is None or (posted.subject.data, posted.subject_number()) != (subject, subject_id):
            posted = None
        answer = permissions.can_comment(current_user, case)
        return {"notes": notes,
                "corrected_by": {note.corrects_id: note for note in notes if note.corrects_id},
                "form": posted or CommentForm(formdata=None, subject=subject,
                                              subject_id="" if subject_id is None else subject_id),
                "answer": permissions.for_page(current_user, {"comment": answer})["comment"],
                "subject": subject, "subject_id": subject_id}
    return {"comment_thread": comment_thread}


def _subject_page(case_id: int, subject: str, subject_id: int | None) -> Page:
    """The page of the record noted on (a refusal at its top, or beside the note's field)."""
    if subject == "evidence" and subject_id is not None:
        return detail_page(case_id, subject_id)
    if subject == "response" and subject_id is not None:
        return response_page(case_id, subject_id)
    return case_page(case_id)


def _subject_url(case_id: int, subject: str, subject_id: int | None, anchor: str) -> str:
    if subject == "evidence":
        return url_for("evidence.detail", case_id=case_id, evidence_id=subject_id, _anchor=anchor)
    if subject == "response":
        return url_for("menu.response", case_id=case_id, response_id=subject_id, _anchor=anchor)
    return url_for("cases.detail", case_id=case_id, _anchor=anchor)


@blueprint.route("/comments", methods=["POST"])
def add(case_id: int):
    """Write a note (or a correction of one's own); the people it @mentions are told."""
    load_case_for(case_id, permissions.COMMENT)
    form = CommentForm()
    subject, subject_id = form.subject.data, form.subject_number()
    g.posted_comment = form
    outcome = run(form, lambda write: comments.add_comment(
        write, current_actor(), case_id, body=form.body.data, subject=subject,
        subject_id=subject_id, corrects_id=form.corrects_number()).id,
        _subject_page(case_id, subject, subject_id))
    if outcome.refused:
        return outcome.page
    told = [f"@{name}" for name in comments.mentioned(form.body.data) if name != current_user.username]
    if told:
        flash(ngettext("Note added; %(names)s is told.", "Note added; %(names)s are told.", len(told),
                       names=listed(told)), "success")
    else:
        flash(_("Note added."), "success")
    return redirect(_subject_url(case_id, subject, subject_id, f"comment-{outcome.value}"))
