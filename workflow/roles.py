"""The roles a user may hold (DESIGN §1)."""
from vocabulary import ADMIN, ANALYST, AUDITOR, INVESTIGATOR, LEGAL_OFFICER, ROLES, SUPERVISOR

DESCRIPTIONS = {
    INVESTIGATOR: "opens cases, records evidence, custody, findings and messages; requests gates",
    ANALYST: "attribution work: findings, forensic results; requests gates",
    LEGAL_OFFICER: "picks responses from the accountability menu, tracks implementation",
    SUPERVISOR: "forms case teams, assigns tasks, approves or rejects gates, reopens cases",
    AUDITOR: "reads everything, changes nothing; reviews, verifies and exports the audit log",
    ADMIN: "manages user accounts and roles; sees no case content",
}
