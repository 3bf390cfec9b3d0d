"""The audit log over the API (auditors, and supervisors for the cases they see): events with
filters and keyset pages, a case's events, the latest checkpoint; and the dashboard's figures."""
from __future__ import annotations

import json

from flask import g, request

from views import db
from views.api import schemas
from views.api.operation import actor, answer, operation, query, url
from workflow import audit_log, cases, dashboard, transparency
from workflow.errors import NotFound

TAGS = ("audit",)


def event_body(event) -> schemas.AuditEvent:
    return schemas.AuditEvent(
        **{name: getattr(event, name) for name in (
            "seq", "at", "actor_id", "actor_username", "case_id", "event_type", "entity_type",
            "entity_id", "from_state", "to_state", "hash", "prev_hash")},
        actor_roles=[role for role in (event.actor_roles or "").split(",") if role],
        details=json.loads(event.payload).get("details", {}))


def _events_page(endpoint: str, filters: audit_log.EventFilters, params, **path) -> tuple:
    events = audit_log.search(db.session(), actor(), filters, params.before, params.limit)
    older = events[-1].seq if len(events) == params.limit else None
    links = [(url(endpoint, **path, **{**request.args.to_dict(), "before": older}), "next")] \
        if older else []
    return answer(schemas.AuditPage(items=[event_body(e) for e in events], next_before=older),
                  links=links)


@operation("/audit/events", scope="audit", query=schemas.AuditQuery, answer=schemas.AuditPage,
           tags=TAGS)
def list_audit_events():
    """Events newest first, filtered by case, actor, type and time; `before` pages back by seq."""
    params = query()
    filters = audit_log.EventFilters(case_id=params.case, actor=params.actor or "",
                                     event_type=params.type or "", since=params.since,
                                     until=params.until)
    return _events_page("list_audit_events", filters, params)


@operation("/cases/<id:case_id>/audit-events", scope="audit", query=schemas.AuditQuery,
           answer=schemas.AuditPage, tags=TAGS)
def case_audit_events(case_id: int):
    """A case's events, newest first, with the same filters and pages."""
    cases.load_case(db.session(), case_id, actor())
    params = query()
    filters = audit_log.EventFilters(case_id=case_id, actor=params.actor or "",
                                     event_type=params.type or "", since=params.since,
                                     until=params.until)
    return _events_page("case_audit_events", filters, params, case_id=case_id)


@operation("/audit/checkpoint", scope="audit", answer=schemas.Checkpoint, tags=TAGS)
def latest_checkpoint():
    """The latest signed checkpoint (C2SP signed note) of the log; 404 when none is signed."""
    checkpoint = transparency.latest_checkpoint(db.session())
    if checkpoint is None:
        raise NotFound("No checkpoint is signed yet (the log has no signing key, or no event).")
    return answer(schemas.Checkpoint.model_validate(checkpoint))


@operation("/dashboard", query=schemas.DashboardQuery, answer=schemas.Dashboard, tags=("dashboard",))
def get_dashboard():
    """Where the pathway stalls, across the cases you may see: the dashboard's figures."""
    params = query()
    figures = dashboard.figures(db.session(), actor(), dashboard.Filters(
        year=params.year, country=params.country or "", stall_days=params.stall_days))
    return answer(schemas.Dashboard(
        funnel=figures.funnel,
        durations={stage: {"stays": n, "median_days": m, "p90_days": p}
                   for stage, (n, m, p) in figures.durations.items()},
        stalled=[{"days_idle": d, "case_id": i, "reference": r, "title": t, "stage": s}
                 for d, i, r, t, s in figures.stalled],
        rejections=[{"from": a, "to": b, "decided": n, "rejected": r, "rejection_rate": rate}
                    for a, b, n, r, rate in figures.rejections],
        coverage=[{"level": level, "tool": tool, **counts}
                  for (level, tool), counts in sorted(figures.coverage.items())],
        attributed=figures.attributed, binding=figures.binding,
        repeat_use=[{"responsible_party": p, "evaluated_cases": n, "repeat_use": r}
                    for p, n, r in figures.repeat_use]))


@operation("/me", answer=schemas.Me, tags=("tokens",), sees_cases=False)
def me():
    """Who this token acts as: the user, their roles now, the token's scopes and expiry."""
    token, who = g.api_token, actor()
    return answer(schemas.Me(user_id=who.id, username=who.username, roles=list(who.roles),
                             token_name=token.name, token_prefix=token.prefix,
                             scopes=token.scope_list, expires_at=token.expires_at))
