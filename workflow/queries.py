"""Read-side queries behind the case list, the case page and the review queue."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Integer, Select, bindparam, cast, exists, extract, func, literal, or_, select, true
from sqlalchemy.orm import Session, aliased, contains_eager, joinedload, lazyload, selectinload

from models.audit import AuditEvent
from models.case import Case, CaseMember
from models.database import among, constant, folded
from models.evaluation import Evaluation
from models.evidence import EvidenceItem
from models.finding import Finding
from models.gate_request import GateRequest
from models.message import DeterrenceMessage
from models.notification import Notification
from models.response import Response
from models.stay import CaseStay
from models.task import Task
from models.user import User, UserRole
from vocabulary import OPEN_TASK_STATUSES, WORKING_ROLES
from workflow import paging, permissions
from workflow.countries import wanted as wanted_country
from workflow import clock

PAGE_SIZE = 50
#: Counting stops here: past it a list says "10,000+", so no page counts a whole table.
COUNT_CAP = 10_000

#: When a case entered the stage it is in: its open stay, which the move wrote (correlated to
#: the case of the statement it is part of). An imported history dates it as its record does,
#: so the due date and the dashboard's stalled cases tell the same time.
ENTERED_STAGE = (select(CaseStay.entered_at)
                 .where(CaseStay.case_id == Case.id, CaseStay.left_at.is_(None))
                 .scalar_subquery())
#: The columns of a case the lists show, with when it entered its stage (for its due date).
LISTED = (Case.id, Case.reference, Case.title, Case.country, Case.occurred_on, Case.state,
          ENTERED_STAGE.label("entered"))
#: Whether a case has an evaluation (correlated likewise).
EVALUATED = exists().where(Evaluation.case_id == Case.id)
#: How many active evidence items a case has, and required tasks of its stage still open
#: (correlated likewise: read with the case, they save a gate check a statement each).
ACTIVE_EVIDENCE = (select(func.count()).where(EvidenceItem.case_id == Case.id,
                                              EvidenceItem.status == constant("active"))
                   .scalar_subquery())
OPEN_REQUIRED_TASKS = (select(func.count()).where(
    Task.case_id == Case.id, Task.stage == Case.state, Task.required.is_(True),
    among(Task.status, OPEN_TASK_STATUSES)).scalar_subquery())

SORTS = {
    "reference": Case.reference, "title": Case.title, "country": Case.country,
    "date": Case.occurred_on, "stage": Case.state, "opened": Case.opened_at,
}


@dataclass(frozen=True)
class Total:
    """How many rows a list has, counted up to COUNT_CAP."""

    count: int

    @property
    def exact(self) -> bool:
        return self.count <= COUNT_CAP

    def __str__(self) -> str:
        return f"{self.count:,}" if self.exact else f"{COUNT_CAP:,}+"


def capped_count(session: Session, query: Select) -> Total:
    """The rows of `query`, counted no further than one past COUNT_CAP."""
    limited = query.order_by(None).limit(COUNT_CAP + 1).subquery()
    return Total(session.scalar(select(func.count()).select_from(limited)))


@dataclass
class CaseFilters:
    stage: str = ""
    country: str = ""
    agent: str = ""
    year: int | None = None
    text: str = ""
    sort: str = "opened"
    descending: bool = True
    #: Keyset paging: the page after, or before, the case with this id.
    after: int | None = None
    before: int | None = None


@dataclass
class CasePage:
    #: Rows of the LISTED columns and the pending request's target.
    rows: list = field(default_factory=list)
    total: Total = Total(0)
    #: The cursors of the neighbouring pages (None where there is none).
    next_after: int | None = None
    previous_before: int | None = None


def _pending_target():
    return (select(GateRequest.target).where(GateRequest.case_id == Case.id,
                                             GateRequest.decision == constant("pending"))
            .correlate(Case).scalar_subquery())


def filter_conditions(session: Session, user, *, year: int | None, country: str) -> list:
    """The year and country conditions the case list and the dashboard share, in forms their
    indexes serve: a range of dates, and the country's code (written as a code or a name)."""
    conditions = []
    if year:
        conditions.append(Case.occurred_on.between(date(year, 1, 1), date(year, 12, 31)))
    if country.strip():
        conditions.append(Case.country == wanted_country(country))
    return conditions


def _conditions(session: Session, user, filters: CaseFilters) -> list:
    conditions = [permissions.visible_cases(user),
                  *filter_conditions(session, user, year=filters.year, country=filters.country)]
    if filters.stage:
        conditions.append(Case.state == filters.stage)
    if filters.agent:
        conditions.append(Case.suspected_agent == filters.agent)
    if filters.text.strip():
        like = f"%{filters.text.strip().lower()}%"
        conditions.append(or_(func.lower(Case.title).like(like), func.lower(Case.reference).like(like),
                              func.lower(Case.place).like(like), func.lower(Case.summary).like(like)))
    return conditions


def _listing(session: Session, user, filters: CaseFilters):
    column = SORTS.get(filters.sort, Case.opened_at)
    order = paging.order(column, Case.id, filters.descending)
    return (select(Case, _pending_target().label("pending_target"))
            .where(*_conditions(session, user, filters)).order_by(*order))


def search_cases(session: Session, user, filters: CaseFilters) -> CasePage:
    """The cases `user` may see that match the filters: one keyset page, with a pending-review
    flag, the cursors of the pages either side and the total (counted up to COUNT_CAP)."""
    column = SORTS.get(filters.sort, Case.opened_at)
    conditions = _conditions(session, user, filters)
    cursor_id = filters.before or filters.after
    cursor = None
    if cursor_id:  # the sort value of the case the page starts from, if the user may see it
        cursor = session.execute(select(column).where(Case.id == cursor_id,
                                                      permissions.visible_cases(user))).first()
    backwards = cursor is not None and filters.before is not None
    descending = filters.descending != backwards
    # Plain rows of the columns the list shows: no case objects, no teams loaded with them.
    query = (select(*LISTED, _pending_target().label("pending_target")).where(*conditions)
             .order_by(*paging.order(column, Case.id, descending)))
    if cursor is not None:
        query = query.where(paging.beyond(session, column, Case.id, cursor[0], cursor_id, descending))
    rows = session.execute(query.limit(PAGE_SIZE + 1)).all()
    more, rows = len(rows) > PAGE_SIZE, rows[:PAGE_SIZE]
    if backwards:
        rows.reverse()
    page = CasePage(rows=rows, total=capped_count(session, select(Case.id).where(*conditions)))
    if rows:
        first, last = rows[0].id, rows[-1].id
        page.next_after = last if (more or backwards) else None
        page.previous_before = first if (cursor is not None and (more or not backwards)) else None
    return page


def all_cases(session: Session, user, filters: CaseFilters):
    """Every case of the listing, unpaged, for exports."""
    return session.execute(_listing(session, user, filters).options(lazyload(Case.members))).all()


def countries(session: Session, user) -> list[str]:
    """The countries of the cases `user` may see, for the filters: by one seek of the country
    index per country, or from the user's own team's cases."""
    if not permissions.sees_all_cases(user):
        return session.scalars(select(Case.country).where(permissions.visible_cases(user),
                                                          Case.country != "")
                               .distinct().order_by(Case.country)).all()
    return session.scalars(_seeks(session, "countries")).all()


def years(session: Session, user) -> list[int]:
    """The years of the incidents `user` may see, newest first: by one seek per year."""
    if not permissions.sees_all_cases(user):
        year = extract("year", Case.occurred_on)
        return session.scalars(select(year).where(permissions.visible_cases(user),
                                                  Case.occurred_on.is_not(None))
                               .distinct().order_by(year.desc())).all()
    return sorted({day.year for day in session.scalars(_seeks(session, "years"))}, reverse=True)


def _seeks(session: Session, name: str) -> Select:
    """Distinct values of an indexed column, one index seek each: a recursive query asks for the
    least value past the last one found (past the last day of its year, for years)."""
    dialect = session.get_bind().dialect.name
    if name == "countries":
        column, first, past = Case.country, Case.country > "", lambda country: country
    elif dialect == "postgresql":
        column, first = Case.occurred_on, true()
        past = lambda day: func.make_date(cast(extract("year", day), Integer), 12, 31)  # noqa: E731
    else:  # SQLite keeps dates as ISO text
        column, first, past = Case.occurred_on, true(), lambda day: func.substr(day, 1, 4).concat("-12-31")
    seen = select(func.min(column).label("value")).where(first).cte(name, recursive=True)
    following = select(func.min(column)).where(column > past(seen.c.value)).scalar_subquery()
    seen = seen.union_all(select(following).where(seen.c.value.is_not(None)))
    return select(seen.c.value).where(seen.c.value.is_not(None))


#: Rows on a page of a section of the case page (its History, its evidence register).
SECTION_PAGE = 20


def case_history(session: Session, case_id: int) -> list[AuditEvent]:
    """Every audit event of a case, oldest first."""
    return session.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id)
                           .order_by(AuditEvent.seq)).all()


def case_history_page(session: Session, case_id: int, page: int = 1, size: int = SECTION_PAGE, *,
                      also: tuple[str, ...] = ()) -> tuple[list[AuditEvent], paging.Window]:
    """One page of a case's audit events, newest first, and its window of pages; the count
    comes with the rows (a window function), and so does every event of the types `also`
    names, kept for `events_of`: the case page reads its audit events once."""
    ranked = (select(AuditEvent, func.count().over().label("total"),
                     func.row_number().over(order_by=AuditEvent.seq.desc()).label("rank"))
              .where(AuditEvent.case_id == case_id).subquery())
    event = aliased(AuditEvent, ranked)

    def read(page: int) -> list:
        chosen = ranked.c.rank.between((page - 1) * size + 1, page * size)
        if also:
            chosen = or_(chosen, among(ranked.c.event_type, also))
        return session.execute(select(event, ranked.c.total, ranked.c.rank).where(chosen)
                               .order_by(ranked.c.rank)).all()
    page = max(1, page)
    rows = read(page)
    total = rows[0].total if rows else 0
    if page > 1 and not any(row.rank > (page - 1) * size for row in rows):  # past the end: the last
        total = total or session.scalar(select(func.count()).where(AuditEvent.case_id == case_id))
        page = paging.numbered(page, total, size).page
        rows = read(page)
    if also:
        remember(session, ("events", case_id, also),
                 [row[0] for row in reversed(rows) if row[0].event_type in also])
    first = (page - 1) * size
    return [row[0] for row in rows if first < row.rank <= first + size], paging.numbered(page, total, size)


def events_of(session: Session, case_id: int, types: tuple[str, ...]) -> list[AuditEvent]:
    """A case's audit events of `types`, oldest first."""
    return remembered(session, ("events", case_id, types), lambda: session.scalars(
        select(AuditEvent).where(AuditEvent.case_id == case_id, among(AuditEvent.event_type, types))
        .order_by(AuditEvent.seq)).all())


def requests_of(session: Session, case_id: int) -> list[GateRequest]:
    return session.scalars(select(GateRequest).where(GateRequest.case_id == case_id)
                           .order_by(GateRequest.id.desc())).all()


def pending_reviews_query(user) -> Select:
    """Pending gate requests on the cases `user` may see, oldest first."""
    return (select(GateRequest).join(Case)
            .options(contains_eager(GateRequest.case).lazyload(Case.members))
            .where(GateRequest.decision == constant("pending"), permissions.visible_cases(user))
            .order_by(GateRequest.requested_at, GateRequest.id))


def pending_reviews(session: Session, user, page: int = 1) -> tuple[list[GateRequest], paging.Window]:
    """One page of the pending gate requests `user` may see, oldest first, and its window of pages."""
    return window_page(session, pending_reviews_query(user), page)


def window_page(session: Session, query: Select, page: int,
                size: int = PAGE_SIZE) -> tuple[list, paging.Window]:
    """Page `page` of an ORM query, with a bounded window of page links over its capped count."""
    total = capped_count(session, query)
    pages = max(1, -(-min(total.count, COUNT_CAP) // size))
    # Past the counted pages only when the count stopped at the cap.
    page = max(1, page) if not total.exact else min(max(1, page), pages)
    window = paging.Window(page=page, pages=max(pages, page), more=not total.exact)
    rows = session.scalars(query.limit(size).offset((window.page - 1) * size)).all()
    return rows, window


#: The most people one choice of people offers: past it, the reader narrows by name.
CANDIDATES_SHOWN = 100


def team_candidates(session: Session, roles=WORKING_ROLES, *, named: str = "",
                    user_id: int | None = None, not_on: int | None = None) -> tuple[list[User], bool]:
    """The first active users by username holding one of `roles`, and whether there are more."""
    holders = select(UserRole.user_id).where(UserRole.role.in_(roles))
    # With its roles in the same statement: SQLAlchemy limits the users, not the joined rows.
    # One more than shown tells there are more.
    query = (select(User).options(joinedload(User.role_rows))
             .where(User.active, User.id.in_(holders)).order_by(User.username)
             .limit(CANDIDATES_SHOWN + 1))
    if user_id is not None:  # the one person a sent form names
        query = query.where(User.id == user_id)
    if named:
        query = query.where(_name_holds(named))
    if not_on is not None:  # nobody already on the team of that case
        query = query.where(~exists().where(CaseMember.case_id == not_on,
                                            CaseMember.user_id == User.id))
    people = list(session.scalars(query).unique())
    return people[:CANDIDATES_SHOWN], len(people) > CANDIDATES_SHOWN


def _name_holds(named: str):
    """A WHERE clause: the user's username or name holds `named`, whatever its case."""
    # Both sides folded by the database, the same way: `%` and `_` typed are letters.
    pattern = "%" + named.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return or_(folded(User.username).like(folded(pattern), escape="\\"),
               folded(User.full_name).like(folded(pattern), escape="\\"))


def users_page(session: Session, page: int, named: str = "") -> tuple[list[User], paging.Window]:
    """One page of the accounts by username, with their roles; those whose name holds `named`."""
    query = select(User).options(selectinload(User.role_rows)).order_by(User.username, User.id)
    return window_page(session, query.where(_name_holds(named)) if named else query, page)


def parse_year(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and 1900 <= int(value) <= clock.today().year else None


def evidence_items(session: Session, case_id: int) -> list[EvidenceItem]:
    """Every evidence item of a case, withdrawn ones included, oldest first."""
    # Custody and analyses joined in the same statement: only samples have analyses, so the
    # rows multiply only for them, by their few laboratories.
    return remembered(session, ("evidence", case_id), lambda: session.scalars(
        select(EvidenceItem).where(EvidenceItem.case_id == case_id)
        .options(joinedload(EvidenceItem.custody), joinedload(EvidenceItem.analyses))
        .order_by(EvidenceItem.id)).unique().all())


def findings_of(session: Session, case_id: int) -> list[Finding]:
    """Every finding of a case with the items it cites, oldest first."""
    # A finding cites only items of its own case (a composite key says so): they are all in
    # the evidence register, loaded first with their custody and analyses, so the citations
    # come in the findings' own statement and load nothing more.
    evidence_items(session, case_id)
    return remembered(session, ("findings", case_id), lambda: session.scalars(
        select(Finding).where(Finding.case_id == case_id)
        .options(joinedload(Finding.cited).lazyload("*"), joinedload(Finding.body).lazyload("*"))
        .order_by(Finding.id)).unique().all())


def current_findings(session: Session, case_id: int) -> dict[str, Finding]:
    """The latest finding of each kind, by kind."""
    return {finding.kind: finding for finding in findings_of(session, case_id)}


def responses_of(session: Session, case_id: int, *, full: bool = False) -> list[Response]:
    """A case's responses with their milestones, oldest first; `full`: with their register
    entries, factors and block too, read for all of them at once (the case page and the gates
    show none of these, so they are read only when asked for)."""
    details = (selectinload(Response.links), selectinload(Response.factor_rows),
               selectinload(Response.block)) if full else (
        lazyload(Response.links), lazyload(Response.factor_rows), lazyload(Response.block))
    return remembered(session, ("responses", case_id, full), lambda: session.scalars(
        select(Response).where(Response.case_id == case_id)
        .options(joinedload(Response.milestones), *details)
        .order_by(Response.id)).unique().all())


def responses_by_cell(session: Session, case_id: int, *,
                      full: bool = False) -> dict[tuple[str, str], list[Response]]:
    """A case's responses, by (level, tool) cell of the menu (`full`: see `responses_of`)."""
    cells: dict[tuple[str, str], list[Response]] = {}
    for response in responses_of(session, case_id, full=full):
        cells.setdefault((response.level, response.tool), []).append(response)
    return cells


def messages_of(session: Session, case_id: int) -> list[DeterrenceMessage]:
    """A case's deterrence messages across every stage, in the order they were said."""
    return remembered(session, ("messages", case_id), lambda: session.scalars(
        select(DeterrenceMessage).where(DeterrenceMessage.case_id == case_id)
        .order_by(DeterrenceMessage.said_on, DeterrenceMessage.id)).all())


def evaluation_of(session: Session, case: Case) -> Evaluation | None:
    """The case's latest evaluation; not read when the case was loaded knowing it has none."""
    return None if case.evaluated is False else latest_evaluation(session, case.id)


def latest_evaluation(session: Session, case_id: int) -> Evaluation | None:
    return remembered(session, ("evaluation", case_id), lambda: session.scalar(
        select(Evaluation).where(Evaluation.case_id == case_id)
        .order_by(Evaluation.id.desc()).limit(1)))


#: The task lists' order: overdue, then soonest due, then those with no date; ids break ties.
TASK_ORDER = (Task.due_on.is_(None), Task.due_on, Task.id)


def _my_tasks_query(user) -> Select:
    return (select(Task).join(Case, Task.case_id == Case.id).options(contains_eager(Task.case))
            .where(Task.assignee_id == user.id, Task.status.in_(("open", "in_progress")),
                   permissions.visible_cases(user)))


def _my_queues_query(user) -> Select | None:
    work_roles = [role for role in user.roles if role != "auditor" and role != "admin"]
    if not work_roles:
        return None
    return (select(Task).join(Case, Task.case_id == Case.id).options(contains_eager(Task.case))
            .where(Task.status == "open", Task.assignee_id.is_(None), Task.role.in_(work_roles),
                   Case.state != "closed", permissions.visible_cases(user)))


def my_tasks(session: Session, user, page: int = 1) -> tuple[list[Task], paging.Window]:
    """Open tasks assigned to `user` on cases they may see, overdue (then soonest due) first:
    one page, and its window of pages."""
    return window_page(session, _my_tasks_query(user).order_by(*TASK_ORDER), page)


def my_queues(session: Session, user, page: int = 1) -> tuple[list[Task], paging.Window]:
    """Unclaimed open tasks of the user's roles, on cases they may see and work on: one page."""
    query = _my_queues_query(user)
    if query is None:
        return [], paging.Window(page=1, pages=1)
    return window_page(session, query.order_by(*TASK_ORDER), page)


def tasks_after(session: Session, user, which: str, after_id: int | None, limit: int) -> list[Task]:
    """A keyset page of `user`'s tasks ("mine") or queues ("queues") in the lists' order, after
    the task `after_id` (for the API's cursor pages): the page continues from that task's place
    even if it has since been done or claimed."""
    query = _my_tasks_query(user) if which == "mine" else _my_queues_query(user)
    if query is None:
        return []
    if after_id is not None:
        # Tasks are never deleted: a cursor this API gave names one that exists.
        cursor = session.execute(select(Task.due_on).where(Task.id == after_id)).first()
        if cursor is None:
            return []
        if cursor.due_on is None:
            query = query.where(Task.due_on.is_(None), Task.id > after_id)
        else:
            query = query.where(or_(Task.due_on.is_(None), Task.due_on > cursor.due_on,
                                    (Task.due_on == cursor.due_on) & (Task.id > after_id)))
    return session.scalars(query.order_by(*TASK_ORDER).limit(limit)).all()


#: Built once: it runs in every gate command's checklist.
_TASKS_OF = select(Task).where(Task.case_id == bindparam("case_id")).order_by(Task.id)


def tasks_of(session: Session, case_id: int) -> list[Task]:
    return remembered(session, ("tasks", case_id), lambda: session.scalars(
        _TASKS_OF, {"case_id": case_id}).all())


def navigation_counts(session: Session, user) -> dict[str, int]:
    """The numbers shown in the navigation: one's open tasks, reviews waiting for supervisors,
    and unread notifications; read with the signed-in user (views/auth.py), else here."""
    return remembered(session, ("navigation", user.id), lambda: session.execute(
        select(*navigation_columns(literal(user.id)))).one()._asdict())


def navigation_columns(user_id) -> list:
    """The navigation's counts as columns for the user whose id is `user_id` (a column or a
    value), whatever their roles: they are read in the statement that loads the user."""
    tasks = (select(func.count()).select_from(Task)
             .where(Task.assignee_id == user_id, among(Task.status, OPEN_TASK_STATUSES),
                    permissions.sees_case(user_id, Task.case_id)))
    reviews = (select(func.count()).select_from(GateRequest)
               .where(GateRequest.decision == constant("pending"),
                      GateRequest.requested_by_id != user_id,
                      exists().where(UserRole.user_id == user_id,
                                     among(UserRole.role,
                                           permissions.roles_for(permissions.DECIDE_GATE))
                                     ).correlate_except(UserRole),
                      permissions.sees_case(user_id, GateRequest.case_id)))
    unread = (select(func.count()).select_from(Notification)
              .where(Notification.user_id == user_id, Notification.read_at.is_(None)))
    return [tasks.scalar_subquery().label("tasks"), reviews.scalar_subquery().label("reviews"),
            unread.scalar_subquery().label("unread")]


def remember(session: Session, key: tuple, value) -> None:
    """Keep `value` as what `remembered(session, key, …)` loads, in a read session."""
    memo = session.info.get("remembered")
    if memo is not None:
        memo[key] = value


def remembered(session: Session, key: tuple, load):
    """`load()`, once per page: a read session remembers what it loaded (see views/db.py), so
    the checklists and the sections of the case page read each list of records once. A write
    transaction remembers nothing: it reads what is there now."""
    memo = session.info.get("remembered")
    if memo is None:
        return load()
    if key not in memo:
        memo[key] = load()
    return memo[key]


def cases_after(session: Session, user, filters: CaseFilters, after_id: int | None,
                limit: int) -> list:
    """A keyset page of the cases `user` may see that match the filters: newest first, after
    `after_id`, each with the target of its pending request (for the API's cursor pages)."""
    query = (select(Case, _pending_target().label("pending_target"))
             .where(*_conditions(session, user, filters)).order_by(Case.id.desc()).limit(limit))
    if after_id is not None:
        query = query.where(Case.id < after_id)
    return session.execute(query).all()


def record_events(session: Session, case_id: int, entity_type: str, entity_id) -> list[AuditEvent]:
    """The audit events of one record of a case (a response, an evidence item …), oldest first."""
    return session.scalars(select(AuditEvent).where(
        AuditEvent.case_id == case_id, AuditEvent.entity_type == entity_type,
        AuditEvent.entity_id == str(entity_id)).order_by(AuditEvent.seq)).all()


def decided_reviews(session: Session, user, page: int = 1) -> tuple[list[GateRequest], paging.Window]:
    """One page of the decided (and withdrawn) gate requests on the cases `user` may see,
    latest decision first, and its window of pages."""
    return window_page(session, select(GateRequest).join(Case)
                       .options(contains_eager(GateRequest.case).lazyload(Case.members))
                       .where(GateRequest.decision != "pending", permissions.visible_cases(user))
                       .order_by(GateRequest.decided_at.desc(), GateRequest.id.desc()), page)
