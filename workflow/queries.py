"""Read-side queries behind the case list, the case page and the review queue."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import extract, func, or_, select
from sqlalchemy.orm import Session, contains_eager, lazyload, selectinload

from models.audit import AuditEvent
from models.case import Case
from models.evaluation import Evaluation
from models.evidence import EvidenceItem
from models.finding import Finding
from models.gate_request import GateRequest
from models.message import DeterrenceMessage
from models.response import Response
from models.task import Task
from models.user import User, UserRole
from workflow import permissions
from workflow.roles import ANALYST, INVESTIGATOR, LEGAL_OFFICER
from workflow import clock

PAGE_SIZE = 50


def among(column, values):
    """`column` equals one of a constant few `values`: written out as ORs, since an IN list
    is expanded afresh at every run of a statement that runs inside every gate command."""
    return or_(*(column == value for value in values))
SORTS = {
    "reference": Case.reference, "title": Case.title, "country": Case.country,
    "date": Case.occurred_on, "stage": Case.state, "opened": Case.opened_at,
}


@dataclass
class CaseFilters:
    stage: str = ""
    country: str = ""
    agent: str = ""
    year: int | None = None
    text: str = ""
    sort: str = "opened"
    descending: bool = True
    page: int = 1


@dataclass
class CasePage:
    rows: list = field(default_factory=list)
    total: int = 0
    page: int = 1

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))


def _pending_target():
    return (select(GateRequest.target).where(GateRequest.case_id == Case.id,
                                             GateRequest.decision == "pending")
            .correlate(Case).scalar_subquery())


def _conditions(user, filters: CaseFilters) -> list:
    conditions = [permissions.visible_cases(user)]
    if filters.stage:
        conditions.append(Case.state == filters.stage)
    if filters.country:
        conditions.append(func.lower(Case.country) == filters.country.strip().lower())
    if filters.agent:
        conditions.append(Case.suspected_agent == filters.agent)
    if filters.year:
        conditions.append(extract("year", Case.occurred_on) == filters.year)
    if filters.text.strip():
        like = f"%{filters.text.strip().lower()}%"
        conditions.append(or_(func.lower(Case.title).like(like), func.lower(Case.reference).like(like),
                              func.lower(Case.place).like(like), func.lower(Case.summary).like(like)))
    return conditions


def _listing(user, filters: CaseFilters):
    column = SORTS.get(filters.sort, Case.opened_at)
    order = column.desc() if filters.descending else column.asc()
    return (select(Case, _pending_target().label("pending_target")).where(*_conditions(user, filters))
            .order_by(order, Case.id.desc()))


def search_cases(session: Session, user, filters: CaseFilters) -> CasePage:
    """The cases `user` may see that match the filters: one page, with a pending-review flag."""
    total = session.scalar(select(func.count()).select_from(Case).where(*_conditions(user, filters)))
    page = max(1, filters.page)
    rows = session.execute(_listing(user, filters).limit(PAGE_SIZE)
                           .offset((page - 1) * PAGE_SIZE)).all()
    return CasePage(rows=rows, total=total, page=page)


def all_cases(session: Session, user, filters: CaseFilters):
    """Every case of the listing, unpaged, for exports."""
    return session.execute(_listing(user, filters).options(lazyload(Case.members))).all()


def countries(session: Session, user) -> list[str]:
    return session.scalars(select(Case.country).where(permissions.visible_cases(user),
                                                      Case.country != "")
                           .distinct().order_by(Case.country)).all()


def case_history(session: Session, case_id: int) -> list[AuditEvent]:
    """Every audit event of a case, oldest first."""
    return session.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id)
                           .order_by(AuditEvent.seq)).all()


def requests_of(session: Session, case_id: int) -> list[GateRequest]:
    return session.scalars(select(GateRequest).where(GateRequest.case_id == case_id)
                           .order_by(GateRequest.id.desc())).all()


def pending_reviews(session: Session, user) -> list[GateRequest]:
    """Pending gate requests on the cases `user` may see, oldest first."""
    return session.scalars(select(GateRequest).join(Case)
                           .where(GateRequest.decision == "pending", permissions.visible_cases(user))
                           .order_by(GateRequest.requested_at)).all()


def team_candidates(session: Session) -> list[User]:
    """Active users holding a working role, who can join a case team."""
    working = select(UserRole.user_id).where(UserRole.role.in_((INVESTIGATOR, ANALYST, LEGAL_OFFICER)))
    return session.scalars(select(User).options(selectinload(User.role_rows))
                           .where(User.active, User.id.in_(working))
                           .order_by(User.username)).all()


def parse_year(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and 1900 <= int(value) <= clock.today().year else None


def evidence_items(session: Session, case_id: int) -> list[EvidenceItem]:
    """Every evidence item of a case, withdrawn ones included, oldest first."""
    return session.scalars(select(EvidenceItem).where(EvidenceItem.case_id == case_id)
                           .order_by(EvidenceItem.id)).all()


def current_findings(session: Session, case_id: int) -> dict[str, Finding]:
    """The latest finding of each kind, by kind."""
    findings = session.scalars(select(Finding).where(Finding.case_id == case_id)
                               .order_by(Finding.id)).all()
    return {finding.kind: finding for finding in findings}


def responses_by_cell(session: Session, case_id: int) -> dict[tuple[str, str], list[Response]]:
    """A case's responses, by (level, tool) cell of the menu."""
    cells: dict[tuple[str, str], list[Response]] = {}
    for response in session.scalars(select(Response).where(Response.case_id == case_id)
                                    .order_by(Response.id)):
        cells.setdefault((response.level, response.tool), []).append(response)
    return cells


def messages_of(session: Session, case_id: int) -> list[DeterrenceMessage]:
    """A case's deterrence messages across every stage, in the order they were said."""
    return session.scalars(select(DeterrenceMessage).where(DeterrenceMessage.case_id == case_id)
                           .order_by(DeterrenceMessage.said_on, DeterrenceMessage.id)).all()


def latest_evaluation(session: Session, case_id: int) -> Evaluation | None:
    return session.scalar(select(Evaluation).where(Evaluation.case_id == case_id)
                          .order_by(Evaluation.id.desc()).limit(1))


def my_tasks(session: Session, user) -> list[Task]:
    """Open tasks assigned to `user` on cases they may see, overdue (then soonest due) first."""
    return session.scalars(
        select(Task).join(Case, Task.case_id == Case.id).options(contains_eager(Task.case))
        .where(Task.assignee_id == user.id, Task.status.in_(("open", "in_progress")),
               permissions.visible_cases(user))
        .order_by(Task.due_on.is_(None), Task.due_on, Task.id)).all()


def my_queues(session: Session, user) -> list[Task]:
    """Unclaimed open tasks of the user's roles, on cases they may see and work on."""
    work_roles = [role for role in user.roles if role != "auditor" and role != "admin"]
    if not work_roles:
        return []
    query = (select(Task).join(Case, Task.case_id == Case.id).options(contains_eager(Task.case))
             .where(Task.status == "open", Task.assignee_id.is_(None), Task.role.in_(work_roles),
                    Case.state != "closed", permissions.visible_cases(user)))
    return session.scalars(query.order_by(Task.due_on.is_(None), Task.due_on, Task.id)).all()


def tasks_of(session: Session, case_id: int) -> list[Task]:
    return session.scalars(select(Task).where(Task.case_id == case_id).order_by(Task.id)).all()


def navigation_counts(session: Session, user) -> dict[str, int]:
    """The numbers shown in the navigation: one's open tasks, and reviews waiting for supervisors."""
    tasks = session.scalar(select(func.count()).select_from(Task).join(Case, Task.case_id == Case.id)
                           .where(Task.assignee_id == user.id, Task.status.in_(("open", "in_progress")),
                                  permissions.visible_cases(user)))
    reviews = 0
    if permissions.can(user, permissions.DECIDE_GATE):
        reviews = session.scalar(select(func.count()).select_from(GateRequest).join(Case)
                                 .where(GateRequest.decision == "pending",
                                        GateRequest.requested_by_id != user.id,
                                        permissions.visible_cases(user)))
    return {"tasks": tasks, "reviews": reviews}


def record_events(session: Session, case_id: int, entity_type: str, entity_id) -> list[AuditEvent]:
    """The audit events of one record of a case (a response, an evidence item …), oldest first."""
    return session.scalars(select(AuditEvent).where(
        AuditEvent.case_id == case_id, AuditEvent.entity_type == entity_type,
        AuditEvent.entity_id == str(entity_id)).order_by(AuditEvent.seq)).all()


def decided_reviews(session: Session, user, limit: int = 100) -> list[GateRequest]:
    """Decided (and withdrawn) gate requests on the cases `user` may see, latest decision first."""
    return session.scalars(select(GateRequest).join(Case)
                           .where(GateRequest.decision != "pending", permissions.visible_cases(user))
                           .order_by(GateRequest.decided_at.desc(), GateRequest.id.desc())
                           .limit(limit)).all()
