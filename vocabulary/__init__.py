"""The words the domain is written in, declared once: stages, roles, the menu, evidence, findings.

Both the models (columns and CHECK constraints) and the workflow (rules and forms) read
these tuples, so a value added here reaches the database and the code together. This
package imports nothing but the standard library, and nothing of the project: the import
contracts in pyproject.toml (checked by tests/test_architecture.py) hold it to that.
"""
from __future__ import annotations

# --- The pathway's stages (DESIGN §2) -------------------------------------------------------
REPORTED = "reported"
INVESTIGATION = "investigation"
ATTRIBUTION = "attribution"
LEGAL_CONSEQUENCE = "legal_consequence"
IMPLEMENTATION = "implementation"
EVALUATION = "evaluation"
CLOSED = "closed"

STAGES = (REPORTED, INVESTIGATION, ATTRIBUTION, LEGAL_CONSEQUENCE, IMPLEMENTATION, EVALUATION,
          CLOSED)

# --- The roles a user may hold (DESIGN §1) --------------------------------------------------
INVESTIGATOR = "investigator"
ANALYST = "analyst"
LEGAL_OFFICER = "legal_officer"
SUPERVISOR = "supervisor"
AUDITOR = "auditor"
ADMIN = "admin"

ROLES = (INVESTIGATOR, ANALYST, LEGAL_OFFICER, SUPERVISOR, AUDITOR, ADMIN)
#: The roles whose holders work on case teams.
WORKING_ROLES = (INVESTIGATOR, ANALYST, LEGAL_OFFICER)
#: Roles granted only when a second admin approves (DESIGN §1, separation of duties).
TWO_ADMIN_ROLES = (SUPERVISOR, AUDITOR, ADMIN)
#: The role someone plays on one case's team.
CASE_ROLES = ("lead_investigator", "investigator", "analyst", "legal_officer")
GRANT_DECISIONS = ("pending", "approved", "refused", "withdrawn")

# --- Cases ----------------------------------------------------------------------------------
AGENTS = ("chlorine", "sarin", "sulfur_mustard", "vx", "novichok", "other", "unknown")
#: How much of a date is known: the day, only the month, or only the year.
PRECISIONS = ("day", "month", "year")
#: How one case is linked to another: a related incident, or a duplicate of the same incident.
LINK_KINDS = ("related", "duplicate")
#: The user role each case role needs: a team member does the work of the role they play.
CASE_ROLE_NEEDS = {"lead_investigator": INVESTIGATOR, "investigator": INVESTIGATOR,
                   "analyst": ANALYST, "legal_officer": LEGAL_OFFICER}

# --- Gate requests --------------------------------------------------------------------------
GATE_DECISIONS = ("pending", "approved", "rejected", "withdrawn")

# --- Evidence -------------------------------------------------------------------------------
EVIDENCE_KINDS = ("environmental_sample", "biomedical_sample", "munition_remnant",
                  "witness_interview", "medical_record", "open_source_media", "imagery",
                  "lab_report", "document", "other")
SAMPLE_KINDS = ("environmental_sample", "biomedical_sample")
EVIDENCE_STATUSES = ("active", "withdrawn")
#: Admiralty scale: reliability of the source (A–F) ...
SOURCE_GRADES = {
    "A": "completely reliable", "B": "usually reliable", "C": "fairly reliable",
    "D": "not usually reliable", "E": "unreliable", "F": "reliability cannot be judged",
}
#: ... and credibility of the information (1–6).
INFORMATION_GRADES = {
    "1": "confirmed by other sources", "2": "probably true", "3": "possibly true",
    "4": "doubtful", "5": "improbable", "6": "truth cannot be judged",
}
CUSTODY_ACTIONS = ("collected", "sealed", "transferred", "received", "analysed", "stored",
                   "returned")

# --- Findings -------------------------------------------------------------------------------
USE_DETERMINATION = "use_determination"
ATTRIBUTION_FINDING = "attribution"
FINDING_KINDS = (USE_DETERMINATION, ATTRIBUTION_FINDING)
#: The conclusions each kind of finding may reach.
CONCLUSIONS = {
    USE_DETERMINATION: ("confirmed", "likely", "not_confirmed"),
    ATTRIBUTION_FINDING: ("attributed", "inconclusive"),
}
#: The use determinations that name the agent found.
AGENT_CONCLUSIONS = ("confirmed", "likely")
#: The attribution conclusion that names a responsible party.
ATTRIBUTED = "attributed"
PARTY_TYPES = ("state", "non_state_group", "individual")
STANDARDS_OF_PROOF = ("reasonable_grounds", "clear_and_convincing", "beyond_reasonable_doubt")

# --- The accountability menu ----------------------------------------------------------------
LEVELS = ("national", "multilateral", "international")
TOOLS = ("military", "legal", "political", "diplomatic", "economic", "education_outreach")
#: The cells of the 3 × 6 menu, level by level.
CELLS = tuple((level, tool) for level in LEVELS for tool in TOOLS)
STRATEGIES = ("zero_tolerance", "coalitions", "technical_gaps", "institutions", "judicial",
              "civil_society")
#: Who an attack was aimed at, as the record shows it.
TARGETED = ("civilians", "combatants", "political_opponents", "mixed", "unknown")
RESPONSE_STATUSES = ("proposed", "adopted", "blocked", "withdrawn", "implemented", "lapsed")

# --- Evaluation: the four factors that restrain use -----------------------------------------
FACTORS = ("taboo", "norms", "lack_of_benefit", "deterrence")
RATINGS = ("weakened", "unchanged", "strengthened")
REPEAT_USE = ("yes", "no", "unknown")
RECOMMENDATIONS = ("close", "escalate", "continue")
#: The pressures eroding restraint, each rated by how it moved since the use.
PRESSURES = ("repeated_violation", "perceived_utility", "ease_of_access", "diminished_attention")
PRESSURE_RATINGS = ("receding", "unchanged", "rising")

# --- Tasks ----------------------------------------------------------------------------------
TASK_STATUSES = ("open", "in_progress", "done", "cancelled")
#: The statuses of a task still to be done.
OPEN_TASK_STATUSES = ("open", "in_progress")


# --- Registers: the parties, bodies, instruments, fora and actors the record names -----------
#: Each register and the kinds of entry it holds.
REGISTERS = {
    "party": ("state", "state_organ", "non_state_group", "individual"),
    "body": ("international", "national", "non_governmental"),
    "instrument": ("treaty", "resolution", "sanctions_regime", "national_law"),
    "forum": ("international", "national"),
    "actor": ("state", "state_organ", "organisation", "non_governmental"),
}
#: Each register's title, as its page and its tab say it.
REGISTER_TITLES = {"party": "Parties", "body": "Investigating and attributing bodies",
                   "instrument": "Legal instruments", "forum": "Fora", "actor": "Actors of responses"}
#: An entry a supervisor added is accepted; one a finding named first is proposed until a
#: supervisor accepts it or merges it into another; a merged entry lives on only as aliases.
REGISTER_STATUSES = ("accepted", "proposed", "merged")


# --- Notifications and notes ----------------------------------------------------------------
#: What a person is told of (in the app, and by email as they choose).
NOTIFICATION_KINDS = ("gate_requested", "gate_decided", "task_assigned", "task_queued",
                      "mentioned", "team_added", "task_overdue", "milestone_overdue",
                      "stage_overdue")
#: Where an email of a notification stands: waiting (and retried), sent, or not sendable.
EMAIL_STATES = ("pending", "sent", "skipped")
#: The records a note may be written on.
COMMENT_SUBJECTS = ("case", "evidence", "response")

# --- Languages ------------------------------------------------------------------------------
#: The languages the interface speaks, each by its own name.
LANGUAGES = {"en": "English", "ar": "العربية"}
#: Those written from right to left.
RIGHT_TO_LEFT = ("ar",)
