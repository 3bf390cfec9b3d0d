"""The dashboard: where accountability stalls, across the cases this user may see."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from views import db, list_filters
from views.exports import csv_response, headers
from views.language import country_choices, translated
from workflow import countries, dashboard, permissions, queries
from workflow.menu import LEVELS, TOOLS
from workflow.pathway import STAGES

blueprint = Blueprint("main", __name__)
TABLES = ("funnel", "durations", "stalled", "rejections", "coverage", "repeat_use")


def _filters(errors: list_filters.Errors) -> dashboard.Filters:
    """The dashboard's filters; a bad year or number of days is put in `errors`."""
    args = request.args
    return dashboard.Filters(year=list_filters.year(args, errors), country=countries.wanted(args.get("country")),
                             stall_days=list_filters.days(args, errors, "stall_days", 90))


@blueprint.route("/")
def index():
    """The signed-in user's starting page: the pathway across cases, and reviews waiting."""
    if not permissions.can(current_user, permissions.VIEW_CASE):
        return render_template("main/index.html", sees_cases=False)
    session, errors = db.session(), list_filters.Errors()
    filters = _filters(errors)
    return render_template(
        "main/index.html", sees_cases=True, filters=filters, errors=errors, LEVELS=LEVELS, TOOLS=TOOLS,
        figures=dashboard.figures(session, current_user, filters),
        countries=country_choices(queries.countries(session, current_user)), years=queries.years(session, current_user),
        reviews=(queries.capped_count(session, queries.pending_reviews_query(current_user))
                 if permissions.can(current_user, permissions.DECIDE_GATE) else None)), errors.status


def rows_of(figures: dashboard.Figures, table: str) -> list[list]:
    """A dashboard table as rows, header first (the header in the reader's language)."""
    if table == "funnel":
        return [headers("stage", "cases"), *[[s, figures.funnel.get(s, 0)] for s in STAGES]]
    if table == "durations":
        return [headers("stage", "stays", "median_days", "p90_days"),
                *[[s, n, round(m, 1), round(p, 1)] for s, (n, m, p) in figures.durations.items()]]
    if table == "stalled":
        return [headers("days_idle", "reference", "title", "stage"),
                *[[d, ref, title, stage] for d, _case, ref, title, stage in figures.stalled]]
    if table == "rejections":
        return [headers("from", "to", "decided", "rejected", "rejection_rate"),
                *[[a, b, n, r, round(rate, 3)] for a, b, n, r, rate in figures.rejections]]
    if table == "coverage":
        return [headers("level", "tool", "proposed", "adopted", "implemented", "blocked", "withdrawn", "lapsed"),
                *[[level, tool, *[figures.coverage.get((level, tool), {}).get(s, 0) for s in
                                  ("proposed", "adopted", "implemented", "blocked", "withdrawn", "lapsed")]]
                  for level in LEVELS for tool in TOOLS]]
    return [headers("responsible_party", "evaluated_cases", "repeat_use"), *[list(r) for r in figures.repeat_use]]


@blueprint.route("/dashboard/<table>.csv")
def export_table(table: str):
    """One table of the dashboard, as CSV, with the dashboard's filters."""
    if table not in TABLES:
        abort(404, description=_("No such table; tables are %(tables)s.", tables=", ".join(TABLES)))
    if not permissions.can(current_user, permissions.VIEW_CASE):
        abort(403, description=permissions.needs(permissions.VIEW_CASE))
    errors = list_filters.Errors()
    filters = _filters(errors)
    if errors:
        abort(400, description=" ".join(translated(error) for error in errors.values()))
    figures = dashboard.figures(db.session(), current_user, filters, stalled_shown=None)
    return csv_response(rows_of(figures, table), table)
