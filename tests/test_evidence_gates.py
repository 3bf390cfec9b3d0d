"""Custody chains, and the evidence requirements of the gates, met and unmet, as users read them."""
from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest

from models.case import Case
from models.evidence import EvidenceItem
from workflow import clock, evidence, pathway, reviews
from workflow.custody import chain_breaks
from workflow.errors import Invalid
from workflow.command import ANY_VERSION


def events(*steps):
    return [SimpleNamespace(id=n, action=action, from_holder=giver, to_holder=taker)
            for n, (action, giver, taker) in enumerate(steps, start=1)]


def test_an_unbroken_chain_has_no_breaks():
    assert chain_breaks(events(("collected", "", "ivy"), ("sealed", "ivy", ""),
                               ("transferred", "ivy", "courier"), ("received", "courier", "courier"),
                               ("transferred", "courier", "Lab One"), ("received", "", "Lab One"),
                               ("analysed", "Lab One", ""), ("stored", "", ""))) == {}


@pytest.mark.parametrize("steps, at, reason", [
    ((("sealed", "", "ivy"), ("transferred", "ivy", "lab")), 1,
     "the chain starts with 'sealed', not 'collected'"),
    ((("collected", "", "ivy"), ("transferred", "ivy", "courier"), ("transferred", "ivy", "lab")), 3,
     "transferred from ivy, but courier held it"),
    ((("collected", "", "ivy"), ("transferred", "ivy", "courier"), ("received", "", "Lab One")), 3,
     "gap: received by Lab One with no recorded transfer to them"),
    ((("collected", "", "ivy"), ("received", "", "Lab One")), 2,
     "gap: received by Lab One with no recorded transfer to them"),
])
def test_breaks_are_flagged_at_the_event_where_they_happen(steps, at, reason):
    assert chain_breaks(events(*steps)) == {at: reason}


def checklist(db, case_id: int, target: str) -> dict:
    """The gate's evidence requirements (messages and tasks are tested on their own)."""
    with db.sessions() as session:
        result = pathway.checklist(session, session.get(Case, case_id), target)
    return {item.code: (item.met, item.detail) for item in result.items
            if item.code not in ("deterrence_message", "required_tasks", "team")}


@pytest.fixture
def investigating(db, cast, make_case, move):
    case_id = make_case()
    move(case_id, "investigation")
    return case_id


def run(db, command, *args, **kwargs):
    with db.transaction() as session:
        return command(session, *args, **kwargs)


def test_investigation_to_attribution_unmet_then_met(db, cast, investigating):
    case_id, ivy = investigating, cast["ivy"]
    assert checklist(db, case_id, "attribution") == {
        "use_confirmed": (False, "no use determination recorded"),
        "two_kinds": (False, "1 active item of kind: document"),
        "samples_analysed": (False, "no samples recorded, though the case names an agent "
                                    "(chlorine); record a sample, or a supervisor records why "
                                    "none exists"),
        "cited_custody": (False, "the use determination cites no evidence"),
    }
    sample = run(db, evidence.add_evidence, ivy, case_id, expected_version=ANY_VERSION,
                 kind="biomedical_sample", title="Blood sample").id
    run(db, evidence.add_lab_analysis, ivy, case_id, expected_version=ANY_VERSION,
        evidence_id=sample, laboratory="Lab One", designated=True, result="sarin metabolites")
    run(db, evidence.add_lab_analysis, ivy, case_id, expected_version=ANY_VERSION,
        evidence_id=sample, laboratory="Lab Two", designated=False, result="sarin metabolites")
    run(db, evidence.record_finding, ivy, case_id, expected_version=ANY_VERSION,
        kind="use_determination", conclusion="likely", agent="unknown", rationale="symptoms",
        cited_ids=[sample])
    run(db, evidence.add_custody_event, ivy, case_id, expected_version=ANY_VERSION,
        evidence_id=sample, action="transferred", at=datetime(2017, 4, 5), from_holder="ivy",
        to_holder="Lab One")
    assert checklist(db, case_id, "attribution") == {
        "use_confirmed": (False, "the use determination names no agent"),
        "two_kinds": (True, "2 active items of kinds: biomedical sample, document"),
        "samples_analysed": (False, f"#{sample} Blood sample: 1 designated laboratory with results"),
        "cited_custody": (False, f"#{sample} Blood sample: the chain starts with 'transferred', not 'collected'"),
    }
    run(db, evidence.add_lab_analysis, ivy, case_id, expected_version=ANY_VERSION,
        evidence_id=sample, laboratory="Lab Three", designated=True, result="sarin metabolites")
    run(db, evidence.record_finding, ivy, case_id, expected_version=ANY_VERSION,
        kind="use_determination", conclusion="confirmed", agent="sarin", rationale="two labs",
        cited_ids=[])
    assert checklist(db, case_id, "attribution")["cited_custody"] == (
        False, "the use determination cites no evidence")
    other = run(db, evidence.add_evidence, ivy, case_id, expected_version=ANY_VERSION,
                kind="imagery", title="Crater photo").id
    run(db, evidence.add_custody_event, ivy, case_id, expected_version=ANY_VERSION,
        evidence_id=other, action="collected", at=datetime(2017, 4, 4), to_holder="ivy")
    run(db, evidence.record_finding, ivy, case_id, expected_version=ANY_VERSION,
        kind="use_determination", conclusion="confirmed", agent="sarin", rationale="two labs",
        cited_ids=[other])
    assert checklist(db, case_id, "attribution") == {
        "use_confirmed": (True, "use confirmed, agent sarin"),
        "two_kinds": (True, "3 active items of kinds: biomedical sample, document, imagery"),
        "samples_analysed": (True, "1 sample, each by two or more designated laboratories"),
        "cited_custody": (True, "1 cited item, chains unbroken"),
    }


def test_withdrawn_items_do_not_count(db, cast, investigating):
    case_id = investigating
    items = [run(db, evidence.add_evidence, cast["ivy"], case_id, expected_version=ANY_VERSION, kind="imagery", title="Photo").id]
    run(db, evidence.withdraw_evidence, cast["ivy"], case_id, expected_version=ANY_VERSION,
        evidence_id=items[0], reason="a fake")
    assert checklist(db, case_id, "attribution")["two_kinds"] == (False, "1 active item of kind: document")
    with pytest.raises(Invalid, match="withdrawn already"):
        run(db, evidence.withdraw_evidence, cast["ivy"], case_id, expected_version=ANY_VERSION,
            evidence_id=items[0], reason="again")
    with pytest.raises(Invalid, match="reason: required"):
        run(db, evidence.withdraw_evidence, cast["ivy"], case_id, expected_version=ANY_VERSION,
            evidence_id=1, reason=" ")


def test_investigation_to_closed(db, cast, investigating):
    assert checklist(db, investigating, "closed") == {
        "use_not_confirmed": (False, "no use determination recorded")}
    run(db, evidence.record_finding, cast["ivy"], investigating, expected_version=ANY_VERSION,
        kind="use_determination", conclusion="not_confirmed",
        rationale="no chemical markers in any sample")
    assert checklist(db, investigating, "closed") == {
        "use_not_confirmed": (True, "no chemical markers in any sample")}


def test_attribution_gates(db, cast, make_case, move):
    case_id = make_case()
    move(case_id, "attribution")
    assert checklist(db, case_id, "legal_consequence") == {
        "attributed": (False, "no attribution finding recorded")}
    assert checklist(db, case_id, "closed") == {
        "attribution_inconclusive": (False, "no attribution finding recorded")}
    run(db, evidence.record_finding, cast["ana"], case_id, expected_version=ANY_VERSION,
        kind="attribution", conclusion="attributed", responsible_party="Air force unit 22",
        party_type="state", standard_of_proof="clear_and_convincing", rationale="flight logs",
        cited_ids=[1])
    assert checklist(db, case_id, "legal_consequence") == {
        "attributed": (False, "cites 1 evidence item; two or more needed")}
    run(db, evidence.record_finding, cast["ana"], case_id, expected_version=ANY_VERSION,
        kind="attribution", conclusion="attributed", responsible_party="Air force unit 22",
        party_type="state", standard_of_proof="clear_and_convincing", rationale="flight logs",
        cited_ids=[1, 2])
    assert checklist(db, case_id, "legal_consequence") == {
        "attributed": (True, "Air force unit 22 (state), clear and convincing, citing 2 items")}
    assert checklist(db, case_id, "closed") == {
        "attribution_inconclusive": (False, "the attribution is attributed")}
    run(db, evidence.record_finding, cast["ana"], case_id, expected_version=ANY_VERSION,
        kind="attribution", conclusion="inconclusive", rationale="two plausible perpetrators")
    assert checklist(db, case_id, "closed") == {
        "attribution_inconclusive": (True, "two plausible perpetrators")}


@pytest.mark.parametrize("fields, message", [
    (dict(kind="use_determination", conclusion="attributed", rationale="r"), "conclusion: choose"),
    (dict(kind="use_determination", conclusion="confirmed", rationale="r", agent="tear gas"), "agent: choose Chlorine, Sarin, Sulfur mustard"),
    (dict(kind="attribution", conclusion="attributed", rationale="r", party_type="state",
          standard_of_proof="reasonable_grounds"), "responsible party: required"),
    (dict(kind="attribution", conclusion="inconclusive", rationale=""), "rationale: required"),
    (dict(kind="use_determination", conclusion="likely", agent="sarin", rationale="r", cited_ids=[999]),
     "cited evidence: every cited item must belong to this case"),
])
def test_bad_findings_are_refused_naming_the_field(db, cast, investigating, fields, message):
    with pytest.raises(Invalid, match=message):
        run(db, evidence.record_finding, cast["ivy"], investigating, expected_version=ANY_VERSION,
            **fields)


def test_lab_analyses_only_for_samples(db, cast, investigating):
    with pytest.raises(Invalid, match="environmental and biomedical samples only"):
        run(db, evidence.add_lab_analysis, cast["ivy"], investigating, expected_version=ANY_VERSION,
            evidence_id=1, laboratory="L", designated=True)


def test_a_lab_analysis_dated_in_the_future_is_refused_and_counts_toward_nothing(db, cast, investigating):
    ivy = cast["ivy"]
    sample = run(db, evidence.add_evidence, ivy, investigating, expected_version=ANY_VERSION,
                 kind="environmental_sample", title="Soil").id
    with pytest.raises(Invalid, match="analysed on: cannot be in the future"):
        run(db, evidence.add_lab_analysis, ivy, investigating, expected_version=ANY_VERSION,
            evidence_id=sample, laboratory="Lab One", designated=True, result="sarin",
            analysed_on=clock.today() + timedelta(days=1))
    with db.sessions() as session:
        assert session.get(EvidenceItem, sample).analyses == []


def test_investigation_to_closed_refuses_a_confirmed_use(db, cast, investigating):
    run(db, evidence.record_finding, cast["ivy"], investigating, expected_version=ANY_VERSION,
        kind="use_determination", conclusion="confirmed", agent="sarin", rationale="two labs")
    assert checklist(db, investigating, "closed") == {
        "use_not_confirmed": (False, "the use determination is confirmed")}


def test_a_checklist_after_a_move_in_the_same_transaction_counts_the_new_stage(db, cast, make_case,
                                                                              satisfy):
    """The gate checks' counts read with the locked case are of the stage it left; once the
    case moves they are counted again, so the new stage's required task shows as open."""
    case_id = make_case()
    satisfy(case_id, "investigation")
    with db.transaction() as session:
        request_id = reviews.request_gate(session, cast["ivy"], case_id, expected_version=ANY_VERSION,
                                          target="investigation").id
    with db.transaction() as session:
        case = reviews.approve_gate(session, cast["sue"], request_id, expected_version=ANY_VERSION,
                                    reason="fine")
        result = pathway.checklist(session, case, "attribution")
    met, detail = next((item.met, item.detail) for item in result.items if item.code == "required_tasks")
    assert not met and "Draft the use determination" in detail
