"""The roles a user may hold (DESIGN §1)."""

INVESTIGATOR = "investigator"
ANALYST = "analyst"
LEGAL_OFFICER = "legal_officer"
SUPERVISOR = "supervisor"
AUDITOR = "auditor"
ADMIN = "admin"

ROLES = (INVESTIGATOR, ANALYST, LEGAL_OFFICER, SUPERVISOR, AUDITOR, ADMIN)

DESCRIPTIONS = {
    INVESTIGATOR: "opens cases, records evidence, custody, findings and messages; requests gates",
    ANALYST: "attribution work: findings, forensic results; requests gates",
    LEGAL_OFFICER: "picks responses from the accountability menu, tracks implementation",
    SUPERVISOR: "forms case teams, assigns tasks, approves or rejects gates, reopens cases",
    AUDITOR: "reads everything, changes nothing; reviews, verifies and exports the audit log",
    ADMIN: "manages user accounts and roles; sees no case content",
}
