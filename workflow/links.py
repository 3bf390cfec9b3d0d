"""Links between cases, and the cases an incident about to be opened may duplicate.

A case links to another as related (another incident of the same campaign, say) or as a
duplicate (a second report of the same incident); the link is shown on both, and audited on
both. Before a case is opened, the cases within three days in the same country, nearby or at
a place of a similar name, are listed, so that one incident is not opened twice.
"""
from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from difflib import SequenceMatcher

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from models.case import Case
from models.case_link import CaseLink
from vocabulary import LINK_KINDS
from workflow import audit, command, countries, permissions
from workflow.audit import Actor
from workflow.errors import Invalid
from workflow.fields import in_years, one_of, text
from workflow.words import _, _n, inline

#: How far apart in days, and in kilometres, two reports may be and still be one incident.
DAYS_APART = 3
NEARBY_KM = 25
#: How alike two place names must be (difflib's ratio of their plain letters) to match.
SIMILAR_PLACE = 0.8


@dataclass(frozen=True)
class PossibleDuplicate:
    """A case that may report the same incident, and why; `case` is None when the user may
    not see it (only its reference is shown, to ask a supervisor about)."""

    reference: str
    case: Case | None
    why: str


def _plain(name: str) -> str:
    """A place name without accents, case, spaces or punctuation ("Khan Sheikhoun" ~ "khansheikhoun")."""
    letters = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", letters.lower())


def _km(a: tuple, b: tuple) -> float:
    """The great-circle distance between two (latitude, longitude) points, in kilometres."""
    lat1, lon1, lat2, lon2 = (math.radians(float(x)) for x in (*a, *b))
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(h)))


def _where(case: Case, place: str, point: tuple | None, visible: bool) -> str | None:
    """Why `case` may be at the same place, or None when it is elsewhere; the place of a case
    the user may not see is not named."""
    other = (case.latitude, case.longitude) if case.latitude is not None and case.longitude is not None else None
    if point is not None and other is not None:
        km = _km(point, other)
        if km <= NEARBY_KM:
            return _("%(km)s km away", km=format(km, ".0f"))
    ours, theirs = _plain(place), _plain(case.place)
    if ours and theirs and (ours in theirs or theirs in ours
                            or SequenceMatcher(None, ours, theirs).ratio() >= SIMILAR_PLACE):
        return _("at %(place)s", place=case.place) if visible else _("at a place of a similar name")
    if not (ours or point) or not (theirs or other):
        return _("no place to compare")
    return None


def possible_duplicates(session: Session, actor, *, occurred_on: date | None, country: str,
                        place: str = "", latitude: Decimal | None = None,
                        longitude: Decimal | None = None,
                        exclude_id: int | None = None) -> list[PossibleDuplicate]:
    """The cases within three days of `occurred_on` in `country`, nearby or at a place of a
    similar name (or with no place to compare); nothing without a date (that a case may
    hold) and a country."""
    if occurred_on is None or not in_years(occurred_on) or not (country or "").strip():
        return []
    candidates = session.scalars(
        select(Case).where(Case.country == countries.wanted(country),
                           Case.occurred_on.between(occurred_on - timedelta(days=DAYS_APART),
                                                    occurred_on + timedelta(days=DAYS_APART)),
                           Case.id != (exclude_id or 0))
        .order_by(Case.occurred_on, Case.id)).all()
    point = (latitude, longitude) if latitude is not None and longitude is not None else None
    found = []
    for case in candidates:
        visible = permissions.can_see(actor, case)
        where = _where(case, place, point, visible)
        if where is None:
            continue
        days = abs((case.occurred_on - occurred_on).days)
        when = _("the same day") if days == 0 else _n("%(num)s day apart", "%(num)s days apart", days)
        found.append(PossibleDuplicate(case.reference, case if visible else None,
                                       _("%(when)s, %(where)s", when=when, where=where)))
    return found


@dataclass(frozen=True)
class ShownLink:
    """A link as one of its two cases shows it: the sentence, and the other case."""

    link: CaseLink
    other: Case
    sentence: str


def links_of(session: Session, case_id: int) -> list[ShownLink]:
    """The links of a case in both directions, oldest first."""
    links = session.scalars(select(CaseLink).where(or_(CaseLink.case_id == case_id,
                                                       CaseLink.linked_case_id == case_id))
                            .order_by(CaseLink.id)).all()
    shown = []
    for link in links:
        outgoing = link.case_id == case_id
        other = link.linked_case if outgoing else link.case
        if link.kind == "related":
            sentence = _("Related to %(reference)s", reference=other.reference)
        elif outgoing:
            sentence = _("A duplicate of %(reference)s", reference=other.reference)
        else:
            sentence = _("%(reference)s is a duplicate of this case", reference=other.reference)
        shown.append(ShownLink(link, other, sentence))
    return shown


def link_cases(session: Session, actor: Actor, case_id: int, *, expected_version,
               other_reference: str, kind: str, note: str = "") -> CaseLink:
    """Link the case to another one the actor may see, as related or as its duplicate; the
    event is written on both cases."""
    cmd = command.begin(session, actor, case_id, action=permissions.EDIT_CASE,
                        expected_version=expected_version)
    case = cmd.case
    kind = one_of(kind, "kind", LINK_KINDS)
    reference = text(other_reference, "other_reference", 16, True).upper()
    other = session.scalar(select(Case).where(Case.reference == reference))
    if other is None or not permissions.can_see(actor, other):
        raise Invalid(_("case: there is no case %(reference)s that you may see", reference=reference), "other_reference")
    if other.id == case.id:
        raise Invalid(_("case: a case is not linked to itself"), "other_reference")
    existing = session.scalar(select(CaseLink).where(or_(
        (CaseLink.case_id == case.id) & (CaseLink.linked_case_id == other.id),
        (CaseLink.case_id == other.id) & (CaseLink.linked_case_id == case.id))))
    if existing is not None:
        raise Invalid(_("case: %(reference)s is linked to this case already (%(kind)s)",
                        reference=reference, kind=inline(existing.kind)), "other_reference")
    link = CaseLink(case_id=case.id, linked_case_id=other.id, kind=kind,
                    note=text(note, "note", 5000), created_by_id=actor.id)
    session.add(link)
    session.flush()
    details = {"kind": kind, "case": case.reference, "linked_case": other.reference,
               "note": link.note}
    cmd.record("case_linked", "case_link", link.id, details)
    audit.append(session, "case_linked", actor, case_id=other.id, entity_type="case_link",
                 entity_id=link.id, details=details)
    return link
