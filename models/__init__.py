"""SQLAlchemy models, one module per aggregate."""
from models.audit import AuditCheckpoint, AuditCosignature, AuditEvent, AuditTreeLeaf, AuditVerification
from models.base import Base
from models.case import Case, CaseCounter, CaseMember
from models.case_link import CaseLink
from models.comment import Comment
from models.evaluation import Evaluation, EvaluationPressure
from models.evidence import CustodyEvent, EvidenceItem, LabAnalysis, StoredObject
from models.finding import Finding
from models.gate_request import GateRequest
from models.login_failure import LoginFailure
from models.message import DeterrenceMessage
from models.notification import Notification, NotificationPreference
from models.register import RegisterAlias, RegisterEntry
from models.response import Milestone, Response, ResponseBlock, ResponseEntry, ResponseFactor
from models.search import SearchEntry
from models.figures import CaseFigures, FigureCount
from models.stay import CaseStay, StayTally
from models.task import Task
from models.token import ApiToken, ApiTokenAddress
from models.user import RecoveryCode, RoleGrant, User, UserRole

__all__ = ["ApiToken", "ApiTokenAddress", "AuditCheckpoint", "AuditCosignature", "AuditEvent",
           "AuditTreeLeaf", "AuditVerification", "Base", "Case", "CaseCounter", "CaseFigures", "CaseLink", "CaseMember",
           "CaseStay", "Comment", "CustodyEvent", "DeterrenceMessage", "Evaluation", "EvaluationPressure",
           "EvidenceItem", "FigureCount", "Finding", "GateRequest", "LabAnalysis", "LoginFailure",
           "Milestone", "Notification", "NotificationPreference", "Response", "ResponseBlock", "ResponseEntry", "ResponseFactor", "RecoveryCode",
           "RegisterAlias", "RegisterEntry", "RoleGrant", "SearchEntry", "StayTally", "StoredObject", "Task", "User", "UserRole"]
