"""The roles a user may hold (DESIGN §1)."""
from workflow.words import _
from vocabulary import ADMIN, ANALYST, AUDITOR, INVESTIGATOR, LEGAL_OFFICER, ROLES, SUPERVISOR

DESCRIPTIONS = {
    INVESTIGATOR: _("opens cases, records evidence, custody, findings and messages; requests gates"),
    ANALYST: _("attribution work: findings, forensic results; requests gates"),
    LEGAL_OFFICER: _("picks responses from the accountability menu, tracks implementation"),
    SUPERVISOR: _("forms case teams, assigns tasks, approves or rejects gates, reopens cases"),
    AUDITOR: _("reads everything, changes nothing; reviews, verifies and exports the audit log"),
    ADMIN: _("manages user accounts and roles; sees no case content"),
}
