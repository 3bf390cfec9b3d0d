"""Failed sign-ins, counted to throttle guessing per account and per address."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, false
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base
from workflow.clock import utcnow


class LoginFailure(Base):
    """One failed sign-in attempt."""

    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_username_at", "username", "at"),
        Index("ix_login_failures_address_at", "address", "at"),
        Index("ix_login_failures_username_address_at", "username", "address", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The username that was tried, lower-cased; it may name no account.
    username: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    #: An attempt refused while throttled: not counted, kept so that at most one such
    #: attempt per window and (username, address) is written to the audit log.
    throttled: Mapped[bool] = mapped_column(default=False, server_default=false())
