"""SQLAlchemy models, one module per aggregate."""
from models.audit import AuditEvent
from models.base import Base
from models.login_failure import LoginFailure
from models.user import User, UserRole

__all__ = ["AuditEvent", "Base", "LoginFailure", "User", "UserRole"]
