"""User accounts and the roles they hold."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, choice, sql_list
from vocabulary import GRANT_DECISIONS, ROLES, TWO_ADMIN_ROLES
from workflow.clock import utcnow



class User(Base):
    """A person who signs in."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    #: Werkzeug scrypt hash; the password itself is never stored.
    password_hash: Mapped[str] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    #: Bumped to end every session of the user at once (sign-out, role or password change).
    session_generation: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    #: Base32 TOTP secret (RFC 6238) once the second factor is confirmed; None: no second factor.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    #: A secret shown for enrolment, kept until the user confirms it with a first code.
    totp_pending_secret: Mapped[str | None] = mapped_column(String(64))
    #: The last time step whose code was accepted: a code is good once (no replay).
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    totp_enrolled_at: Mapped[datetime | None]
    password_changed_at: Mapped[datetime | None]
    #: The language the interface speaks to the user (None: as their browser asks).
    locale: Mapped[str | None] = mapped_column(String(8))
    #: The IANA time zone times are shown in (None: UTC, as they are stored).
    time_zone: Mapped[str | None] = mapped_column(String(64))

    role_rows: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="UserRole.role")

    @property
    def roles(self) -> tuple[str, ...]:
        return tuple(row.role for row in self.role_rows)

    @property
    def has_second_factor(self) -> bool:
        return self.totp_secret is not None

    def has_role(self, *roles: str) -> bool:
        """Whether the user holds any of `roles`."""
        return any(row.role in roles for row in self.role_rows)

    # Flask-Login protocol, kept here so the model needs no Flask import.
    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)


class UserRole(Base):
    """One role held by one user."""

    __tablename__ = "user_roles"
    __table_args__ = (CheckConstraint(f"role IN ({sql_list(ROLES)})", name="known_role"),
                      # The holders of a role (whom a gate request tells), not every user read.
                      Index("ix_user_roles_role", "role", "user_id"))

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(32), primary_key=True)

    user: Mapped[User] = relationship(back_populates="role_rows")


class RecoveryCode(Base):
    """A one-time code that stands in for the second factor; only its SHA-256 is kept."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    used_at: Mapped[datetime | None]


class RoleGrant(Base):
    """A supervisor, auditor or admin role proposed by one admin, granted only when another approves."""

    __tablename__ = "role_grants"
    __table_args__ = (
        CheckConstraint(f"role IN ({sql_list(TWO_ADMIN_ROLES)})", name="two_admin_role"),
        CheckConstraint("decision = 'pending' OR (decided_by_id IS NOT NULL AND decided_at IS NOT NULL)",
                        name="decided_has_decider"),
        # One pending proposal per user and role.
        Index("uq_role_grants_one_pending", "user_id", "role", unique=True,
              sqlite_where=text("decision = 'pending'"),
              postgresql_where=text("decision = 'pending'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    proposed_at: Mapped[datetime] = mapped_column(default=utcnow)
    decision: Mapped[str] = mapped_column(choice(*GRANT_DECISIONS, name="grant_decision", length=16),
                                          default="pending")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")
    proposed_by: Mapped[User] = relationship(foreign_keys=[proposed_by_id], lazy="joined")
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id], lazy="joined")
