"""The supervisors' review queue and the decisions on gate requests."""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from models.gate_request import GateRequest
from views import db
from views.access import current_actor
from views.case_forms import DecisionForm, WithdrawForm
from views.cases import load_case_for, render_case_page
from views.commands import run
from workflow import permissions, queries, reviews
from views.language import said, translated
from views.list_filters import page_number
from views.record_history import corrected_field, corrected_value
from workflow.pathway import LABELS, REQUIREMENTS
from workflow.words import recalled

blueprint = Blueprint("reviews", __name__, url_prefix="/reviews")


blueprint.add_app_template_filter(corrected_field, "corrected_field")
blueprint.add_app_template_filter(corrected_value, "corrected_value")


@blueprint.app_template_global("requirement_said")
def requirement_said(req, item: dict):
    """A requirement of a gate request's checklist snapshot, in the reader's language: as its
    words were kept; for a snapshot kept without them, the gate's own sentence for its code
    while it reads as the snapshot does, else the snapshot's English."""
    if "words" in item:
        return recalled(item["words"]["sentence"])
    for requirement in REQUIREMENTS.get((req.from_state, req.target), ()):
        if requirement.code == item.get("code") and str(requirement.sentence) == item.get("sentence"):
            return requirement.sentence
    return said(item.get("sentence"))


@blueprint.app_template_global("detail_said")
def detail_said(item: dict):
    """The detail of a checklist snapshot's item, in the reader's language (see `requirement_said`)."""
    return recalled(item["words"]["detail"]) if "words" in item else said(item.get("detail"))


@blueprint.before_request
def only_case_roles():
    """Reviews are case content: not for admins."""
    if not permissions.can(current_user, permissions.VIEW_CASE):
        abort(403, description=permissions.needs(permissions.VIEW_CASE))


@blueprint.route("")
def index():
    """Pending gate requests on the cases this user may see, with their checklist snapshots;
    the "decided" tab lists the latest decisions on them, with their reasons."""
    if request.args.get("tab") == "decided":
        decided, pages = queries.decided_reviews(db.session(), current_user, page_number(request.args))
        return render_template("reviews/decided.html", decided=decided, pages=pages)
    pending, pages = queries.pending_reviews(db.session(), current_user, page_number(request.args))
    commands = {req.id: permissions.for_page(current_user, permissions.request_commands(current_user, req))
                for req in pending}
    return render_template("reviews/index.html", pending=pending, pages=pages, commands=commands,
                           decision_form=DecisionForm(formdata=None))


def _case_of(request_id: int, action: str) -> int:
    """The case of a request: 404 if this user may not see it, 403 if they may not `action`."""
    case_id = db.session().scalar(select(GateRequest.case_id).where(GateRequest.id == request_id))
    if case_id is None:
        abort(404, description=_("No such gate request."))
    load_case_for(case_id, action)
    g.case_id = case_id
    return case_id


def _request_page(request_id: int, action: str):
    """The case page of a request, for showing a refusal; its case is found only then."""
    g.case_id_of = lambda: _case_of(request_id, action)  # the error page's link back
    return lambda refused=None: render_case_page(_case_of(request_id, action), refused)


def _id_and_stage(case) -> tuple[int, str]:
    return case.id, case.state


def _back(case_id: int, form: DecisionForm):
    """Back to where the decision was taken: the review queue, or the case page."""
    if form.back.data == "reviews":
        return redirect(url_for("reviews.index"))
    return redirect(url_for("cases.detail", case_id=case_id))


@blueprint.route("/<int:request_id>/approve", methods=["POST"])
def approve(request_id: int):
    """Approve a gate request: the case moves to its target."""
    form = DecisionForm()
    outcome = run(form, lambda write: _id_and_stage(reviews.approve_gate(
        write, current_actor(), request_id, expected_version=form.expected_version(),
        reason=form.reason.data or "", confirm=form.confirm.data)),
        _request_page(request_id, permissions.DECIDE_GATE),
        shows_form=False, check=lambda: _case_of(request_id, permissions.DECIDE_GATE))
    if outcome.refused:
        return outcome.page
    case_id, stage = outcome.value
    flash(_("Approved: the case is now in %(stage)s.", stage=translated(LABELS[stage])), "success")
    return _back(case_id, form)


@blueprint.route("/<int:request_id>/reject", methods=["POST"])
def reject(request_id: int):
    """Reject a gate request with a reason."""
    form = DecisionForm()
    outcome = run(form, lambda write: _id_and_stage(reviews.reject_gate(
        write, current_actor(), request_id, expected_version=form.expected_version(),
        reason=form.reason.data or "")), _request_page(request_id, permissions.DECIDE_GATE),
        shows_form=False, check=lambda: _case_of(request_id, permissions.DECIDE_GATE))
    if outcome.refused:
        return outcome.page
    flash(_("Rejected: the case stays in its stage."), "info")
    return _back(outcome.value[0], form)


@blueprint.route("/<int:request_id>/withdraw", methods=["POST"])
def withdraw(request_id: int):
    """The requester withdraws their gate request."""
    form = WithdrawForm()
    outcome = run(form, lambda write: _id_and_stage(reviews.withdraw_gate(
        write, current_actor(), request_id, expected_version=form.expected_version())),
        _request_page(request_id, permissions.WITHDRAW_GATE), shows_form=False,
        check=lambda: _case_of(request_id, permissions.WITHDRAW_GATE))
    if outcome.refused:
        return outcome.page
    flash(_("Request withdrawn."), "info")
    return redirect(url_for("cases.detail", case_id=outcome.value[0]))
