"""Corrections of recorded details, links between cases, and why no sample exists: the posts
of the forms that views/record_pages.py puts on the case, evidence and response pages."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from views import db
from views.access import current_actor
from views.case_forms import TeamMemberForm
from views.cases import case_page, load_case_for
from views.commands import run
from views.evidence import detail_page
from views.menu import response_page
from views.record_forms import (
    CorrectEvidenceForm,
    CorrectResponseForm,
    LinkCaseForm,
    NoSampleForm,
    RescheduleForm,
    RescheduleTaskForm,
)
from views.record_pages import staffing_needs
from workflow import corrections, evidence, links, pathway, permissions, queries, responses
from workflow.stages import CLOSED, EVALUATION
from workflow.words import series

blueprint = Blueprint("records", __name__, url_prefix="/cases/<int:case_id>")


@blueprint.before_request
def only_case_roles():
    """Records are case content: not for admins."""
    if not permissions.can(current_user, permissions.VIEW_CASE):
        abort(403, description=permissions.needs(permissions.VIEW_CASE))


@blueprint.app_context_processor
def record_helpers():
    """What the approval screens ask of a request: who the next stage needs, what closing risks."""
    def needs(case, targets):
        return staffing_needs(db.session(), case, targets)

    def closing_risks_of(request):
        if (request.from_state, request.target) != (EVALUATION, CLOSED):
            return []
        risks = pathway.closing_risks(db.session(), request.case)
        return series(risks, "; ") if risks else []
    return {"staffing_needs": needs, "closing_risks_of": closing_risks_of,
            "team_member_form": lambda: TeamMemberForm(formdata=None),
            "can_see_case": lambda case: permissions.can_see(current_user, case)}


@blueprint.route("/evidence/<int:evidence_id>/correct", methods=["POST"])
def correct_evidence(case_id: int, evidence_id: int):
    """Correct an evidence item's title, description, kind or grading, with a reason."""
    load_case_for(case_id, permissions.RECORD_EVIDENCE)
    evidence.evidence_of(db.session(), case_id, evidence_id)
    form = CorrectEvidenceForm()
    outcome = run(form, lambda write: corrections.correct_evidence(
        write, current_actor(), case_id, expected_version=form.expected_version(),
        evidence_id=evidence_id, reason=form.reason.data, title=form.title.data,
        description=form.description.data, kind=form.kind.data,
        source_grade=form.source_grade.data, information_grade=form.information_grade.data),
        detail_page(case_id, evidence_id, {"correct": form}))
    if outcome.refused:
        return outcome.page
    flash(_("Evidence item corrected."), "success")
    return redirect(url_for("evidence.detail", case_id=case_id, evidence_id=evidence_id))


@blueprint.route("/responses/<int:response_id>/correct", methods=["POST"])
def correct_response(case_id: int, response_id: int):
    """Correct a response's actor, description, legal basis or strategies, with a reason."""
    load_case_for(case_id, permissions.RECORD_RESPONSE)
    responses.response_of(db.session(), case_id, response_id)
    form = CorrectResponseForm()
    outcome = run(form, lambda write: corrections.correct_response(
        write, current_actor(), case_id, expected_version=form.expected_version(),
        response_id=response_id, reason=form.reason.data, actor_name=form.actor.data,
        description=form.description.data, legal_basis=form.legal_basis.data,
        strategies=form.strategies.data or [],
        # Left empty, the actors stay as recorded: a response keeps one at least.
        actors=form.actors.data if (form.actors.data or "").strip() else None,
        instruments=form.instruments.data or "", forum=form.forum.data or "",
        factors=form.factors.data or []),
        response_page(case_id, response_id, {"correct": form}))
    if outcome.refused:
        return outcome.page
    flash(_("Response corrected."), "success")
    return redirect(url_for("menu.response", case_id=case_id, response_id=response_id))


@blueprint.route("/responses/<int:response_id>/milestones/<int:milestone_id>/reschedule",
                 methods=["POST"])
def reschedule_milestone(case_id: int, response_id: int, milestone_id: int):
    """Give a milestone a new due date, with a reason."""
    load_case_for(case_id, permissions.RECORD_RESPONSE)
    responses.response_of(db.session(), case_id, response_id)
    form = RescheduleForm()
    # The page holds one form per milestone: a refusal is shown at its top.
    outcome = run(form, lambda write: corrections.correct_milestone(
        write, current_actor(), case_id, expected_version=form.expected_version(),
        milestone_id=milestone_id, due_on=form.due_on.data, reason=form.reason.data,
        response_id=response_id), response_page(case_id, response_id), shows_form=False)
    if outcome.refused:
        return outcome.page
    flash(_("Milestone rescheduled."), "success")
    return redirect(url_for("menu.response", case_id=case_id, response_id=response_id))


@blueprint.route("/tasks/reschedule", methods=["POST"])
def reschedule_task(case_id: int):
    """Give a task still to be done a new due date, with a reason (supervisors)."""
    load_case_for(case_id, permissions.MANAGE_TEAM)
    form = RescheduleTaskForm()
    form.task_id.choices = [(t.id, t.title) for t in queries.tasks_of(db.session(), case_id)]
    outcome = run(form, lambda write: corrections.correct_task(
        write, current_actor(), case_id, expected_version=form.expected_version(),
        task_id=form.task_id.data, due_on=form.due_on.data, reason=form.reason.data),
        case_page(case_id), shows_form=False)
    if outcome.refused:
        return outcome.page
    flash(_("Task rescheduled."), "success")
    return redirect(url_for("cases.detail", case_id=case_id, _anchor="tasks"))


@blueprint.route("/links", methods=["POST"])
def link(case_id: int):
    """Link the case to another as related, or as a duplicate of it."""
    load_case_for(case_id, permissions.EDIT_CASE)
    form = LinkCaseForm()
    outcome = run(form, lambda write: links.link_cases(
        write, current_actor(), case_id, expected_version=form.expected_version(),
        other_reference=form.other_reference.data, kind=form.kind.data, note=form.note.data),
        case_page(case_id), shows_form=False)
    if outcome.refused:
        return outcome.page
    flash(_("Cases linked."), "success")
    return redirect(url_for("cases.detail", case_id=case_id, _anchor="links"))


@blueprint.route("/no-sample", methods=["POST"])
def no_sample(case_id: int):
    """A supervisor records why the case has no sample."""
    load_case_for(case_id, permissions.EXPLAIN_NO_SAMPLE)
    form = NoSampleForm()
    outcome = run(form, lambda write: evidence.explain_no_sample(
        write, current_actor(), case_id, expected_version=form.expected_version(),
        reason=form.reason.data), case_page(case_id), shows_form=False)
    if outcome.refused:
        return outcome.page
    flash(_("Recorded why no sample exists."), "success")
    return redirect(url_for("cases.detail", case_id=case_id))
