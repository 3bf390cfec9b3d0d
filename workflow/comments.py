"""Notes on a case, an evidence item or a response, with @mentions.

A note is never changed or removed (the database refuses it): a correction is a new note that
points at the one it corrects. Notes change none of the case's records, so they neither need
nor move the case's version (talk goes on while the case is under review); each is an audit
event, whose mentions tell the people named (workflow/notifications.py).
"""
from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from models.comment import Comment
from models.evidence import EvidenceItem
from models.response import Response
from models.user import User
from vocabulary import COMMENT_SUBJECTS
from workflow import audit, command, permissions
from workflow.audit import Actor
from workflow.errors import Conflict, Forbidden, Invalid, NotFound
from workflow.fields import one_of, text
from workflow.words import Series, Text, _

#: `@username`: not inside a word or an address (ivy@example.org names nobody).
MENTION = re.compile(r"(?<![\w@.])@([A-Za-z0-9_.\-]*[A-Za-z0-9_])")
MAX_LENGTH = 10_000
#: The records of each subject a note may be written on.
_SUBJECT_MODELS = {"evidence": EvidenceItem, "response": Response}


def mentioned(body: str) -> list[str]:
    """The usernames a note names with @, each once, in order."""
    return list(dict.fromkeys(MENTION.findall(body)))


def _subject_id(session: Session, case_id: int, subject: str, subject_id) -> int | None:
    """The record noted on, which must belong to the case (NotFound otherwise)."""
    if subject == "case":
        return None
    record = session.get(_SUBJECT_MODELS[subject], subject_id) if isinstance(subject_id, int) else None
    if record is None or record.case_id != case_id:
        raise NotFound(_("No such %(subject)s in this case.", subject=subject))
    return record.id


def _mentions(session: Session, case, names: list[str]) -> list[User]:
    """The people named; Invalid naming each one who cannot be (unknown, inactive, or may not
    see the case), so that a mention never tells anyone of a case they may not see."""
    if not names:
        return []
    users = {user.username: user for user in session.scalars(
        select(User).options(selectinload(User.role_rows)).where(User.username.in_(names)))}
    refusals = [_("@%(name)s is no user here.", name=name) if name not in users
                else permissions.can_be_mentioned(users[name], case).reason for name in names]
    refusals = [reason for reason in refusals if reason]
    if refusals:
        raise Invalid(refusals[0] if len(refusals) == 1 else Series(refusals, Text(" ")), "body")
    return [users[name] for name in names]


def add_comment(session: Session, actor: Actor, case_id: int, *, body: str,
                subject: str = "case", subject_id: int | None = None,
                corrects_id: int | None = None) -> Comment:
    """Write a note on the case, or on one of its evidence items or responses; its @mentions
    are told. With `corrects_id`, it corrects an earlier note of one's own on the same record."""
    case = command.load(session, actor, case_id=case_id)[0]  # locked: it does not close meanwhile
    answer = permissions.can_comment(actor, case)
    if not answer:
        raise (Forbidden if not permissions.can(actor, permissions.COMMENT, case) else Conflict)(
            answer.reason)
    subject = one_of(subject, "subject", COMMENT_SUBJECTS)
    subject_id = _subject_id(session, case.id, subject, subject_id)
    body = text(body, "body", MAX_LENGTH, required=True)
    if corrects_id is not None:
        earlier = session.get(Comment, corrects_id) if isinstance(corrects_id, int) else None
        if earlier is None or (earlier.case_id, earlier.subject, earlier.subject_id) != (
                case.id, subject, subject_id):
            raise NotFound(_("No such note here to correct."))
        if earlier.author_id != actor.id:
            raise Forbidden(_("Only its author can correct a note; write a note of your own instead."))
    people = _mentions(session, case, mentioned(body))
    comment = Comment(case_id=case.id, subject=subject, subject_id=subject_id,
                      author_id=actor.id, body=body, corrects_id=corrects_id)
    session.add(comment)
    session.flush()
    audit.append(session, "comment_added", actor, case_id=case.id, entity_type="comment",
                 entity_id=comment.id, details={
                     "subject": subject, "subject_id": subject_id, "body": body,
                     "corrects": corrects_id, "mentioned": [user.username for user in people],
                     "mentions": [user.id for user in people if user.id != actor.id]})
    return comment


def notes_on(session: Session, case_id: int, subject: str = "case",
             subject_id: int | None = None) -> list[Comment]:
    """The notes on a record, oldest first."""
    return session.scalars(select(Comment).where(
        Comment.case_id == case_id, Comment.subject == subject,
        Comment.subject_id.is_(None) if subject_id is None else Comment.subject_id == subject_id)
        .order_by(Comment.id)).all()
