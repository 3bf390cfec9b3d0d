"""The search page: every record of the cases this user may see, found by its words."""
from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from wtforms import HiddenField, IntegerField, SelectChoice, SelectField, StringField
from wtforms.validators import Length, Optional, ValidationError

from views import db
from views.commands import beside, sentence
from views.forms import CheckboxesField, Form
from views.language import country_choices
from views.words import page_url
from workflow import cases, clock, paging, permissions, queries, search
from workflow.errors import WorkflowError
from workflow.fields import EARLIEST
from workflow.pathway import LABELS, STAGES

blueprint = Blueprint("search", __name__, url_prefix="/search")
#: Where a record of each kind is read: its own page, or its section of the case page.
PAGES = {"case": "cases.detail", "evidence": "evidence.detail", "response": "menu.response"}
ID_NAMES = {"evidence": "evidence_id", "response": "response_id"}
SECTIONS = {"finding": "findings", "message": "messages"}


class SearchForm(Form):
    """The words and the filters; read from the query string, so no CSRF token."""

    class Meta:
        csrf = False

    q = StringField(_l("Words to find"), validators=[Length(max=500)],
                    description=_l("Every word must appear in a record; end a word with * to "
                                    "find the words it begins."))
    stage = SelectField(_l("Stage"), choices=[SelectChoice("", _l("Any stage")),
                                          *(SelectChoice(s, LABELS[s]) for s in STAGES)],
                        default="")
    country = SelectField(_l("Country"), choices=[], default="")
    year = IntegerField(_l("Year of the incident"), validators=[Optional()])
    kind = CheckboxesField(_l("Kinds of record"), choices=[SelectChoice(s.kind, s.name)
                                                      for s in search.SOURCES])
    case = HiddenField()

    def validate_year(self, field) -> None:
        # Only a year that was read as a number: "twenty" is refused once, for not being one.
        if field.data is not None and not EARLIEST.year <= field.data <= clock.today().year:
            raise ValidationError(_("a year from %(earliest)s to %(latest)s",
                                    earliest=EARLIEST.year, latest=clock.today().year))


@blueprint.before_request
def only_case_roles():
    """Search reads case content: for the roles that see cases, never for admins."""
    if not permissions.can(current_user, permissions.VIEW_CASE):
        abort(403, description=permissions.needs(permissions.VIEW_CASE))


@blueprint.route("")
def index():
    """The cases with matching records, grouped, with highlighted snippets and filters."""
    session = db.session()
    form = SearchForm(request.args)
    form.country.choices = [SelectChoice("", _("Any country")),
                            *(SelectChoice(code, name, render_kw={"dir": "auto"})
                              for code, name in country_choices(queries.countries(session, current_user)))]
    results, within, status = None, None, 200
    if form.q.data and form.validate():
        try:
            within = cases.by_reference(session, current_user, form.case.data) if form.case.data else None
        except WorkflowError as refused:
            form.case.errors = [beside(sentence(refused), "case")]
        else:
            results = search.find(session, current_user, search.Filters(
                text=form.q.data, stage=form.stage.data or "", country=form.country.data or "",
                year=form.year.data, kinds=tuple(form.kind.data or ()),
                case_id=within.id if within else None, page=request.args.get("page", 1, type=int)))
    if form.errors:
        status = 400
    elif results is not None and results.complete and results.page > max(1, results.pages):
        # A page past the last (an old link, a typed number): the last page, with the filters.
        return redirect(page_url("search.index", page=max(1, results.pages)))
    pages = None if results is None else paging.Window(
        page=results.page, pages=max(results.pages, results.page), more=not results.complete)
    return render_template("search/index.html", form=form, results=results, within=within,
                           pages=pages, link=link), status


def link(case_id: int, hit: search.Hit) -> str:
    """Where to read a matching record."""
    if hit.kind in PAGES:
        ids = {ID_NAMES[hit.kind]: hit.record_id} if hit.kind in ID_NAMES else {}
        return url_for(PAGES[hit.kind], case_id=case_id, **ids)
    return url_for("cases.detail", case_id=case_id, _anchor=SECTIONS.get(hit.kind, f"{hit.kind}s"))
