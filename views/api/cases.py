"""Cases over the API: the list (cursor pages), one case with its team, checklist and commands,
opening and editing, the team, gate requests and their decisions, reopening."""
from __future__ import annotations

from flask import request

from views import db
from views.api import cursors, schemas
from views.api.operation import actor, answer, body, change, operation, query, url, write
from workflow import cases, pathway, permissions, queries, reviews
from workflow.errors import NotFound

TAGS = ("cases",)
GATE_TAGS = ("gates",)
#: From a case just opened (or read) to the commands on it: the client follows these.
CASE_LINKS = {
    "GetCase": {"operationId": "get_case", "parameters": {"case_id": "$response.body#/id"}},
    "RequestGate": {"operationId": "request_gate", "parameters": {
        "case_id": "$response.body#/id", "header.If-Match": "$response.header.ETag"}},
    "AddEvidence": {"operationId": "add_evidence", "parameters": {
        "case_id": "$response.body#/id", "header.If-Match": "$response.header.ETag"}},
}


def gate_request(request_row) -> schemas.GateRequestOut:
    return schemas.GateRequestOut(
        id=request_row.id, from_state=request_row.from_state, target=request_row.target,
        requested_by=request_row.requested_by.username, requested_at=request_row.requested_at,
        note=request_row.note, decision=request_row.decision,
        decided_by=request_row.decided_by.username if request_row.decided_by else None,
        decided_at=request_row.decided_at, reason=request_row.reason,
        checklist=request_row.checklist_items)


def case_body(case_id: int) -> schemas.Case:
    """The case as the caller may see it now, read after any change was committed."""
    session, who = db.session(), actor()
    case = cases.load_case(session, case_id, who)
    pending = cases.pending_request(session, case.id)
    checklists = [pathway.checklist(session, case, target)
                  for target in pathway.GATES.get(case.state, ())]
    return schemas.Case(
        **{name: getattr(case, name) for name in (
            "id", "reference", "title", "occurred_on", "occurred_precision", "country", "place",
            "suspected_agent", "delivery_means", "deaths", "injured", "summary", "targeted", "outcome",
            "version", "source_id", "history_imported", "opened_at", "closed_at")},
        latitude=case.latitude, longitude=case.longitude, stage=case.state,
        strategies=case.strategy_list, suspects=[entry.name for entry in case.suspects],
        team=[schemas.Member(user_id=m.user_id, username=m.user.username, case_role=m.case_role)
              for m in sorted(case.members, key=lambda m: m.user.username)],
        pending_request=gate_request(pending) if pending else None,
        checklists=[schemas.Checklist(target=c.target, all_met=c.all_met, items=c.snapshot())
                    for c in checklists],
        available={name: schemas.Allowed(ok=allowed.ok, reason=allowed.reason)
                   for name, allowed in permissions.available(case, who, pending).items()})


def case_answer(case_id: int, status: int = 200):
    case = case_body(case_id)
    return answer(case, status, version=case.version,
                  location=url("get_case", case_id=case_id) if status == 201 else None)


@operation("/cases", query=schemas.CaseQuery, answer=schemas.CasePage, tags=TAGS)
def list_cases():
    """The cases you may see, newest first, filtered; one page, and the cursor of the next."""
    params = query()
    filters = queries.CaseFilters(stage=params.stage or "", country=params.country or "",
                                  agent=params.agent or "", year=params.year, text=params.q or "")
    rows = queries.cases_after(db.session(), actor(), filters, cursors.after(params.cursor), params.limit + 1)
    more = len(rows) > params.limit
    rows = rows[:params.limit]
    page = schemas.CasePage(items=[schemas.CaseSummary(
        id=case.id, reference=case.reference, title=case.title, stage=case.state,
        country=case.country, occurred_on=case.occurred_on, suspected_agent=case.suspected_agent,
        version=case.version, under_review=target) for case, target in rows],
        next_cursor=cursors.cursor(rows[-1][0].id) if more else None)
    links = []
    if page.next_cursor:
        arguments = {**request.args.to_dict(), "cursor": page.next_cursor, "limit": params.limit}
        links.append((url("list_cases", **arguments), "next"))
    return answer(page, links=links)


@operation("/cases", "POST", scope="write", json=schemas.CaseOpen, answer=schemas.Case,
           status=201, tags=TAGS, etag=True, links=CASE_LINKS, action=permissions.OPEN_CASE)
def open_case():
    """Open a case in `reported`; if you work cases, you join its team."""
    fields = body().model_dump(exclude_unset=True)
    source_id = fields.pop("source_id", None)
    case_id = write(lambda session: cases.open_case(session, actor(), source_id=source_id,
                                                    **fields).id)
    return case_answer(case_id, 201)


@operation("/cases/<id:case_id>", answer=schemas.Case, tags=TAGS, etag=True)
def get_case(case_id: int):
    """A case: its details, team, stage, version (ETag), pending request, the checklists of
    the gates out of its stage, and every command with whether you may take it now and why not."""
    return case_answer(case_id)


@operation("/cases/<id:case_id>", "PATCH", scope="write", json=schemas.CaseFields,
           answer=schemas.Case, tags=TAGS, versioned=True, action=permissions.EDIT_CASE)
def update_case(case_id: int):
    """Change the details of a case (only the fields sent)."""
    change(cases.update_case, case_id, body().model_dump(exclude_unset=True))
    return case_answer(case_id)


@operation("/cases/<id:case_id>/team/<id:user_id>", "PUT", scope="write",
           json=schemas.TeamMember, answer=schemas.Case, tags=TAGS, versioned=True,
           action=permissions.MANAGE_TEAM)
def put_member(case_id: int, user_id: int):
    """Put a user on the team with a case role (naming a lead replaces the old one)."""
    change(cases.set_member, case_id, user_id=user_id)
    return case_answer(case_id)


@operation("/cases/<id:case_id>/team/<id:user_id>", "DELETE", scope="write",
           answer=schemas.Case, tags=TAGS, versioned=True, action=permissions.MANAGE_TEAM)
def remove_member(case_id: int, user_id: int):
    """Take a user off the team; they lose sight of the case at once."""
    change(cases.remove_member, case_id, user_id=user_id)
    return case_answer(case_id)


# --- gates ------------------------------------------------------------------------------------------

def _request_of(case_id: int, request_id: int):
    """The gate request, if it is one of this case and the caller may see the case."""
    session = db.session()
    cases.load_case(session, case_id, actor())
    found = next((r for r in queries.requests_of(session, case_id) if r.id == request_id), None)
    if found is None:
        raise NotFound("No such gate request on this case.")
    return found


@operation("/cases/<id:case_id>/gate-requests", answer=schemas.GateRequestList, tags=GATE_TAGS)
def list_gate_requests(case_id: int):
    """Every gate request of a case, newest first, with the checklist it was made on."""
    cases.load_case(db.session(), case_id, actor())
    return answer(schemas.GateRequestList(
        items=[gate_request(r) for r in queries.requests_of(db.session(), case_id)]))


@operation("/cases/<id:case_id>/gate-requests", "POST", scope="write",
           json=schemas.GateRequestIn, answer=schemas.GateRequestOut, status=201, tags=GATE_TAGS,
           versioned=True, links={
               "ApproveGate": {"operationId": "approve_gate", "parameters": {
                   "case_id": "$request.path.case_id", "request_id": "$response.body#/id",
                   "header.If-Match": "$response.header.ETag"}},
               "WithdrawGate": {"operationId": "withdraw_gate", "parameters": {
                   "case_id": "$request.path.case_id", "request_id": "$response.body#/id",
                   "header.If-Match": "$response.header.ETag"}}}, action=permissions.REQUEST_GATE)
def request_gate(case_id: int):
    """Ask for the gate to `target`: every requirement must be met now (a 422 lists the unmet)."""
    request_id = change(reviews.request_gate, case_id).id
    found = _request_of(case_id, request_id)
    return answer(gate_request(found), 201,
                  version=cases.load_case(db.session(), case_id, actor()).version,
                  location=url("get_gate_request", case_id=case_id, request_id=request_id))


@operation("/cases/<id:case_id>/gate-requests/<id:request_id>",
           answer=schemas.GateRequestOut, tags=GATE_TAGS)
def get_gate_request(case_id: int, request_id: int):
    """One gate request and its decision."""
    return answer(gate_request(_request_of(case_id, request_id)))


def _decide(case_id: int, request_id: int, command):
    """A decision on one of this case's requests; the answer is the case as it is now."""
    _request_of(case_id, request_id)
    change(command, request_id)
    return case_answer(case_id)


@operation("/cases/<id:case_id>/gate-requests/<id:request_id>/approve", "POST", scope="write",
           json=schemas.Decision, answer=schemas.Case, tags=GATE_TAGS, versioned=True,
           action=permissions.DECIDE_GATE)
def approve_gate(case_id: int, request_id: int):
    """Approve a request (a supervisor who did not make it): the requirements are checked
    again, then the case moves to the target."""
    return _decide(case_id, request_id, reviews.approve_gate)


@operation("/cases/<id:case_id>/gate-requests/<id:request_id>/reject", "POST", scope="write",
           json=schemas.Decision, answer=schemas.Case, tags=GATE_TAGS, versioned=True,
           action=permissions.DECIDE_GATE)
def reject_gate(case_id: int, request_id: int):
    """Reject a request with a written reason; the case stays in its stage."""
    return _decide(case_id, request_id, reviews.reject_gate)


@operation("/cases/<id:case_id>/gate-requests/<id:request_id>/withdraw", "POST", scope="write",
           answer=schemas.Case, tags=GATE_TAGS, versioned=True, action=permissions.WITHDRAW_GATE)
def withdraw_gate(case_id: int, request_id: int):
    """The requester takes their request back."""
    return _decide(case_id, request_id, reviews.withdraw_gate)


@operation("/cases/<id:case_id>/reopen", "POST", scope="write", json=schemas.Reopen,
           answer=schemas.Case, tags=GATE_TAGS, versioned=True, action=permissions.REOPEN)
def reopen(case_id: int):
    """Send a case back to an earlier stage, with a reason (supervisors)."""
    change(reviews.reopen, case_id)
    return case_answer(case_id)
