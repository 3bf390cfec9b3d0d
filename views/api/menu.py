"""Findings, responses from the accountability menu (status changes, milestones), deterrence
messages and the evaluation, over the API."""
from __future__ import annotations

from vocabulary import FACTORS, PRESSURES
from views import db
from views.api import schemas
from views.api.operation import actor, answer, body, change, operation, url
from workflow import cases, deterrence, evaluations, evidence, permissions, queries, responses
from workflow.errors import NotFound

FINDING_TAGS, MENU_TAGS = ("findings",), ("responses",)
MESSAGE_TAGS, EVALUATION_TAGS = ("messages",), ("evaluation",)


def _version(case_id: int) -> int:
    """The case's version now (404 if the caller may not see it)."""
    return cases.load_case(db.session(), case_id, actor()).version


def finding_body(finding) -> schemas.Finding:
    return schemas.Finding(
        **{name: getattr(finding, name) for name in (
            "id", "kind", "conclusion", "agent", "responsible_party", "party_type",
            "standard_of_proof", "rationale", "recorded_at")},
        body=finding.body.name if finding.body else "", author=finding.author.username,
        cited=[item.id for item in finding.cited])


@operation("/cases/<id:case_id>/findings", answer=schemas.FindingList, tags=FINDING_TAGS)
def list_findings(case_id: int):
    """The use determination and the attribution in force (the latest of each kind)."""
    version = _version(case_id)
    found = queries.current_findings(db.session(), case_id)
    return answer(schemas.FindingList(items=[finding_body(f) for f in found.values()]),
                  version=version)


@operation("/cases/<id:case_id>/findings", "POST", scope="write", json=schemas.FindingIn,
           answer=schemas.Finding, status=201, tags=FINDING_TAGS, versioned=True,
           action=permissions.RECORD_FINDING)
def record_finding(case_id: int):
    """Record a use determination or an attribution citing evidence; it supersedes the last of its kind."""
    fields = body().model_dump()
    fields["cited_ids"] = fields.pop("cited")
    finding_id = change(evidence.record_finding, case_id, fields).id
    found = queries.current_findings(db.session(), case_id)
    finding = next(f for f in found.values() if f.id == finding_id)
    return answer(finding_body(finding), 201, version=_version(case_id),
                  location=url("list_findings", case_id=case_id))


def response_body(response) -> schemas.ResponseOut:
    return schemas.ResponseOut(
        **{name: getattr(response, name) for name in (
            "id", "level", "tool", "actor", "description", "legally_binding", "legal_basis",
            "target", "status", "decided_on", "catalog_key")},
        strategies=response.strategy_list, actors=[entry.name for entry in response.actors],
        instruments=[entry.name for entry in response.instruments],
        forum=response.forum.name if response.forum else None, factors=response.factors,
        blocked_by=response.block.blocked_by.name if response.block else None,
        blocked_in=response.block.forum.name if response.block and response.block.forum else None,
        blocked_why=response.block.reason if response.block else None,
        milestones=[schemas.Milestone.model_validate(m) for m in response.milestones])


def response_answer(case_id: int, response_id: int, status: int = 200):
    version = _version(case_id)
    found = responses.response_of(db.session(), case_id, response_id)
    return answer(response_body(found), status, version=version,
                  location=url("get_response", case_id=case_id, response_id=response_id)
                  if status == 201 else None)


@operation("/cases/<id:case_id>/responses", answer=schemas.ResponseList, tags=MENU_TAGS)
def list_responses(case_id: int):
    """The case's responses from the menu, with their status and milestones."""
    version = _version(case_id)
    cells = queries.responses_by_cell(db.session(), case_id, full=True)
    items = sorted((r for rows in cells.values() for r in rows), key=lambda r: r.id)
    return answer(schemas.ResponseList(items=[response_body(r) for r in items]), version=version)


@operation("/cases/<id:case_id>/responses", "POST", scope="write", json=schemas.ResponseIn,
           answer=schemas.ResponseOut, status=201, tags=MENU_TAGS, versioned=True,
           action=permissions.RECORD_RESPONSE)
def propose_response(case_id: int):
    """Propose a response from a cell of the menu (legal officers, from legal consequence on)."""
    fields = body().model_dump()
    fields["actor_name"] = fields.pop("actor")
    response_id = change(responses.propose_response, case_id, fields).id
    return response_answer(case_id, response_id, 201)


@operation("/cases/<id:case_id>/responses/<id:response_id>", answer=schemas.ResponseOut,
           tags=MENU_TAGS)
def get_response(case_id: int, response_id: int):
    """One response with its milestones."""
    return response_answer(case_id, response_id)


@operation("/cases/<id:case_id>/responses/<id:response_id>/status", "POST", scope="write",
           json=schemas.StatusChange, answer=schemas.ResponseOut, tags=MENU_TAGS, versioned=True,
           action=permissions.RECORD_RESPONSE)
def change_response_status(case_id: int, response_id: int):
    """Move a response along its lifecycle (proposed → adopted | blocked | withdrawn; adopted →
    implemented | lapsed), with a reason."""
    change(responses.change_status, case_id, response_id=response_id)
    return response_answer(case_id, response_id)


@operation("/cases/<id:case_id>/responses/<id:response_id>/milestones", "POST", scope="write",
           json=schemas.MilestoneIn, answer=schemas.ResponseOut, status=201, tags=MENU_TAGS,
           versioned=True, action=permissions.RECORD_RESPONSE)
def add_milestone(case_id: int, response_id: int):
    """Add an implementation milestone to an adopted response."""
    change(responses.add_milestone, case_id, response_id=response_id)
    return response_answer(case_id, response_id, 201)


@operation("/cases/<id:case_id>/responses/<id:response_id>/milestones/<id:milestone_id>",
           "PATCH", scope="write", json=schemas.MilestoneUpdate, answer=schemas.ResponseOut,
           tags=MENU_TAGS, versioned=True, action=permissions.RECORD_RESPONSE)
def update_milestone(case_id: int, response_id: int, milestone_id: int):
    """Mark a milestone done, or explain why it is not."""
    change(responses.update_milestone, case_id, milestone_id=milestone_id, response_id=response_id)
    return response_answer(case_id, response_id)


@operation("/cases/<id:case_id>/messages", answer=schemas.MessageList, tags=MESSAGE_TAGS)
def list_messages(case_id: int):
    """The case's deterrence messages across every stage, in the order they were said."""
    version = _version(case_id)
    return answer(schemas.MessageList(items=[
        schemas.Message.model_validate(m) for m in queries.messages_of(db.session(), case_id)]),
        version=version)


@operation("/cases/<id:case_id>/messages", "POST", scope="write", json=schemas.MessageIn,
           answer=schemas.Message, status=201, tags=MESSAGE_TAGS, versioned=True,
           action=permissions.RECORD_MESSAGE)
def record_message(case_id: int):
    """Record a deterrence message in the stage the case is in now."""
    message = change(deterrence.record_message, case_id)
    return answer(schemas.Message.model_validate(message), 201, version=_version(case_id),
                  location=url("list_messages", case_id=case_id))


@operation("/cases/<id:case_id>/evaluation", answer=schemas.Evaluation, tags=EVALUATION_TAGS)
def get_evaluation(case_id: int):
    """The latest evaluation of the case (404 when there is none yet)."""
    version = _version(case_id)
    latest = queries.latest_evaluation(db.session(), case_id)
    if latest is None:
        raise NotFound("This case has no evaluation yet.")
    return answer(schemas.Evaluation.model_validate(latest), version=version)


@operation("/cases/<id:case_id>/evaluation", "POST", scope="write", json=schemas.EvaluationIn,
           answer=schemas.Evaluation, status=201, tags=EVALUATION_TAGS, versioned=True,
           action=permissions.RECORD_EVALUATION)
def record_evaluation(case_id: int):
    """Rate the four restraint factors and the four erosion pressures, say whether use was
    repeated, and recommend what comes next (in evaluation); it replaces earlier evaluations in
    the gates."""
    fields = body().model_dump()
    fields["ratings"] = {factor: fields.pop(factor) for factor in FACTORS}
    fields["rationales"] = {factor: fields.pop(f"{factor}_rationale") for factor in FACTORS}
    fields["pressures"] = {pressure: fields.pop(pressure) for pressure in PRESSURES}
    fields["pressure_rationales"] = {pressure: fields.pop(f"{pressure}_rationale")
                                     for pressure in PRESSURES}
    evaluation = change(evaluations.record_evaluation, case_id, fields)
    return answer(schemas.Evaluation.model_validate(evaluation), 201, version=_version(case_id),
                  location=url("get_evaluation", case_id=case_id))
