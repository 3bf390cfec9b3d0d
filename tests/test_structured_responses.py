"""Responses name their actors (a coalition counted by its members), instruments and forum from
the registers, who blocked them, where and why, and the restraint factors they reinforce;
evaluations rate the four erosion pressures with a rationale. Every change is audited."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from webclient import post

from models import AuditEvent, Case, EvaluationPressure, Response, ResponseBlock, ResponseEntry
from workflow import corrections, registers, responses, reviews
from workflow.command import ANY_VERSION
from workflow.errors import Invalid

PRESSURES = ("repeated_violation", "perceived_utility", "ease_of_access", "diminished_attention")
FACTORS = ("taboo", "norms", "lack_of_benefit", "deterrence")


def run(db, command, *args, **kwargs):
    with db.transaction() as session:
        return command(session, *args, **kwargs)


@pytest.fixture
def seeded(db):
    with db.transaction() as session:
        registers.seed(session)


@pytest.fixture
def legal_case(make_case, move, seeded) -> int:
    case_id = make_case()
    move(case_id, "legal_consequence")
    return case_id


@pytest.fixture
def leo(client):
    """The case's legal officer, signed in."""
    assert post(client, "/login", {"username": "leo", "password": "correct horse battery staple"}).status_code == 302
    return client


def events(db, event_type: str) -> list[AuditEvent]:
    with db.sessions() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.event_type == event_type)
                                    .order_by(AuditEvent.seq)))


def version(db, case_id: int) -> str:
    """The case's version, as the page carries it."""
    with db.sessions() as session:
        return str(session.get(Case, case_id).version)


def details(event: AuditEvent) -> dict:
    return json.loads(event.payload)["details"]


def propose_on_page(client, case_id: int, **fields):
    db = client.application.extensions["database"]
    return post(client, f"/cases/{case_id}/responses/new", {
        "version": version(db, case_id), "level": "international", "tool": "diplomatic",
        "actor": "29 states and NATO", "description": "Coordinated expulsion of intelligence officers.",
        **fields})


def only_response(db, case_id: int) -> Response:
    with db.sessions() as session:
        return session.scalars(select(Response).where(Response.case_id == case_id)).one()


def page_of(client, case_id: int, response_id: int) -> str:
    answer = client.get(f"/cases/{case_id}/responses/{response_id}")
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def test_a_coalition_of_three_actors_is_counted_as_three(db, cast, legal_case, leo):
    # Four lines, three actors: "UK" is another name of the United Kingdom.
    answer = propose_on_page(leo, legal_case,
                             actors="United States\nUnited Kingdom\nFrance\nUK\n")
    assert answer.status_code == 302, answer.get_data(as_text=True)
    response = only_response(db, legal_case)
    assert response.actor == "29 states and NATO"  # the free text stays as written
    assert [entry.name for entry in response.actors] == ["United States", "United Kingdom", "France"]
    with db.sessions() as session:
        assert len(session.scalars(select(ResponseEntry).where(
            ResponseEntry.response_id == response.id, ResponseEntry.register == "actor")).all()) == 3
    page = page_of(leo, legal_case, response.id)
    assert 'data-testid="actor-count">3<' in page
    assert "United States" in page and "United Kingdom" in page and "France" in page
    [event] = events(db, "response_proposed")
    assert details(event)["actors"] == ["United States", "United Kingdom", "France"]


def test_an_unknown_actor_is_proposed_for_the_register(db, cast, legal_case):
    response = run(db, responses.propose_response, cast["leo"], legal_case,
                   expected_version=ANY_VERSION, level="national", tool="economic",
                   actor_name="Ruritania", description="Asset freeze.", actors=["Ruritania", "EU"])
    assert [(entry.name, entry.status) for entry in response.actors] == [
        ("Ruritania", "proposed"), ("European Union", "accepted")]
    [proposed] = [e for e in events(db, "register_entry_proposed") if details(e)["name"] == "Ruritania"]
    assert details(proposed)["register"] == "actor"


def test_instruments_and_forum_are_stored_and_shown(db, cast, legal_case, leo):
    answer = propose_on_page(leo, legal_case, actors="Russia",
                             instruments="UNSCR 2118\nChemical Weapons Convention, Article VIII",
                             forum="Security Council")
    assert answer.status_code == 302, answer.get_data(as_text=True)
    response = only_response(db, legal_case)
    assert [entry.name for entry in response.instruments] == [
        "UN Security Council resolution 2118 (2013)", "Chemical Weapons Convention, Article VIII"]
    assert response.forum.name == "UN Security Council" and response.forum.register == "forum"
    page = page_of(leo, legal_case, response.id)
    assert "UN Security Council resolution 2118 (2013)" in page
    assert "Chemical Weapons Convention, Article VIII" in page
    assert 'data-testid="response-forum">UN Security Council<' in page
    [event] = events(db, "response_proposed")
    assert details(event)["forum"] == "UN Security Council"
    assert details(event)["instruments"] == ["UN Security Council resolution 2118 (2013)",
                                            "Chemical Weapons Convention, Article VIII"]


def test_an_unknown_instrument_or_forum_is_refused_with_a_message(db, cast, legal_case, leo):
    answer = propose_on_page(leo, legal_case, instruments="Treaty of Nowhere", forum="UNSC")
    assert answer.status_code == 422
    assert "not in the register of instruments: Treaty of Nowhere" in answer.get_data(as_text=True)
    answer = propose_on_page(leo, legal_case, forum="Galactic Senate")
    assert answer.status_code == 422
    assert "not in the register of forums: Galactic Senate" in answer.get_data(as_text=True)
    with db.sessions() as session:
        assert session.scalars(select(Response).where(Response.case_id == legal_case)).all() == []
    assert events(db, "response_proposed") == []


def test_a_blocked_response_shows_who_blocked_it_where_and_why(db, cast, legal_case, leo):
    propose_on_page(leo, legal_case, actors="United States\nFrance", forum="UNSC")
    response = only_response(db, legal_case)
    form = page_of(leo, legal_case, response.id)
    assert 'name="blocked_by"' in form and 'name="blocked_in"' in form
    url = f"/cases/{legal_case}/responses/{response.id}/status"
    # Without a reason, or without naming who blocked it, nothing changes and the page says why.
    answer = post(leo, url, {"version": version(db, legal_case), "status": "blocked", "reason": "", "blocked_by": "Russia"})
    assert answer.status_code == 422
    assert "say why it was blocked" in answer.get_data(as_text=True)
    answer = post(leo, url, {"version": version(db, legal_case), "status": "blocked", "reason": "veto"})
    assert answer.status_code == 422
    assert "name who blocked it" in answer.get_data(as_text=True)
    assert only_response(db, legal_case).status == "proposed"
    with db.sessions() as session:
        assert session.scalars(select(ResponseBlock)).all() == []
    assert events(db, "response_status_changed") == []

    answer = post(leo, url, {"version": version(db, legal_case), "status": "blocked", "blocked_by": "Russia",
                             "reason": "Vetoed: the draft was said to prejudge the investigation."})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    page = page_of(leo, legal_case, response.id)
    assert ("Blocked by <strong><bdi>Russian Federation</bdi></strong> in <strong><bdi>UN Security Council</bdi></strong>: "
            '<span dir="auto">Vetoed: the draft was said to prejudge the investigation.</span>') in page
    [event] = events(db, "response_status_changed")
    assert details(event)["after"] == "blocked"
    assert details(event)["blocked_by"] == "Russian Federation"
    assert details(event)["blocked_in"] == "UN Security Council"  # the response's forum


def test_blocked_in_another_forum_than_proposed(db, cast, legal_case):
    response = run(db, responses.propose_response, cast["leo"], legal_case,
                   expected_version=ANY_VERSION, level="international", tool="legal",
                   actor_name="France", description="Referral.", actors=["France"])
    run(db, responses.change_status, cast["leo"], legal_case, expected_version=ANY_VERSION,
        response_id=response.id, status="blocked", reason="no consensus",
        blocked_by="Russian Federation", blocked_in="OPCW EC")
    with db.sessions() as session:
        block = session.scalars(select(ResponseBlock)).one()
        assert (block.blocked_by.name, block.forum.name, block.reason) == (
            "Russian Federation", "OPCW Executive Council", "no consensus")
    # Who blocked belongs to a blocked response only.
    other = run(db, responses.propose_response, cast["leo"], legal_case,
                expected_version=ANY_VERSION, level="national", tool="legal",
                actor_name="France", description="Prosecution.")
    with pytest.raises(Invalid, match="belong to a blocked response"):
        run(db, responses.change_status, cast["leo"], legal_case, expected_version=ANY_VERSION,
            response_id=other.id, status="adopted", reason="agreed", blocked_by="Russia")


def test_factors_reinforced_are_stored_and_shown(db, cast, legal_case, leo):
    answer = propose_on_page(leo, legal_case, actors="EU", factors=["deterrence", "norms"])
    assert answer.status_code == 302, answer.get_data(as_text=True)
    response = only_response(db, legal_case)
    assert response.factors == ["norms", "deterrence"]
    assert 'data-testid="response-factors">norms, deterrence<' in page_of(leo, legal_case, response.id)
    [event] = events(db, "response_proposed")
    assert details(event)["factors"] == ["norms", "deterrence"]
    with pytest.raises(Invalid, match="factors: unknown luck"):
        run(db, responses.propose_response, cast["leo"], legal_case, expected_version=ANY_VERSION,
            level="national", tool="legal", actor_name="France", description="x", factors=["luck"])


def test_correcting_actors_instruments_forum_and_factors_is_audited(db, cast, legal_case, leo):
    propose_on_page(leo, legal_case, actors="United States", factors=["taboo"])
    response = only_response(db, legal_case)
    answer = post(leo, f"/cases/{legal_case}/responses/{response.id}/correct", {
        "version": version(db, legal_case), "actor": response.actor, "description": response.description,
        "actors": "United States\nUK\nGermany", "instruments": "Resolution 2209",
        "forum": "UNSC", "factors": ["taboo", "deterrence"],
        "reason": "The statement lists three states, under resolution 2209."})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    corrected = only_response(db, legal_case)
    assert [entry.name for entry in corrected.actors] == ["United States", "United Kingdom", "Germany"]
    assert [entry.name for entry in corrected.instruments] == ["UN Security Council resolution 2209 (2015)"]
    assert corrected.forum.name == "UN Security Council"
    assert corrected.factors == ["taboo", "deterrence"]
    [event] = events(db, "response_corrected")
    assert details(event)["changes"] == {
        "actors": [["United States"], ["United States", "United Kingdom", "Germany"]],
        "instruments": [[], ["UN Security Council resolution 2209 (2015)"]],
        "forum": [None, "UN Security Council"],
        "factors": [["taboo"], ["taboo", "deterrence"]]}
    assert event.case_id == legal_case
    page = page_of(leo, legal_case, response.id)
    assert 'data-testid="actor-count">3<' in page
    # The same names in another order are no correction.
    with pytest.raises(Invalid, match="Nothing to correct"):
        run(db, corrections.correct_response, cast["leo"], legal_case, expected_version=ANY_VERSION,
            response_id=response.id, reason="again", actors=["Germany", "United Kingdom", "US"])


def test_merging_an_actor_re_points_the_responses_naming_it(db, cast, legal_case):
    response = run(db, responses.propose_response, cast["leo"], legal_case,
                   expected_version=ANY_VERSION, level="national", tool="economic",
                   actor_name="x", description="Listing.", actors=["Ruritanian Republic", "France"])
    proposed = next(entry for entry in response.actors if entry.status == "proposed")
    kept = run(db, registers.add_entry, cast["sue"], "actor", "Ruritania", "state")
    moved = run(db, registers.merge, cast["sue"], proposed.id, kept.id)
    assert moved == 1
    assert [entry.name for entry in only_response(db, legal_case).actors] == ["Ruritania", "France"]
    [event] = events(db, "register_link_moved")
    assert (event.case_id, event.entity_type) == (legal_case, "response_entry")


def evaluation_form(version: str, **changes) -> dict:
    form = {"version": version, "repeat_use": "yes", "recommendation": "continue", "lessons": "", "outcome": ""}
    for factor in FACTORS:
        form[factor], form[f"{factor}_rationale"] = "weakened", "Used again within a year."
    for pressure in PRESSURES:
        form[pressure], form[f"{pressure}_rationale"] = "rising", f"Seen in 2018 ({pressure})."
    return {**form, **changes}


def test_the_evaluation_rates_the_pressures_with_a_rationale(app, db, cast, make_case, move, client):
    case_id = make_case()
    move(case_id, "evaluation")
    assert post(client, "/login", {"username": "ana", "password": "correct horse battery staple"}).status_code == 302
    url = f"/cases/{case_id}/evaluation"
    form = client.get(url).get_data(as_text=True)
    for label in ("Repeated violation", "Perceived utility", "Ease of access", "Diminished attention"):
        assert label in form
    answer = post(client, url, evaluation_form(version(db, case_id), ease_of_access_rationale=""))
    assert answer.status_code == 422
    assert "This field is required" in answer.get_data(as_text=True) or "required" in answer.get_data(as_text=True)
    answer = post(client, url, evaluation_form(version(db, case_id), perceived_utility="soaring"))
    assert answer.status_code == 422
    assert events(db, "evaluation_recorded") == []

    answer = post(client, url, evaluation_form(version(db, case_id), diminished_attention="receding"))
    assert answer.status_code == 302, answer.get_data(as_text=True)
    with db.sessions() as session:
        rows = {row.pressure: (row.rating, row.rationale)
                for row in session.scalars(select(EvaluationPressure))}
    assert rows == {"repeated_violation": ("rising", "Seen in 2018 (repeated_violation)."),
                    "perceived_utility": ("rising", "Seen in 2018 (perceived_utility)."),
                    "ease_of_access": ("rising", "Seen in 2018 (ease_of_access)."),
                    "diminished_attention": ("receding", "Seen in 2018 (diminished_attention).")}
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "pressures: repeated violation rising, perceived utility rising, ease of access rising, " \
           "diminished attention receding" in page
    [event] = events(db, "evaluation_recorded")
    assert details(event)["diminished_attention"] == "receding"
    assert details(event)["ease_of_access_rationale"] == "Seen in 2018 (ease_of_access)."


def test_the_service_refuses_an_evaluation_without_its_pressures(db, cast, make_case, move):
    from workflow import evaluations
    case_id = make_case()
    move(case_id, "evaluation")
    fields = dict(ratings={f: "unchanged" for f in FACTORS}, rationales={f: "x" for f in FACTORS},
                  repeat_use="no", recommendation="continue")
    with pytest.raises(Invalid, match="repeated violation: choose"):
        run(db, evaluations.record_evaluation, cast["ana"], case_id, expected_version=ANY_VERSION,
            **fields)
    with pytest.raises(Invalid, match="perceived utility rationale: required"):
        run(db, evaluations.record_evaluation, cast["ana"], case_id, expected_version=ANY_VERSION,
            pressures={p: "unchanged" for p in PRESSURES},
            pressure_rationales={p: "x" for p in PRESSURES if p != "perceived_utility"}, **fields)
    assert events(db, "evaluation_recorded") == []


@pytest.fixture
def extra_config(log_key_files):
    # The dossier is signed with the audit log's key.
    return {"AUDIT_SIGNING_KEY": str(log_key_files[0]), "AUDIT_LOG_ORIGIN": "restraint.test/audit"}


def test_the_dossier_lists_actors_block_factors_and_pressures(db, cast, make_case, move, satisfy,
                                                              seeded, runner, tmp_path):
    from test_dossier import produce, text_of
    from workflow import evaluations
    case_id = make_case()
    move(case_id, "legal_consequence")
    response = run(db, responses.propose_response, cast["leo"], case_id, expected_version=ANY_VERSION,
                   level="international", tool="diplomatic", actor_name="France and others",
                   description="Draft resolution.", actors=["France", "UK", "US"],
                   instruments=["UNSCR 2118"], forum="UNSC", factors=["norms"])
    run(db, responses.change_status, cast["leo"], case_id, expected_version=ANY_VERSION,
        response_id=response.id, status="blocked", reason="Vetoed as premature.", blocked_by="Russia")
    for target in ("implementation", "evaluation"):
        satisfy(case_id, target)
        request = run(db, reviews.request_gate, cast["ivy"], case_id, expected_version=ANY_VERSION,
                      target=target)
        run(db, reviews.approve_gate, cast["sue"], request.id, expected_version=ANY_VERSION,
            reason="fine")
    run(db, evaluations.record_evaluation, cast["ana"], case_id, expected_version=ANY_VERSION,
        ratings={f: "weakened" for f in FACTORS}, rationales={f: "used again" for f in FACTORS},
        pressures={p: "rising" for p in PRESSURES},
        pressure_rationales={p: f"why {p.replace('_', ' ')}" for p in PRESSURES},
        repeat_use="yes", recommendation="continue")
    text = text_of(produce(runner, tmp_path, case_id, "--as", "sue"))
    assert "3 actors: France; United Kingdom; United States" in text
    assert "instruments: UN Security Council resolution 2118 (2013)" in text
    assert "forum: UN Security Council" in text and "reinforces: norms" in text
    assert "blocked by Russian Federation in UN Security Council: Vetoed as premature." in text
    for pressure in PRESSURES:
        words = pressure.replace("_", " ")
        assert f"{words} rising why {words}" in text


def test_the_api_takes_and_shows_actors_instruments_forum_factors_and_the_block(api, legal_case):
    leo = api("leo")
    etag = leo.get(f"/cases/{legal_case}").headers["ETag"]
    made = leo.post(f"/cases/{legal_case}/responses", {
        "level": "international", "tool": "diplomatic", "actor": "three states",
        "description": "Draft resolution.", "actors": ["US", "UK", "France"],
        "instruments": ["UNSCR 2118"], "forum": "UNSC", "factors": ["norms", "deterrence"]},
        version=etag)
    assert made.status_code == 201, made.json
    assert made.json["actors"] == ["United States", "United Kingdom", "France"]
    assert made.json["instruments"] == ["UN Security Council resolution 2118 (2013)"]
    assert (made.json["forum"], made.json["factors"]) == ("UN Security Council", ["norms", "deterrence"])
    url = f"/cases/{legal_case}/responses/{made.json['id']}/status"
    refused = leo.post(url, {"status": "blocked", "reason": "veto"}, version=made.headers["ETag"])
    assert refused.status_code == 422 and refused.json["errors"][0]["field"] == "blocked_by"
    blocked = leo.post(url, {"status": "blocked", "reason": "veto", "blocked_by": "Russia"},
                       version=made.headers["ETag"])
    assert blocked.status_code == 200, blocked.json
    assert (blocked.json["blocked_by"], blocked.json["blocked_in"], blocked.json["blocked_why"]) == (
        "Russian Federation", "UN Security Council", "veto")
