"""The accountability menu: levels × tools, the response lifecycle, and a catalog of options.

The catalog is the project's own summary of responses that states and institutions have
used after chemical-weapons use; the precedents name public, documented cases.
"""
from __future__ import annotations

from dataclasses import dataclass

from vocabulary import LEVELS, STRATEGIES, TOOLS
from vocabulary import RESPONSE_STATUSES as STATUSES
from workflow.words import Text, _

#: The lifecycle: which status may follow which. Blocked, withdrawn, implemented and
#: lapsed are final; a blocked response stays on record as a clipped pathway.
NEXT_STATUSES = {
    "proposed": ("adopted", "blocked", "withdrawn"),
    "adopted": ("implemented", "lapsed"),
}


@dataclass(frozen=True)
class Option:
    """A response a legal officer can pick from the menu and adapt."""

    key: str
    level: str
    tool: str
    title: Text
    description: Text
    legally_binding: bool
    legal_basis: Text | str = ""
    strategies: tuple[str, ...] = ()
    precedent: Text | str = ""


CATALOG: tuple[Option, ...] = (
    Option("strike_cw_facilities", "national", "military",
           _("Punitive strike on chemical-weapons facilities"),
           _("Limited strikes on the airbase or research sites tied to the attack, to degrade the capability and signal that use is costly."),
           False, _("Self-defence or humanitarian-necessity claims; contested"), ("zero_tolerance",),
           _("US strike on Shayrat airbase after Khan Shaykhun (2017); US, UK and French strikes on Barzeh and Him Shinshar (2018)")),
    Option("capture_cw_leadership", "national", "military",
           _("Capture or disable a chemical-weapons cell"),
           _("Military action against a non-state group's chemical-weapons programme: its leaders, workshops and stocks."),
           False, _("Armed conflict law"), ("zero_tolerance",),
           _("Capture of the head of ISIS's chemical weapons programme in Iraq (2016)")),
    Option("criminal_complaint", "national", "legal",
           _("Criminal complaint under universal jurisdiction"),
           _("Survivors and organisations file a complaint with a prosecutor who can try crimes committed abroad."),
           False, _("Universal jurisdiction over war crimes and crimes against humanity"), ("judicial", "civil_society"),
           _("Complaints in Germany (2020) and France (2021) over the Ghouta and Khan Shaykhun attacks")),
    Option("arrest_warrant", "national", "legal", _("Arrest warrants for those responsible"),
           _("Investigating judges issue warrants against commanders and officials; binding on the issuing state's authorities."),
           True, _("National criminal procedure"), ("judicial",),
           _("French warrants against Syrian leaders for the 2013 attacks (2023)")),
    Option("prosecution", "national", "legal", _("Charges and prosecution"),
           _("Prosecutors charge identified perpetrators; trials in person or warrants for extradition."),
           True, _("National criminal law"), ("judicial",),
           _("UK charges against two GRU officers for the Salisbury attack (2018); Malaysian murder trial over the VX killing (2017)")),
    Option("public_inquiry", "national", "legal", _("Statutory public inquiry"),
           _("A judge-led inquiry establishes the facts and responsibility in public, with powers to compel evidence."),
           True, _("Inquiries legislation"), ("institutions",),
           _("The Dawn Sturgess inquiry into the Amesbury novichok poisoning")),
    Option("public_attribution", "national", "political", _("Public attribution statement"),
           _("The government names the responsible party on the record, sharing what evidence it can."),
           False, "", ("zero_tolerance", "coalitions")),
    Option("expel_diplomats", "national", "diplomatic", _("Expulsion of diplomats"),
           _("Expel intelligence officers under diplomatic cover and suspend high-level contacts."),
           True, _("Vienna Convention on Diplomatic Relations, art. 9"), ("coalitions",),
           _("UK expulsion of 23 Russian diplomats after Salisbury, followed by allies (2018)")),
    Option("national_sanctions", "national", "economic", _("Sanctions listings"),
           _("Asset freezes and travel bans on the individuals and entities behind the programme."),
           True, _("National sanctions law (e.g. the US CBW Act)"), ("zero_tolerance",),
           _("US designation of 271 staff of Syria's Scientific Studies and Research Center (2017)")),
    Option("training_first_responders", "national", "education_outreach",
           _("Training and outreach"),
           _("Train medics, first responders and documenters in sampling, chain of custody and treatment."),
           False, "", ("technical_gaps", "civil_society")),
    Option("coalition_strike", "multilateral", "military", _("Coalition strike"),
           _("Several states act together against chemical-weapons infrastructure."),
           False, _("Contested"), ("zero_tolerance", "coalitions"),
           _("Joint US, UK and French strikes after Douma (2018)")),
    Option("regional_sanctions_regime", "multilateral", "legal",
           _("A chemical-weapons sanctions regime"),
           _("A regional organisation creates a standing legal basis to list those who use or develop chemical weapons."),
           True, _("EU Council decision (CFSP) 2018/1544"), ("institutions",),
           _("The EU chemical weapons sanctions regime (2018)")),
    Option("joint_statement", "multilateral", "political", _("Joint statement of condemnation"),
           _("A group of states condemns the attack together and commits to accountability."),
           False, "", ("coalitions",)),
    Option("coordinated_expulsions", "multilateral", "diplomatic", _("Coordinated expulsions"),
           _("Allies expel diplomats in the same week, multiplying the cost."),
           True, _("Vienna Convention on Diplomatic Relations, art. 9"), ("coalitions",),
           _("153 Russian diplomats expelled by 29 states (2018)")),
    Option("regional_listings", "multilateral", "economic", _("Regional sanctions listings"),
           _("Officials, scientists and institutes listed for asset freezes and travel bans across a bloc."),
           True, _("EU restrictive measures"), ("coalitions", "zero_tolerance"),
           _("EU listings of Syrian officers and scientists (2017) and Russian officials (2020)")),
    Option("documentation_support", "multilateral", "education_outreach",
           _("Support for documentation and survivors"),
           _("Fund civil-society documentation, archives and survivor support so that evidence lasts."),
           False, "", ("civil_society", "technical_gaps")),
    Option("un_peacekeeping_mandate", "international", "military",
           _("Security Council enforcement mandate"),
           _("A Chapter VII resolution authorising measures to remove or destroy chemical weapons."),
           True, _("UN Charter, Chapter VII"), ("institutions",)),
    Option("security_council_resolution", "international", "legal", _("Security Council resolution"),
           _("A binding resolution requiring destruction of the arsenal and cooperation with inspectors."),
           True, _("UN Charter, Chapter VII"), ("institutions", "zero_tolerance"),
           _("Resolution 2118 on Syria's chemical weapons (2013)")),
    Option("csp_suspension", "international", "legal",
           _("OPCW decision suspending rights and privileges"),
           _("The Conference of States Parties suspends a state's rights and privileges under the Convention."),
           True, _("Chemical Weapons Convention, art. XII(2)"), ("institutions",),
           _("Suspension of Syria's rights and privileges (2021)")),
    Option("schedule_amendment", "international", "legal", _("Adding agents to the CWC schedules"),
           _("States parties add a newly used agent family to the schedules, closing a verification gap."),
           True, _("Chemical Weapons Convention, art. XV"), ("technical_gaps", "institutions"),
           _("Novichok agents added to Schedule 1 (2019)")),
    Option("executive_council_decision", "international", "political",
           _("OPCW Executive Council decision"),
           _("The Executive Council condemns the use and sets deadlines for the responsible state."),
           False, _("Chemical Weapons Convention, art. VIII"), ("institutions",),
           _("Executive Council decision acting on the IIT's first report (2020)")),
    Option("general_assembly_resolution", "international", "diplomatic",
           _("General Assembly resolution or investigative mechanism"),
           _("Where the Security Council is blocked, the General Assembly condemns or sets up an investigative mechanism."),
           False, _("UN Charter, art. 10–14"), ("coalitions", "institutions")),
    Option("framework_agreement", "international", "diplomatic", _("Negotiated disarmament framework"),
           _("A negotiated agreement to remove and destroy the arsenal under international verification."),
           True, _("Bilateral framework endorsed by the Security Council"), ("institutions",),
           _("US–Russian framework for the elimination of Syria's chemical weapons (2013)")),
    Option("un_sanctions", "international", "economic", _("UN sanctions"),
           _("Security Council sanctions on those responsible; binding on every member state."),
           True, _("UN Charter, art. 41"), ("zero_tolerance", "institutions")),
    Option("norm_outreach", "international", "education_outreach",
           _("Norm outreach and assistance"),
           _("Universalisation, training and assistance so that every state can detect, protect and respond."),
           False, _("Chemical Weapons Convention, art. X and XI"), ("technical_gaps", "institutions")),
)
BY_KEY = {option.key: option for option in CATALOG}


def options_for(level: str, tool: str) -> list[Option]:
    return [option for option in CATALOG if option.level == level and option.tool == tool]
