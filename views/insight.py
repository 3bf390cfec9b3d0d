"""Insight: who used chemical weapons, what answered them and what was blocked, across the
cases this user may see."""
from __future__ import annotations

from xml.etree import ElementTree

from flask import Blueprint, Response, abort, render_template
from pygal_maps_world.maps import World
from flask_babel import gettext as _
from flask_login import current_user

from views import db
from views.exports import csv_response, headers
from views.headers import allow_inline_styles
from views.language import country_name
from workflow import insight, permissions
from workflow.menu import LEVELS, TOOLS
from vocabulary import CELLS, FACTORS, PRESSURES, STRATEGIES

blueprint = Blueprint("insight", __name__)
TABLES = ("parties", "blocked_by_forum", "blocked_by_blocker", "unbound", "trends", "strategies",
          "levels", "coalitions", "timeline", "places")


def _require_viewer() -> None:
    if not permissions.can(current_user, permissions.VIEW_CASE):
        abort(403, description=permissions.needs(permissions.VIEW_CASE))


@blueprint.route("/insight")
def index():
    """Insight on the record: parties, clipped pathways, factor trends, strategies, coalitions, timeline."""
    _require_viewer()
    return render_template("insight/index.html", figures=insight.insight(db.session(), current_user),
                           sees_all=permissions.sees_all_cases(current_user),
                           LEVELS=LEVELS, TOOLS=TOOLS, FACTORS=FACTORS, PRESSURES=PRESSURES,
                           STRATEGIES=STRATEGIES)


def rows_of(figures: insight.Insight, table: str) -> list[list]:
    """An insight table as rows, header first (the header in the reader's language)."""
    if table == "parties":
        return [[*headers("party", "uses", "attributions", "bound_uses"), *[f"{level}:{tool}" for level, tool in CELLS],
                 *headers("in_force", "blocked", "repeat_after_binding", "uneven_cells")],
                *[[p.name, p.uses, p.attributions, p.bound, *[p.cells.get(cell, 0) for cell in CELLS],
                   p.in_force, p.blocked, p.repeat_after_binding,
                   ";".join(f"{level}:{tool}" for level, tool in p.uneven)] for p in figures.parties]]
    if table in ("blocked_by_forum", "blocked_by_blocker"):
        column = "forum" if table == "blocked_by_forum" else "blocked_by"
        return [headers(column, "blocked"), *[[name or "", n] for name, n in getattr(figures, table)]]
    if table == "unbound":
        return [headers("reference", "title", "occurred_on", "outcome"),
                *[[ref, title, day.isoformat() if day else "", outcome or ""]
                  for _id, ref, title, day, outcome in figures.unbound]]
    if table == "trends":
        return [headers("year", "measure", "average", "ratings"),
                *[[year, measure, round(average, 3), n] for year, measures in figures.trends.items()
                  for measure in (*FACTORS, *PRESSURES) if measure in measures
                  for average, n in [measures[measure]]]]
    if table == "strategies":
        return [headers("strategy", "level", "responses"),
                *[[tag, level, by_level[level]] for tag, by_level in
                  [*figures.strategies.items(), ("none", figures.unmarked)]
                  for level in LEVELS if level in by_level]]
    if table == "levels":
        return [headers("level", "responses"), *[[level, n] for level, n in figures.levels.items()]]
    if table == "coalitions":
        return [headers("actors", "responses"), *[list(row) for row in figures.coalitions]]
    if table == "places":
        return [headers("country", "name", "cases"),
                *[[code, country_name(code), count] for code, count in figures.places]]
    return [headers("year", "agent", "cases"),
            *[[year, agent, n] for year, agents in figures.timeline.items() for agent, n in agents.items()]]


@blueprint.route("/insight/map.svg")
def world_map():
    """The cases per country on a world map, drawn here (no tiles from elsewhere, no script);
    the page shows it as an image beside its table."""
    _require_viewer()
    allow_inline_styles()  # pygal styles the map it draws inside the SVG
    chart = World(show_legend=False, js=[], disable_xml_declaration=True, no_prefix=True,
                  explicit_size=False, width=800, height=420)
    chart.add(_("Cases"), {code.lower(): count for code, count in insight.places(db.session(), current_user)})
    drawing = chart.render_tree()
    for defs in drawing.iter("defs"):  # pygal writes its settings for its tooltips' script
        for script in defs.findall("script"):
            defs.remove(script)
    return Response(ElementTree.tostring(drawing, encoding="unicode"), mimetype="image/svg+xml")


@blueprint.route("/insight/<table>.csv")
def export_table(table: str):
    """One table of the insight page, as CSV: every row."""
    if table not in TABLES:
        abort(404, description=_("No such table; tables are %(tables)s.", tables=", ".join(TABLES)))
    _require_viewer()
    return csv_response(rows_of(insight.insight(db.session(), current_user, unbound_shown=None), table),
                        f"insight-{table}")
