"""Case commands: open, update, change the team. Each runs inside the caller's transaction:
authorize → lock → check the version → change → audit."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from models.case import AGENTS, CASE_ROLES, PRECISIONS, Case, CaseMember
from models.database import constant
from models.gate_request import GateRequest
from models.user import User
from vocabulary import CASE_ROLE_NEEDS, STRATEGIES, TARGETED, WORKING_ROLES
from workflow import audit, command, countries, permissions, registers
from workflow.audit import Actor
from workflow.clock import utcnow
from workflow.errors import Conflict, Forbidden, Invalid, NotFound
from workflow.fields import within_years
from workflow.pathway import REPORTED
from workflow.words import _, humans, inline
from workflow import clock

EDITABLE = ("title", "occurred_on", "occurred_precision", "country", "place", "latitude",
            "longitude", "suspected_agent", "delivery_means", "deaths", "injured", "summary",
            "targeted", "strategies")
_TEXT_LIMITS = {"title": 200, "place": 200, "delivery_means": 200,
                "summary": 20_000}


def load_case(session: Session, case_id: int, actor, *, lock: bool = False) -> Case:
    """The case if `actor` may see it (else NotFound, as if it did not exist)."""
    return command.load(session, actor, case_id=case_id, lock=lock)[0]


def load_case_under_review(session: Session, case_id: int, actor) -> tuple[Case, GateRequest | None]:
    """The case (NotFound unless `actor` may see it) and its pending gate request, in one read."""
    return command.load(session, actor, case_id=case_id, lock=False)


#: A reference as people write it (any case): CW-2026-0033.
REFERENCE = re.compile(r"CW-[0-9]{4}-[0-9]{4,}", re.IGNORECASE)


def by_reference(session: Session, actor, written: str) -> Case:
    """The case a person names by its reference (CW-2026-0033) or its number, if they may see
    it; otherwise refused, saying so, as if it did not exist."""
    written = written.strip()
    if REFERENCE.fullmatch(written):
        case = session.scalar(select(Case).where(Case.reference == written.upper()))
    elif written.isascii() and written.isdigit():
        case = session.get(Case, int(written)) if len(written) < 10 else None
    else:
        raise Invalid(_("case: %(written)s is neither a reference such as CW-2026-0033 nor a case "
                        "number", written=repr(written)), "case")
    if case is None or not permissions.can_see(actor, case):
        raise NotFound(_("No case %(written)s that you may see.", written=written))
    return case


def pending_request(session: Session, case_id: int) -> GateRequest | None:
    return session.scalar(select(GateRequest).where(GateRequest.case_id == case_id,
                                                    GateRequest.decision == constant("pending")))


def authorize(actor, action: str, case: Case | None = None) -> None:
    answer = permissions.allowed(actor, action, case)
    if not answer:
        raise Forbidden(answer.reason)


#: The largest number of deaths or injured a case records (a typing slip beyond it is refused).
MAX_COUNT = 10_000_000


def clean_field(name: str, value):
    """Validate one field of a case; the error names it."""
    label = name.replace("_", " ")
    if name == "country":
        return countries.code(value)
    if name in _TEXT_LIMITS:
        # The summary is kept as written (imported text must round-trip); names are trimmed.
        value = (value or "") if name == "summary" else (value or "").strip()
        if name == "title" and not value:
            raise Invalid(_("title: give the case a title"), name)
        if len(value) > _TEXT_LIMITS[name]:
            raise Invalid(_("%(field)s: at most %(limit)s characters", field=label, limit=_TEXT_LIMITS[name]), name)
        return value
    if name == "occurred_on":
        if value is not None and not isinstance(value, date):
            raise Invalid(_("date: not a date"), name)
        if value is not None:
            within_years(value, name)
        if value is not None and value > clock.today():
            raise Invalid(_("date: cannot be in the future"), name)
        return value
    if name in ("latitude", "longitude"):
        if value in (None, ""):
            return None
        limit = 90 if name == "latitude" else 180
        try:
            number = Decimal(str(value))
            if not number.is_finite():
                raise InvalidOperation
            number = number.quantize(Decimal("0.000001"))
        except InvalidOperation:
            raise Invalid(_("%(field)s: not a number", field=label), name) from None
        if not -limit <= number <= limit:
            raise Invalid(_("%(field)s: must be between -%(limit)s and %(limit)s", field=label, limit=limit), name)
        return number
    if name in ("deaths", "injured"):
        if value in (None, ""):
            return None
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_COUNT:
            raise Invalid(_("%(field)s: a whole number from 0 to %(most)s", field=label, most=format(MAX_COUNT, ",")), name)
        return value
    if name == "strategies":
        # A list of codes (or the stored comma-separated form); kept in their declared order.
        tags = value.split(",") if isinstance(value, str) else list(value or ())
        unknown = sorted({tag for tag in tags if tag} - set(STRATEGIES))
        if unknown:
            raise Invalid(_("strategies: choose among %(choices)s", choices=humans(STRATEGIES)), name)
        return ",".join(tag for tag in STRATEGIES if tag in tags)
    choices = {"occurred_precision": PRECISIONS, "suspected_agent": AGENTS, "targeted": TARGETED}[name]
    if value not in choices:
        raise Invalid(_("%(field)s: choose %(choices)s", field=label, choices=humans(choices)), name)
    return value


def _json_value(value):
    if isinstance(value, (date, Decimal)):
        return str(value)
    return value


def _apply(case: Case, fields: dict) -> dict:
    """Set the given fields on the case; returns {field: [before, after]} of what changed."""
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise Invalid(f"unknown field {', '.join(sorted(unknown))}")
    changes = {}
    for name, value in fields.items():
        value = clean_field(name, value)
        before = getattr(case, name)
        if before != value:
            changes[name] = [_json_value(before), _json_value(value)]
            setattr(case, name, value)
    return changes


def _name_suspects(session: Session, case: Case, written) -> dict:
    """Name the case's suspected perpetrators (the party register's entries for the names
    written, through their aliases; an unknown one refused); returns {"suspects": [before,
    after]} if they changed."""
    entries = registers.known_entries(session, "party", written, "suspects")
    if {entry.id for entry in entries} == {entry.id for entry in case.suspects}:
        return {}
    before = sorted(entry.name for entry in case.suspects)
    case.suspects = sorted(entries, key=lambda entry: entry.name)
    return {"suspects": [before, [entry.name for entry in case.suspects]]}


def _next_reference(session: Session, year: int) -> str:
    """CW-YYYY-NNNN from a per-year counter that concurrent openings cannot share."""
    number = session.execute(text(
        "INSERT INTO case_counters (year, last) VALUES (:year, 1) "
        "ON CONFLICT (year) DO UPDATE SET last = case_counters.last + 1 RETURNING last"),
        {"year": year}).scalar_one()
    return f"CW-{year}-{number:04d}"


def open_case(session: Session, actor: Actor, source_id: str | None = None, suspects=(),
              **fields) -> Case:
    """Open a case in `reported`, naming its suspected perpetrators if reporting does; an opener
    with a working role joins its team."""
    authorize(actor, permissions.OPEN_CASE)
    if source_id is not None:
        known = session.scalar(select(Case.reference).where(Case.source_id == source_id))
        if known is not None:
            raise Conflict(_("source id: case %(reference)s was opened from %(source)s already.", reference=known, source=source_id))
    now = utcnow()
    case = Case(reference="", opened_by_id=actor.id, opened_at=now, state=REPORTED, version=1,
                source_id=source_id)
    fields.setdefault("title", "")
    changes = _apply(case, fields)
    changes.update(_name_suspects(session, case, suspects))
    case.reference = _next_reference(session, now.year)
    # Whatever other roles they hold (supervisor, auditor), one who works cases joins the team.
    if any(role in WORKING_ROLES for role in actor.roles):
        case.members.append(CaseMember(user_id=actor.id, case_role="investigator"))
    session.add(case)
    session.flush()
    audit.append(session, "case_opened", actor, case_id=case.id, entity_type="case",
                 entity_id=case.id, to_state=REPORTED,
                 details={"reference": case.reference, "source_id": source_id,
                          "fields": {name: after for name, (_, after) in changes.items()}})
    return case


def update_case(session: Session, actor: Actor, case_id: int, *, expected_version,
                suspects=None, **fields) -> Case:
    """Change the details of a case, and its suspected perpetrators if `suspects` is given."""
    cmd = command.begin(session, actor, case_id, action=permissions.EDIT_CASE,
                        expected_version=expected_version)
    case = cmd.case
    changes = _apply(case, fields)
    if suspects is not None:
        changes.update(_name_suspects(session, case, suspects))
    if changes:
        cmd.step()
        cmd.record("case_updated", "case", case.id, {"changes": changes, "version": case.version})
    return case


def _team_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise Invalid(_("no such active user"), "user_id")
    return user


def case_roles_for(roles) -> list[str]:
    """The case roles someone holding `roles` may play on a team (the work of each needs its role)."""
    return [case_role for case_role in CASE_ROLES if CASE_ROLE_NEEDS[case_role] in roles]


def set_member(session: Session, actor: Actor, case_id: int, *, expected_version, user_id: int,
               case_role: str) -> CaseMember:
    """Put a user on the team with a case role (naming a new lead replaces the old one).

    Someone new may be added while the case is under review (the next stage's people, from
    the approval screen); other changes of the team wait for the decision."""
    cmd = command.begin(session, actor, case_id, action=permissions.MANAGE_TEAM,
                        expected_version=expected_version, open_only=False)
    case = cmd.case
    if case_role not in CASE_ROLES:
        raise Invalid(_("case role: choose %(choices)s", choices=humans(CASE_ROLES)), "case_role")
    user = _team_user(session, user_id)
    permissions.require(permissions.can_add_to_team(actor, case, cmd.pending)
                        if case.member(user.id) is None
                        else permissions.can_change(actor, case, cmd.pending, permissions.MANAGE_TEAM))
    if case_role not in case_roles_for(user.roles):
        raise Invalid(_("%(name)s does not hold the %(role)s role, so cannot be the team's %(case_role)s",
                        name=user.username, role=inline(CASE_ROLE_NEEDS[case_role]),
                        case_role=inline(case_role)), "user_id")
    details = {"user_id": user.id, "username": user.username, "case_role": case_role}
    previous_lead = case.lead
    if case_role == "lead_investigator" and previous_lead and previous_lead.user_id != user.id:
        previous_lead.case_role = "investigator"
        details["previous_lead"] = previous_lead.user.username
        session.flush()  # free the one-lead slot before the new lead takes it
    member = case.member(user.id)
    if member is None:
        member = CaseMember(user_id=user.id, case_role=case_role)
        case.members.append(member)
        event = "team_member_added"
    elif member.case_role == case_role:
        return member
    else:
        details["before"] = member.case_role
        member.case_role = case_role
        event = "team_member_changed"
    cmd.record(event, "case_member", f"{case.id}:{user.id}", details)
    return member


def remove_member(session: Session, actor: Actor, case_id: int, *, expected_version,
                  user_id: int) -> None:
    """Take a user off the team; they lose sight of the case at once."""
    cmd = command.begin(session, actor, case_id, action=permissions.MANAGE_TEAM,
                        expected_version=expected_version)
    case = cmd.case
    member = case.member(user_id)
    if member is None:
        raise NotFound(_("That user is not on this team."))
    details = {"user_id": user_id, "username": member.user.username, "case_role": member.case_role}
    case.members.remove(member)
    cmd.record("team_member_removed", "case_member", f"{case.id}:{user_id}", details)
