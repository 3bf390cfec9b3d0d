"""Personal access tokens: a user's bearer credentials for the JSON API, stored hashed."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base
from models.user import User
from workflow.clock import utcnow


class ApiToken(Base):
    """A personal access token; the secret is shown once and only its SHA-256 is kept."""

    __tablename__ = "api_tokens"
    __table_args__ = (
        CheckConstraint("expires_at > created_at", name="expires_after_creation"),
        CheckConstraint("scopes <> ''", name="has_scopes"),
        Index("ix_api_tokens_user_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    #: The token's first characters, shown in lists so a user can tell their tokens apart.
    prefix: Mapped[str] = mapped_column(String(16))
    #: SHA-256 (hex) of the whole token: tokens are random, so a fast hash is enough.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: Comma-separated scopes: read, write, audit.
    scopes: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(lazy="joined")
    addresses: Mapped[list[ApiTokenAddress]] = relationship(
        back_populates="token", cascade="all, delete-orphan", order_by="ApiTokenAddress.first_seen_at")

    @property
    def scope_list(self) -> list[str]:
        return [scope for scope in self.scopes.split(",") if scope]


class ApiTokenAddress(Base):
    """An address a token was used from; the first use from each one is an audit event."""

    __tablename__ = "api_token_addresses"

    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id", ondelete="CASCADE"),
                                          primary_key=True)
    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)

    token: Mapped[ApiToken] = relationship(back_populates="addresses")
