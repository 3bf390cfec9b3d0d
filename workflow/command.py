"""The one way a command changes a case: lock it, check the actor may see it, authorise,
check the version the actor saw, check it is open and not under review, and move the
version on once, with the audit event.

    cmd = command.begin(session, actor, case_id, action=permissions.RECORD_EVIDENCE,
                        expected_version=version)
    ... change rows of cmd.case ...
    cmd.record("evidence_added", "evidence", item.id, details)
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import and_, bindparam, null, select
from sqlalchemy.orm import Session, aliased, contains_eager, joinedload, lazyload, with_expression

from models.case import Case, CaseMember, case_suspects
from models.database import constant
from models.gate_request import GateRequest
from models.register import RegisterEntry
from models.user import User
from workflow import audit, permissions, queries
from workflow import search  # noqa: F401 (its mapper events keep the search index with every write)
from workflow.errors import Conflict, Forbidden, Invalid, NotFound, Stale
from workflow.words import Text, _, inline


class _AnyVersion:
    """Scripts that act on whatever version is current (the demonstration, the importer) say so."""

    def __repr__(self) -> str:
        return "ANY_VERSION"


ANY_VERSION = _AnyVersion()


def check_version(case: Case, expected_version) -> None:
    """Refuse a change made from a page that showed an older version of the case."""
    if expected_version is ANY_VERSION:
        return
    if expected_version is None or isinstance(expected_version, bool) or not isinstance(
            expected_version, int):
        raise Invalid(_("version: the version of the case you saw is required"), "version")
    if expected_version != case.version:
        raise Stale(case.reference, expected_version, case.version)


@dataclass
class CaseCommand:
    """A locked, checked case and the one version step its change takes."""

    session: Session
    actor: audit.Actor
    case: Case
    #: The case's pending gate request (or, for a decision, the request decided), if any.
    pending: GateRequest | None
    _stepped: bool = field(default=False, repr=False)

    def step(self) -> None:
        """Move the case's version on; once per command, however many rows it changes."""
        if not self._stepped:
            self.case.version += 1
            # What the gate checks counted with the case may change with it: counted again.
            self.case.active_evidence = self.case.open_required_tasks = None
            self._stepped = True

    def record(self, event_type: str, entity_type: str, entity_id, details: dict,
               **fields) -> dict:
        """The change is made: step the version, flush, and append its audit event."""
        self.step()
        self.session.flush()
        return audit.append(self.session, event_type, self.actor, case_id=self.case.id,
                            entity_type=entity_type, entity_id=entity_id, details=details,
                            **fields)


_SUSPECT = aliased(RegisterEntry, name="suspect")


def _queries(lock: bool) -> dict[str, object]:
    """The case with its team, when it entered its stage, whether it has an evaluation and its
    pending request, or with the request named; built once."""
    by = {
        "case_id": select(Case, GateRequest).outerjoin(GateRequest, and_(
            GateRequest.case_id == Case.id, GateRequest.decision == constant("pending")))
        .where(Case.id == bindparam("id")),
        "request_id": select(Case, GateRequest).join(GateRequest, GateRequest.case_id == Case.id)
        .where(GateRequest.id == bindparam("id")),
    }
    # PostgreSQL locks rows, and re-reads after the wait only the rows it locked: there the
    # pending request is read by its own statement once the case is locked (see `load`).
    by["case_id_alone"] = select(Case, null()).where(Case.id == bindparam("id"))
    for key, query in by.items():
        # The team, with its users and their roles, for the checks (the gates' queues read them
        # too); the request's people only if a message names them.
        query = query.options(
            joinedload(Case.members).joinedload(CaseMember.user).joinedload(User.role_rows),
            with_expression(Case.entered_stage_at, queries.ENTERED_STAGE),
            with_expression(Case.evaluated, queries.EVALUATED),
            with_expression(Case.active_evidence, queries.ACTIVE_EVIDENCE),
            with_expression(Case.open_required_tasks, queries.OPEN_REQUIRED_TASKS))
        if not lock:
            # The suspected perpetrators, for a page (a command that changes them reads them
            # then), by two joins of our own: the one joinedload writes for a many-to-many,
            # LEFT JOIN (case_suspects JOIN register_entries), SQLite reads whole for every case.
            query = (query.outerjoin(case_suspects, case_suspects.c.case_id == Case.id)
                     .outerjoin(_SUSPECT, _SUSPECT.id == case_suspects.c.entry_id)
                     .order_by(_SUSPECT.name)
                     .options(contains_eager(Case.suspects.of_type(_SUSPECT)).lazyload("*")))
        if key != "case_id_alone":
            query = query.options(lazyload(GateRequest.requested_by),
                                  lazyload(GateRequest.decided_by))
        if lock:  # the team rows come by an outer join, which cannot be locked
            locked = [Case, GateRequest] if key == "request_id" else [Case]
            query = query.with_for_update(of=locked).execution_options(populate_existing=True)
        by[key] = query
    return by


_QUERIES = {lock: _queries(lock) for lock in (False, True)}
_PENDING = (select(GateRequest).where(GateRequest.case_id == bindparam("case_id"),
                                      GateRequest.decision == constant("pending"))
            .execution_options(populate_existing=True))


def load(session: Session, actor, *, case_id: int | None = None,
         request_id: int | None = None, lock: bool = True) -> tuple[Case, GateRequest | None]:
    """One statement: the case with its team and its pending request (or the request named),
    locked when asked; NotFound unless the actor may see the case."""
    # SQLite's write lock is taken at BEGIN, so one statement reads everything as of the lock.
    row_locks = lock and session.get_bind().dialect.name != "sqlite"
    key = "request_id" if request_id is not None else "case_id_alone" if row_locks else "case_id"
    row = session.execute(_QUERIES[lock][key], {"id": request_id if request_id is not None
                                                else case_id}).unique().first()
    if row is None or not permissions.can_see(actor, row[0]):
        raise NotFound(_("No such gate request.") if request_id is not None else _("No such case."))
    case, request = row[0], row[1]
    if key == "case_id_alone":
        request = session.scalar(_PENDING, {"case_id": case.id})
    return case, request


def _authorize(actor, action: str, case: Case) -> None:
    """Forbidden unless the actor's roles (and team) allow `action` on the case."""
    if not permissions.can(actor, action, case):
        raise Forbidden(permissions.allowed(actor, action, case).reason)


def begin(session: Session, actor, case_id: int, *, action: str, expected_version,
          open_only: bool = True) -> CaseCommand:
    """Lock and check a case for a change of its records (see the module's docstring)."""
    case, pending = load(session, actor, case_id=case_id)
    _authorize(actor, action, case)
    check_version(case, expected_version)
    if open_only:
        refused = permissions.can_change(actor, case, pending, action)
        if not refused.ok:
            raise Conflict(refused.reason)
    return CaseCommand(session, actor, case, pending)


def begin_on_request(session: Session, actor, request_id: int, *, action: str,
                     expected_version) -> CaseCommand:
    """Lock the case of a gate request for a decision on it; the pathway machine checks the rest."""
    case, request = load(session, actor, request_id=request_id)
    _authorize(actor, action, case)
    if request.decision != "pending":
        raise Conflict(already_decided(request.decision,
                                       request.decided_by.username if request.decided_by else None))
    check_version(case, expected_version)
    return CaseCommand(session, actor, case, request)


def already_decided(decision: str, by: str | None) -> Text:
    """The refusal of a decision on a request decided already, by `by` (None: by someone)."""
    if by is None:
        return {"approved": _("This request was already approved by someone."),
                "rejected": _("This request was already rejected by someone."),
                "withdrawn": _("This request was already withdrawn by someone."),
                }.get(decision) or _("This request was already %(decision)s by someone.",
                                     decision=inline(decision))
    return {"approved": _("This request was already approved by %(by)s.", by=by),
            "rejected": _("This request was already rejected by %(by)s.", by=by),
            "withdrawn": _("This request was already withdrawn by %(by)s.", by=by),
            }.get(decision) or _("This request was already %(decision)s by %(by)s.",
                                 decision=inline(decision), by=by)


def begin_on_stage(session: Session, actor, case_id: int, *, action: str,
                   expected_version) -> CaseCommand:
    """Lock a case for a pathway command; the machine checks the rest (under review, four eyes…)."""
    case, pending = load(session, actor, case_id=case_id)
    _authorize(actor, action, case)
    check_version(case, expected_version)
    return CaseCommand(session, actor, case, pending)
