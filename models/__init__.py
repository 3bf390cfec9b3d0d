"""SQLAlchemy models, one module per aggregate."""
from models.audit import AuditCheckpoint, AuditCosignature, AuditEvent, AuditTreeLeaf, AuditVerification
from models.base import Base
from models.case import Case, CaseCounter, CaseMember
from models.evaluation import Evaluation
from models.evidence import CustodyEvent, EvidenceItem, LabAnalysis, StoredObject
from models.finding import Finding
from models.gate_request import GateRequest
from models.login_failure import LoginFailure
from models.message import DeterrenceMessage
from models.response import Milestone, Response
from models.search import SearchEntry
from models.task import Task
from models.user import RecoveryCode, RoleGrant, User, UserRole

__all__ = ["AuditCheckpoint", "AuditCosignature", "AuditEvent", "AuditTreeLeaf", "AuditVerification", "Base", "Case", "CaseCounter", "CaseMember", "CustodyEvent",
           "DeterrenceMessage", "Evaluation", "EvidenceItem", "Finding", "GateRequest",
           "LabAnalysis", "LoginFailure", "Milestone", "Response", "RecoveryCode", "RoleGrant", "SearchEntry", "StoredObject",
           "Task", "User", "UserRole"]
