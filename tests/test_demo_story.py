"""The demonstration cases tell one story each: their records agree with their suspected agent."""
from __future__ import annotations

from sqlalchemy import select

from models.case import Case
from models.evidence import EvidenceItem, LabAnalysis
from models.finding import Finding
from workflow import demo


def test_each_demonstration_case_finds_the_agent_it_suspects(db, people):
    demo.load_story(db, people)
    with db.sessions() as session:
        stories = {case.place: case for case in session.scalars(select(Case))}
        agents = {place: case.suspected_agent for place, case in stories.items()}
        found = dict(session.execute(select(Case.place, Finding.agent).join(Finding).where(
            Finding.kind == "use_determination")).all())
        results = dict(session.execute(
            select(Case.place, LabAnalysis.result).join(EvidenceItem, EvidenceItem.case_id == Case.id)
            .join(LabAnalysis, LabAnalysis.evidence_id == EvidenceItem.id)).all())
        parties = dict(session.execute(select(Case.place, Finding.party_type).join(Finding).where(
            Finding.kind == "attribution")).all())
    assert agents == {"Douma": "chlorine", "Khan Shaykhun": "sarin", "Salisbury": "novichok",
                      "Taza": "sulfur_mustard"}
    # Douma is still reported: nothing is determined there yet.
    assert found == {"Khan Shaykhun": "sarin", "Salisbury": "novichok", "Taza": "sulfur_mustard"}
    assert "sarin" in results["Khan Shaykhun"] and "Novichok" in results["Salisbury"]
    assert "sulfur mustard" in results["Taza"]
    assert parties == {"Salisbury": "state", "Taza": "non_state_group"}
