"""What the pages of a case add for corrections, links, the team's people and the tasks that
records complete: the forms and the facts behind them, for the views that render those pages."""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from flask_login import current_user

from views.commands import deferred, kept
from views.record_forms import (
    CorrectEvidenceForm,
    CorrectResponseForm,
    LinkCaseForm,
    NoSampleForm,
    RescheduleForm,
    RescheduleTaskForm,
)
from workflow import cases, corrections, gates, links, pathway, permissions, queries, tasks
from workflow.pathway import LABELS
from workflow.words import _, inline, series


def member_choices(session, case, *, only_new: bool = False, named: str = "",
                   user_id: int | None = None) -> tuple[list[tuple[str, str]], bool]:
    """The (person, case role) pairs of the first people a team may take, and whether there are more."""
    # Each person only in the case roles their roles allow, nobody in the role they have already;
    # with `only_new`, nobody on the team; the one with `user_id`, or those whose name holds `named`.
    people, more = queries.team_candidates(session, named=named, user_id=user_id,
                                           not_on=case.id if only_new else None)
    offered = []
    for user in people:
        member = case.member(user.id)
        name = user.full_name or user.username
        for case_role in cases.case_roles_for(user.roles):
            if member is None or member.case_role != case_role:
                offered.append((f"{user.id}:{case_role}",
                                _("%(name)s (%(username)s) as %(role)s", name=name,
                                  username=user.username, role=inline(case_role))))
    return [("", _("— choose a person and their role —")), *offered], more


@dataclass(frozen=True)
class Need:
    """A queue of the next stage nobody on the team can work, and the first people who could."""

    role: str
    stages: str
    sentence: str
    choices: list[tuple[str, str]]
    #: Whether more people could than `choices` offers (the team page finds them by name).
    more: bool = False


def staffing_needs(session, case, targets) -> list[Need]:
    """For those who may add people to the team: each role the stages of `targets` need and
    nobody on the team holds, with the first people who hold it (each once, with every stage
    needing it)."""
    if not permissions.can_add_to_team(current_user, case):
        return []
    needed: dict[str, list[str]] = {}
    for target in targets:
        for role in pathway.QUEUES.get(target, ()):
            needed.setdefault(role, []).append(LABELS[target])
    if not needed:
        return []
    missing, _holders = gates.missing_roles(session, case, tuple(needed))
    return [_need(session, case, role, needed[role]) for role in missing]


def _need(session, case, role: str, stages: list) -> Need:
    people, more = queries.team_candidates(session, (role,), not_on=case.id)
    return Need(role, _stages(stages), gates.nobody_in(role), [
        (f"{user.id}:{role}", f"{user.full_name or user.username} ({user.username})")
        for user in people], more)


def _stages(labels: list) -> str:
    """Stages in a row: "Investigation", "Investigation and Attribution"."""
    if len(labels) == 1:
        return labels[0]
    return _("%(stages)s and %(last)s", stages=series(labels[:-1]), last=labels[-1])


def completes(session, case, records) -> list[tuple[str, object]]:
    """The open tasks that recording each of `records` would complete, with the record's words."""
    return [(pathway.COMPLETING_RECORDS[record], task) for record in records
            for task in tasks.completed_by_recording(session, case, record)]


def case_context(session, case) -> dict:
    """The case page's links, task due-date corrections and the forms of those and of the
    reason no sample exists."""
    def reschedule():
        form = kept(RescheduleTaskForm, version=case.version)
        form.task_id.choices = [(t.id, _("#%(number)s %(title)s (due %(due)s)", number=t.id,
                                         title=t.title, due=str(t.due_on or "—")))
                                for t in queries.tasks_of(session, case.id) if t.status in tasks.OPEN]
        return form
    return {"links": links.links_of(session, case.id),
            # A refused form comes back as typed (views.commands.refused), its section open.
            "link_form": deferred(partial(kept, LinkCaseForm, version=case.version)),
            "corrections": corrections.history(session, case.id),
            "reschedule_task_form": deferred(reschedule),
            "no_sample_form": deferred(partial(kept, NoSampleForm, version=case.version))}


def _commands(session, case, *names: str) -> dict:
    pending = cases.pending_request(session, case.id)
    answers = permissions.for_page(current_user, permissions.available(case, current_user, pending))
    return {name: answers[name] for name in names}


def evidence_context(session, case, item, forms: dict) -> dict:
    """The evidence page's correction form (prefilled with the item as recorded) and history."""
    form = forms.get("correct") or CorrectEvidenceForm(
        formdata=None, obj=item, version=case.version)
    return {"correct_form": form, "commands": _commands(session, case, "correct_evidence"),
            "corrections": corrections.history(session, case.id).get(("evidence", item.id), [])}


def response_context(session, case, response, forms: dict) -> dict:
    """The response page's correction and rescheduling forms, and their history."""
    form = forms.get("correct")
    if form is None:
        form = CorrectResponseForm(formdata=None, obj=response, version=case.version)
        form.strategies.data = response.strategy_list  # stored as one comma-separated string
        # Register entries are corrected by name, one a line.
        form.actors.data = "\n".join(entry.name for entry in response.actors)
        form.instruments.data = "\n".join(entry.name for entry in response.instruments)
        form.forum.data = response.forum.name if response.forum else ""
        form.factors.data = response.factors
    return {"correct_form": form, "reschedule_form": RescheduleForm(formdata=None, version=case.version),
            "commands": _commands(session, case, "correct_response", "correct_milestone"),
            "corrections": corrections.history(session, case.id)}
