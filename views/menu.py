"""The accountability menu of a case: responses, their lifecycle and milestones; deterrence
messages; the evaluation."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from models.evaluation import FACTORS, PRESSURES
from views import db
from views.access import current_actor
from views.cases import case_page, load_case_for
from views.commands import Page, run
from views.record_pages import completes, response_context
from views.language import day, translated
from views.menu_forms import (
    EvaluationForm,
    MessageForm,
    MilestoneForm,
    MilestoneUpdateForm,
    ResponseForm,
    StatusForm,
    choices,
)
from workflow import deterrence, evaluations, permissions, responses
from workflow.menu import BY_KEY, NEXT_STATUSES, options_for
from workflow import clock
from workflow.words import inline

blueprint = Blueprint("menu", __name__, url_prefix="/cases/<int:case_id>")


@blueprint.route("/responses/new", methods=["GET", "POST"])
def new_response(case_id: int):
    """Add a response to a cell of the menu: picked from the catalog and adapted, or new."""
    case = load_case_for(case_id, permissions.RECORD_RESPONSE)
    option = BY_KEY.get(request.args.get("option", ""))
    form = ResponseForm(version=case.version, level=request.args.get("level"),
                        tool=request.args.get("tool"))
    if option and request.method == "GET":
        form.level.data, form.tool.data, form.catalog_key.data = option.level, option.tool, option.key
        # The catalog's words, in the reader's language, for the legal officer to adapt.
        form.description.data, form.legally_binding.data = translated(option.description), option.legally_binding
        form.legal_basis.data, form.strategies.data = translated(option.legal_basis), list(option.strategies)

    def page(refusal=None):
        return render_template("menu/new_response.html", case=case, form=form, option=option,
                               options=options_for(form.level.data or "", form.tool.data or ""),
                               refusal=refusal, completes=completes(db.session(), case, ("response",)))
    if request.method == "GET":
        return page()
    outcome = run(form, lambda write: responses.propose_response(
            write, current_actor(), case_id, expected_version=form.expected_version(),
            level=form.level.data,
            tool=form.tool.data, actor_name=form.actor.data, description=form.description.data,
            legally_binding=form.legally_binding.data, legal_basis=form.legal_basis.data,
            strategies=form.strategies.data or [], target=form.target.data,
            catalog_key=form.catalog_key.data or "", actors=form.actors.data or "",
            instruments=form.instruments.data or "", forum=form.forum.data or "",
            factors=form.factors.data or []), page)
    if outcome.refused:
        return outcome.page
    flash(_("Response proposed."), "success")
    return redirect(url_for("cases.detail", case_id=case_id, _anchor="menu"))


def _response_page(case_id: int, response_id: int, forms: dict | None = None, refusal=None):
    """A response's page with its forms (a posted one given in `forms`), a refusal at its top."""
    case = load_case_for(case_id)
    response = responses.response_of(db.session(), case_id, response_id)
    forms = forms or {}
    status_form = forms.get("status") or StatusForm(formdata=None, version=case.version,
                                                    legally_binding=response.legally_binding)
    status_form.status.choices = choices(NEXT_STATUSES.get(response.status, ()))
    return render_template(
        "menu/response.html", case=case, response=response, today=clock.today(),
        may_record=permissions.can(current_user, permissions.RECORD_RESPONSE, case),
        status_form=status_form,
        milestone_form=forms.get("milestone") or MilestoneForm(formdata=None, version=case.version),
        update_form=MilestoneUpdateForm(formdata=None, version=case.version),
        **response_context(db.session(), case, response, forms), refusal=refusal)


def response_page(case_id: int, response_id: int, forms: dict | None = None) -> Page:
    """The response's page as the page of its forms."""
    return lambda refusal=None: _response_page(case_id, response_id, forms, refusal)


@blueprint.route("/responses/<int:response_id>")
def response(case_id: int, response_id: int):
    """A response: its lifecycle, and the milestones of its implementation (overdue flagged)."""
    return _response_page(case_id, response_id)


@blueprint.route("/responses/<int:response_id>/status", methods=["POST"])
def change_status(case_id: int, response_id: int):
    """Move a response along its lifecycle, with a reason."""
    load_case_for(case_id, permissions.RECORD_RESPONSE)
    current = responses.response_of(db.session(), case_id, response_id)
    form = StatusForm()
    form.status.choices = choices(NEXT_STATUSES.get(current.status, ()))
    outcome = run(form, lambda write: responses.change_status(
            write, current_actor(), case_id, expected_version=form.expected_version(),
            response_id=response_id, status=form.status.data, reason=form.reason.data,
            decided_on=form.decided_on.data, legally_binding=form.legally_binding.data,
            blocked_by=form.blocked_by.data or "", blocked_in=form.blocked_in.data or ""),
        response_page(case_id, response_id, {"status": form}))
    if outcome.refused:
        return outcome.page
    flash(_("Response %(status)s.", status=translated(inline(form.status.data))), "success")
    return redirect(url_for("menu.response", case_id=case_id, response_id=response_id))


@blueprint.route("/responses/<int:response_id>/milestones", methods=["POST"])
def add_milestone(case_id: int, response_id: int):
    """Add a milestone to an adopted response."""
    load_case_for(case_id, permissions.RECORD_RESPONSE)
    responses.response_of(db.session(), case_id, response_id)
    form = MilestoneForm()
    outcome = run(form, lambda write: responses.add_milestone(
            write, current_actor(), case_id, expected_version=form.expected_version(),
            response_id=response_id, description=form.description.data, due_on=form.due_on.data, note=form.note.data),
        response_page(case_id, response_id, {"milestone": form}))
    if outcome.refused:
        return outcome.page
    flash(_("Milestone added, due %(day)s.", day=day(form.due_on.data)), "success")
    return redirect(url_for("menu.response", case_id=case_id, response_id=response_id))


@blueprint.route("/responses/<int:response_id>/milestones/<int:milestone_id>", methods=["POST"])
def update_milestone(case_id: int, response_id: int, milestone_id: int):
    """Mark a milestone done, or explain the delay."""
    load_case_for(case_id, permissions.RECORD_RESPONSE)
    responses.response_of(db.session(), case_id, response_id)
    form = MilestoneUpdateForm()
    # The page holds one update form per milestone: a refusal is shown at its top.
    outcome = run(form, lambda write: responses.update_milestone(
            write, current_actor(), case_id, expected_version=form.expected_version(),
            milestone_id=milestone_id, done_on=form.done_on.data, note=form.note.data, response_id=response_id),
        response_page(case_id, response_id), shows_form=False)
    if outcome.refused:
        return outcome.page
    flash(_("Milestone done on %(day)s.", day=day(form.done_on.data)) if form.done_on.data
          else _("Milestone note saved."), "success")
    return redirect(url_for("menu.response", case_id=case_id, response_id=response_id))


@blueprint.route("/messages", methods=["POST"])
def record_message(case_id: int):
    """Record a deterrence message in the case's current stage."""
    load_case_for(case_id, permissions.RECORD_MESSAGE)
    form = MessageForm()
    outcome = run(form, lambda write: deterrence.record_message(
            write, current_actor(), case_id, expected_version=form.expected_version(),
            said_on=form.said_on.data,
            audience=form.audience.data, speaker=form.speaker.data, summary=form.summary.data,
            channel=form.channel.data), case_page(case_id), shows_form=False)
    if outcome.refused:
        return outcome.page
    flash(_("Deterrence message recorded."), "success")
    return redirect(url_for("cases.detail", case_id=case_id, _anchor="messages"))


@blueprint.route("/evaluation", methods=["GET", "POST"])
def evaluation(case_id: int):
    """Evaluate the case against the four restraint factors and the four erosion pressures, and
    recommend what comes next."""
    case = load_case_for(case_id, permissions.RECORD_EVALUATION)
    form = EvaluationForm(version=case.version)

    def page(refusal=None):
        return render_template("menu/evaluation.html", case=case, form=form, factors=FACTORS,
                               pressures=PRESSURES,
                               refusal=refusal, completes=completes(db.session(), case, ("evaluation",)))
    if request.method == "GET":
        return page()
    outcome = run(form, lambda write: evaluations.record_evaluation(
            write, current_actor(), case_id, expected_version=form.expected_version(),
            ratings={f: form[f].data for f in FACTORS},
            rationales={f: form[f"{f}_rationale"].data for f in FACTORS},
            pressures={p: form[p].data for p in PRESSURES},
            pressure_rationales={p: form[f"{p}_rationale"].data for p in PRESSURES},
            repeat_use=form.repeat_use.data, recommendation=form.recommendation.data,
            lessons=form.lessons.data, outcome=form.outcome.data), page)
    if outcome.refused:
        return outcome.page
    flash(_("Evaluation recorded."), "success")
    return redirect(url_for("cases.detail", case_id=case_id))
