"""Demonstration data: a few cases at different stages, built through the services so their
audit trail is real. Every demonstration case says so in its title and summary."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, select, update

from models.case import Case
from models.database import Database
from models.evidence import EvidenceItem
from models.notification import Notification
from models.response import Response
from models.task import Task
from vocabulary import FACTORS, PRESSURES
from workflow import cases, deterrence, evaluations, evidence, pathway, responses, reviews, tasks
from workflow.audit import Actor
from workflow.pathway import RECOMMENDED_TARGET
from workflow import clock
from workflow.command import ANY_VERSION

MARK = "[Demonstration]"
#: Who requests each gate: the role whose work the gate closes (declared with the gates).
REQUESTER = pathway.REQUESTER


def finish_required_tasks(db: Database, case_id: int, people: dict[str, Actor]) -> None:
    """The players of each role claim and complete the required tasks of the case's stage."""
    with db.transaction() as session:
        stage = session.get(Case, case_id).state
        open_tasks = session.scalars(select(Task).where(
            Task.case_id == case_id, Task.stage == stage, Task.required,
            Task.status.in_(tasks.OPEN)).order_by(Task.id)).all()
        for task in open_tasks:
            worker = people[task.role]
            if task.status == "open":
                tasks.claim(session, worker, task.id)
            tasks.complete(session, worker, task.id, note="Done for the demonstration.")


#: What the laboratories find of each agent, and who the analyst names: the records of a
#: demonstration case agree with its suspected agent (chlorine and a state unit unless it has one).
LAB_RESULTS = {"chlorine": "chlorinated organic chemicals",
               "sarin": "sarin, its by-product hexamine and isopropyl methylphosphonic acid",
               "novichok": "a nerve agent of the Novichok group, of high purity",
               "sulfur_mustard": "sulfur mustard and its hydrolysis product thiodiglycol"}
PARTIES = {"novichok": ("State intelligence service unit", "state"),
           "sulfur_mustard": ("Non-state armed group", "non_state_group")}
STATE_UNIT = ("State air force unit", "state")


def satisfy_gate(db: Database, case_id: int, target: str, people: dict[str, Actor]) -> None:
    """Record what the gate from the case's stage to `target` asks for, each by its role."""
    investigator, analyst, legal = people["investigator"], people["analyst"], people["legal_officer"]
    finish_required_tasks(db, case_id, people)
    with db.transaction() as session:
        case = session.get(Case, case_id)
        stage, agent = case.state, case.suspected_agent if case.suspected_agent in LAB_RESULTS else "chlorine"
        if stage != "reported":
            deterrence.record_message(session, investigator, case_id, expected_version=ANY_VERSION,
                                      said_on=date(2018, 4, 9),
                                      audience="the perpetrator and its allies",
                                      speaker="Foreign minister", channel="press conference",
                                      summary="Any further use will meet a firm response.")
        gate = (stage, target)
        if gate == ("reported", "investigation"):
            evidence.add_evidence(session, investigator, case_id, expected_version=ANY_VERSION,
                                  kind="document", title="Initial report",
                                  source="local health directorate", source_grade="B",
                                  information_grade="2")
        elif gate == ("investigation", "attribution"):
            sample = evidence.add_evidence(session, investigator, case_id,
                                           expected_version=ANY_VERSION,
                                           kind="environmental_sample",
                                           title="Soil sample, impact site", source_grade="A",
                                           information_grade="2")
            evidence.add_custody_event(session, investigator, case_id, expected_version=ANY_VERSION,
                                       evidence_id=sample.id, action="collected",
                                       at=datetime(2018, 4, 21, 10),
                                       to_holder=investigator.username, seal_id="S-001")
            for lab in ("Designated laboratory A", "Designated laboratory B"):
                evidence.add_lab_analysis(session, investigator, case_id,
                                          expected_version=ANY_VERSION, evidence_id=sample.id,
                                          laboratory=lab, designated=True, method="GC-MS",
                                          result=LAB_RESULTS[agent])
            evidence.record_finding(session, investigator, case_id, expected_version=ANY_VERSION,
                                    kind="use_determination", conclusion="confirmed",
                                    agent=agent, cited_ids=[sample.id],
                                    rationale="Two designated laboratories agree.")
        elif gate == ("investigation", "closed"):
            evidence.record_finding(session, investigator, case_id, expected_version=ANY_VERSION,
                                    kind="use_determination", conclusion="not_confirmed",
                                    rationale="No markers in any sample.")
        elif gate == ("attribution", "legal_consequence"):
            cited = session.scalars(select(EvidenceItem.id).where(
                EvidenceItem.case_id == case_id, EvidenceItem.status == "active")
                .order_by(EvidenceItem.id).limit(2)).all()
            party, party_type = PARTIES.get(agent, STATE_UNIT)
            evidence.record_finding(session, analyst, case_id, expected_version=ANY_VERSION,
                                    kind="attribution", conclusion="attributed",
                                    responsible_party=party, party_type=party_type,
                                    standard_of_proof="reasonable_grounds",
                                    rationale="Munition remnants and flight data.", cited_ids=cited)
        elif gate == ("attribution", "closed"):
            evidence.record_finding(session, analyst, case_id, expected_version=ANY_VERSION,
                                    kind="attribution", conclusion="inconclusive",
                                    rationale="Two plausible perpetrators.")
        elif gate == ("legal_consequence", "implementation"):
            response = responses.propose_response(session, legal, case_id,
                                                  expected_version=ANY_VERSION,
                                                  level="multilateral", tool="economic",
                                                  actor_name="Regional council",
                                                  description="Listing of the unit's commanders.",
                                                  legally_binding=True,
                                                  strategies=["zero_tolerance"],
                                                  catalog_key="regional_listings")
            responses.change_status(session, legal, case_id, expected_version=ANY_VERSION,
                                    response_id=response.id, status="adopted",
                                    reason="Adopted by the council.")
        elif gate == ("implementation", "evaluation"):
            adopted = session.scalars(select(Response).where(Response.case_id == case_id,
                                                             Response.status == "adopted")).all()
            for response in adopted:
                if not response.milestones:
                    responses.add_milestone(session, legal, case_id, expected_version=ANY_VERSION,
                                            response_id=response.id,
                                            description="Listing published",
                                            due_on=clock.today() + timedelta(days=30))
        elif stage == "evaluation":
            recommendation = {t: r for r, t in RECOMMENDED_TARGET.items()}[target]
            evaluations.record_evaluation(session, analyst, case_id, expected_version=ANY_VERSION,
                                          ratings={f: "strengthened" for f in FACTORS},
                                          rationales={f: "No further use reported since the responses." for f in FACTORS},
                                          pressures={p: "receding" for p in PRESSURES},
                                          pressure_rationales={p: "No further use, and the unit's suppliers are listed." for p in PRESSURES},
                                          repeat_use="no", recommendation=recommendation,
                                          outcome="restraint restored" if recommendation == "close" else "")


def advance(db: Database, case_id: int, target: str, people: dict[str, Actor]) -> None:
    """Satisfy a gate, request it as the role whose work it closes, approve it as supervisor."""
    satisfy_gate(db, case_id, target, people)
    with db.transaction() as session:
        stage = session.get(Case, case_id).state
        request = reviews.request_gate(session, people[REQUESTER[stage]], case_id,
                                       expected_version=ANY_VERSION, target=target,
                                       note="Requirements met.")
        request_id = request.id
    with db.transaction() as session:
        reviews.approve_gate(session, people["supervisor"], request_id,
                             expected_version=ANY_VERSION, reason="Checked.")


STORY = (
    ("Chlorine cylinder on a residential building", "SY", "Douma", date(2018, 4, 7), "chlorine",
     []),
    ("Sarin dropped on a town centre", "SY", "Khan Shaykhun", date(2017, 4, 4), "sarin",
     ["investigation", "attribution"]),
    ("Nerve agent used against a former officer", "GB", "Salisbury", date(2018, 3, 4),
     "novichok", ["investigation", "attribution", "legal_consequence", "implementation"]),
    ("Mustard agent shells on a village", "IQ", "Taza", date(2016, 3, 8), "sulfur_mustard",
     ["investigation", "attribution", "legal_consequence", "implementation", "evaluation", "closed"]),
)


def load_story(db: Database, people: dict[str, Actor]) -> int:
    """On a database with no cases, open the demonstration cases and move each to its stage."""
    with db.sessions() as session:
        if session.scalar(select(func.count()).select_from(Case)):
            return 0
    story = []
    for title, country, place, occurred_on, agent, path in STORY:
        with db.transaction() as session:
            case = cases.open_case(
                session, people["investigator"], title=f"{MARK} {title}", country=country, place=place,
                occurred_on=occurred_on, suspected_agent=agent,
                summary=f"{MARK} A made-up case for learning the pathway; loosely modelled on a "
                        "documented incident, its records are invented.")
            case_id = case.id
        with db.transaction() as session:
            cases.set_member(session, people["supervisor"], case_id, expected_version=ANY_VERSION,
                             user_id=people["investigator"].id, case_role="lead_investigator")
            cases.set_member(session, people["supervisor"], case_id, expected_version=ANY_VERSION,
                             user_id=people["analyst"].id, case_role="analyst")
            cases.set_member(session, people["supervisor"], case_id, expected_version=ANY_VERSION,
                             user_id=people["legal_officer"].id, case_role="legal_officer")
        for target in path:
            advance(db, case_id, target, people)
        story.append(case_id)
    # The story is history by the time anyone signs in: its notifications are not news, and
    # would bury the first real one in the demo accounts' inboxes.
    with db.transaction() as session:
        session.execute(update(Notification).where(Notification.case_id.in_(story),
                                                   Notification.read_at.is_(None))
                        .values(read_at=clock.utcnow()))
    return len(STORY)
