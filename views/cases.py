"""Case pages: the list, opening and editing a case, the case page, gates, reopen, team."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from models.case import AGENTS
from views import db, list_filters
from views.exports import csv_response
from views.access import current_actor
from views.language import country_choices, country_name, translated
from views.commands import Page, deferred, kept, run, sentence
from views.case_forms import (
    CaseEditForm,
    DecisionForm,
    GateRequestForm,
    OpenCaseForm,
    RemoveMemberForm,
    ReopenForm,
    TeamMemberForm,
    WithdrawForm,
)
from views.menu_forms import MessageForm
from views.record_pages import case_context, member_choices
from views.task_forms import task_forms
from workflow import (cases, clock, consistency, corrections, countries, links, paging, pathway,
                      permissions, queries, reviews)
from workflow.custody import chain_breaks
from workflow.errors import WorkflowError
from workflow.menu import LEVELS, TOOLS
from workflow.pathway import GATES, LABELS, STAGES, reopen_targets

blueprint = Blueprint("cases", __name__, url_prefix="/cases")


@blueprint.before_request
def only_case_roles():
    """Case pages are for the roles that may see cases; admins see no case content."""
    if not permissions.can(current_user, permissions.VIEW_CASE):
        abort(403, description=permissions.needs(permissions.VIEW_CASE))


def load_case_for(case_id: int, action: str | None = None):
    """The case (404 if this user may not see it), and 403 if they may not take `action` on it."""
    case = cases.load_case(db.session(), case_id, current_user)
    if action and not permissions.can(current_user, action, case):
        abort(403, description=permissions.needs(action))
    return case


@blueprint.app_context_processor
def pathway_names():
    return {"STAGES": STAGES, "STAGE_LABELS": LABELS, "AGENTS": AGENTS}


def _case_filters(args, errors: list_filters.Errors) -> queries.CaseFilters:
    """The list's filters; a bad stage, agent or year is put in `errors`, beside its field."""
    return queries.CaseFilters(
        stage=list_filters.choice(args, errors, "stage", STAGES, "Stage"),
        country=countries.wanted(args.get("country")),
        agent=list_filters.choice(args, errors, "agent", AGENTS, "Agent"),
        year=list_filters.year(args, errors), text=args.get("q", ""),
        sort=args.get("sort", "opened") if args.get("sort") in queries.SORTS else "opened",
        descending=args.get("dir", "desc") != "asc",
        after=_case_id(args.get("after")), before=_case_id(args.get("before")))


def _case_id(value: str | None) -> int | None:
    """A keyset cursor: whole numbers only, already bounded by `views.bounds`."""
    return int(value) if value else None


@blueprint.route("")
def index():
    """The cases this user may see, filtered, sorted and paged."""
    session, errors = db.session(), list_filters.Errors()
    filters = _case_filters(request.args, errors)
    # With a filter it cannot read, the list shows nothing rather than more than was asked for.
    result = queries.CasePage() if errors else queries.search_cases(session, current_user, filters)
    return render_template("cases/index.html", result=result, filters=filters, errors=errors,
                           countries=country_choices(queries.countries(session, current_user)),
                           years=queries.years(session, current_user),
                           may_open=permissions.can(current_user, permissions.OPEN_CASE)), errors.status


@blueprint.route("/export.csv")
def export_list():
    """The case list with its filters, every page, as CSV."""
    errors = list_filters.Errors()
    filters = _case_filters(request.args, errors)
    if errors:
        abort(400, description=" ".join(errors.values()))
    rows = [["reference", "title", "country", "occurred_on", "stage", "under_review", "source_id"]]
    for case, pending_target in queries.all_cases(db.session(), current_user, filters):
        rows.append([case.reference, case.title, case.country, case.occurred_on or "", case.state,
                     pending_target or "", case.source_id or ""])
    return csv_response(rows, "cases")


@blueprint.route("/new", methods=["GET", "POST"])
def new():
    """Open a case in the reported stage."""
    if not permissions.can(current_user, permissions.OPEN_CASE):
        abort(403, description=permissions.needs(permissions.OPEN_CASE))
    form = OpenCaseForm()

    def page(refusal=None, duplicates=()):
        return render_template("cases/form.html", form=form, case=None, refusal=refusal,
                               duplicates=duplicates)

    def open_case(write):
        case = cases.open_case(write, current_actor(), **form.case_fields())
        return case.id, case.reference
    if request.method == "GET":
        return page()
    if form.validate_on_submit() and not form.not_duplicate.data:
        # The same incident may be a case already: it is listed before anything is saved.
        fields = form.case_fields()
        duplicates = links.possible_duplicates(
            db.session(), current_user, occurred_on=fields["occurred_on"],
            country=fields["country"] or "", place=fields["place"] or "",
            latitude=fields["latitude"], longitude=fields["longitude"])
        if duplicates:
            return page(duplicates=duplicates)
    outcome = run(form, open_case, page)
    if outcome.refused:
        return outcome.page
    case_id, reference = outcome.value
    flash(_("Case %(reference)s opened.", reference=reference), "success")
    return redirect(url_for("cases.detail", case_id=case_id))


def render_case_page(case_id: int, refused: WorkflowError | None = None):
    """The case page, optionally with a refusal (and the unmet requirements) at the top."""
    session = db.session()
    case, pending = cases.load_case_under_review(session, case_id, current_user)
    checklists = [pathway.checklist(session, case, target) for target in GATES.get(case.state, ())]
    commands = permissions.for_page(current_user, permissions.available(case, current_user, pending))
    return render_template(
        "cases/detail.html", case=case, pending=pending, checklists=checklists, commands=commands,
        **_sections(session, case.id), requests=queries.requests_of(session, case.id),
        findings=queries.current_findings(session, case.id), chain_breaks=chain_breaks,
        cells=queries.responses_by_cell(session, case.id), messages=queries.messages_of(session, case.id),
        evaluation=queries.evaluation_of(session, case), LEVELS=LEVELS, TOOLS=TOOLS,
        consistency=consistency.check(session, case, current_user),
        message_form=deferred(lambda: kept(MessageForm, version=case.version)),
        case_tasks=queries.tasks_of(session, case.id), today=clock.today(),
        gate_form=deferred(lambda: kept(GateRequestForm, version=case.version)),
        decision_form=deferred(lambda: kept(DecisionForm, version=case.version)),
        withdraw_form=deferred(lambda: kept(WithdrawForm, version=case.version)),
        reopen_form=deferred(lambda: _reopen_form(case)), **task_forms(), **case_context(session, case),
        refusal=sentence(refused) if refused else None, unmet=getattr(refused, "checklist", None))


def _reopen_form(case) -> ReopenForm:
    form = kept(ReopenForm, version=case.version)
    form.target.choices = [(t, LABELS[t]) for t in reopen_targets(case.state)]
    return form


def _sections(session, case_id: int) -> dict:
    """The pages of the case page's long sections asked for: its History and its evidence."""
    history, history_pages = queries.case_history_page(session, case_id, _number("history"),
                                                        also=corrections.EVENT_TYPES)
    # The whole register is read for the gate checklists already: the page shows a slice of it.
    evidence_items, evidence_pages = paging.slice_of(queries.evidence_items(session, case_id),
                                                     _number("evidence"), queries.SECTION_PAGE)
    return {"history": history, "history_pages": history_pages, "evidence_items": evidence_items,
            "evidence_pages": evidence_pages}


def _number(name: str) -> int:
    """A page number parameter (bounded by `views.bounds`); 1 when absent."""
    return int(request.args.get(name) or 1)


def case_page(case_id: int) -> Page:
    """The case page as the page of its forms: a refusal is shown at its top, above the
    checklist it is about (with the unmet requirements when a gate was refused)."""
    return lambda refused=None: render_case_page(case_id, refused)


@blueprint.route("/<int:case_id>")
def detail(case_id: int):
    """The case: its place on the pathway, the next gate's checklist, what this user may do."""
    return render_case_page(case_id)


@blueprint.route("/<int:case_id>/edit", methods=["GET", "POST"])
def edit(case_id: int):
    """Change the details of a case."""
    case = load_case_for(case_id, permissions.EDIT_CASE)
    form = CaseEditForm(obj=case)

    def page(refusal=None):
        return render_template("cases/form.html", form=form, case=case, refusal=refusal)
    if request.method == "GET":
        form.version.data = case.version
        form.strategies.data = case.strategy_list  # kept comma-separated, listed by the form
        form.country.data = country_name(case.country)  # stored as its code, named for the reader
        form.suspects.data = "\n".join(entry.name for entry in case.suspects)
        return page()
    outcome = run(form, lambda write: cases.update_case(
        write, current_actor(), case_id, expected_version=form.expected_version(),
        **form.case_fields()), page)
    if outcome.refused:
        return outcome.page
    flash(_("Case saved."), "success")
    return redirect(url_for("cases.detail", case_id=case_id))


@blueprint.route("/<int:case_id>/gate", methods=["POST"])
def request_gate(case_id: int):
    """Request the gate to a target stage; refused with the unmet requirements listed."""
    form = GateRequestForm()
    outcome = run(form, lambda write: reviews.request_gate(
        write, current_actor(), case_id, expected_version=form.expected_version(),
        target=form.target.data, note=form.note.data or ""), case_page(case_id), shows_form=False,
        check=lambda: load_case_for(case_id, permissions.REQUEST_GATE))
    if outcome.refused:
        return outcome.page
    flash(_("Gate to %(stage)s requested: the case is under review.", stage=translated(LABELS[form.target.data])), "success")
    return redirect(url_for("cases.detail", case_id=case_id))


@blueprint.route("/<int:case_id>/reopen", methods=["POST"])
def reopen(case_id: int):
    """Send a case back to an earlier stage, with a reason."""
    case = load_case_for(case_id, permissions.REOPEN)
    form = ReopenForm()
    form.target.choices = [(t, LABELS[t]) for t in reopen_targets(case.state)]
    outcome = run(form, lambda write: reviews.reopen(
        write, current_actor(), case_id, expected_version=form.expected_version(),
        target=form.target.data, reason=form.reason.data), case_page(case_id), shows_form=False)
    if outcome.refused:
        return outcome.page
    flash(_("Case reopened to %(stage)s.", stage=translated(LABELS[form.target.data])), "success")
    return redirect(url_for("cases.detail", case_id=case_id))


@blueprint.route("/<int:case_id>/team", methods=["GET", "POST"])
def team(case_id: int):
    """The case team: supervisors add members, change their case role and name the lead."""
    session = db.session()
    case = cases.load_case(session, case_id, current_user)
    form = TeamMemberForm(version=case.version)
    page = team_page(case, form)
    if request.method == "GET":
        return page()
    if not permissions.can(current_user, permissions.MANAGE_TEAM, case):
        abort(403, description=permissions.needs(permissions.MANAGE_TEAM))
    outcome = run(offer_people(session, case, form, sent=True), lambda write: cases.set_member(
        write, current_actor(), case_id, expected_version=form.expected_version(),
        user_id=form.user_id(), case_role=form.case_role()), page)
    if outcome.refused:
        return outcome.page
    flash(_("Team updated."), "success")
    if form.back.data == "reviews":
        return redirect(url_for("reviews.index"))
    if form.back.data == "case":
        return redirect(url_for("cases.detail", case_id=case_id))
    return redirect(url_for("cases.team", case_id=case_id))


def offer_people(session, case, form: TeamMemberForm, *, sent: bool = False) -> TeamMemberForm:
    """`form` with the (person, case role) pairs it may take as its choices (see member_choices)."""
    pending = cases.pending_request(session, case.id)
    # Under review only people not on the team yet may join; other changes wait for the decision.
    only_new = not permissions.can_change(current_user, case, pending, permissions.MANAGE_TEAM)
    # A sent form is checked against the pairs of the person it names, whoever the page offered.
    people = ({"user_id": form.user_id()} if sent
              else {"named": list_filters.name_search(request.args)})
    form.member.choices, form.more_people = member_choices(session, case, only_new=only_new, **people)
    return form


def team_page(case, form) -> Page:
    """The team page with its forms (when the team may change now, else why not), a refusal at its top."""
    def page(refusal=None):
        session = db.session()
        pending = cases.pending_request(session, case.id)
        answers = permissions.for_page(current_user, permissions.available(case, current_user, pending))
        return render_template(
            "cases/team.html", case=case, form=offer_people(session, case, form),
            named=list_filters.name_search(request.args), candidates_shown=queries.CANDIDATES_SHOWN,
            manage=answers["manage_team"], add=answers["add_team_member"],
            remove_form=RemoveMemberForm(version=case.version), refusal=refusal)
    return page


@blueprint.route("/<int:case_id>/team/<int:user_id>/remove", methods=["POST"])
def remove_member(case_id: int, user_id: int):
    """Take someone off the team."""
    load_case_for(case_id, permissions.MANAGE_TEAM)
    form = RemoveMemberForm()
    outcome = run(form, lambda write: cases.remove_member(
        write, current_actor(), case_id, expected_version=form.expected_version(), user_id=user_id),
        remove_page(case_id), shows_form=False)
    if outcome.refused:
        return outcome.page
    flash(_("Removed from the team."), "success")
    return redirect(url_for("cases.team", case_id=case_id))


def remove_page(case_id: int) -> Page:
    """The team page, for a refused removal (loaded only then)."""
    def page(refusal=None):
        case = load_case_for(case_id, permissions.MANAGE_TEAM)
        return team_page(case, TeamMemberForm(formdata=None, version=case.version))(refusal)
    return page
