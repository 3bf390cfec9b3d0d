"""Personal access tokens for the JSON API: created and revoked by their owner on the account
page, shown once, stored as SHA-256; a token acts as its user with that user's current roles,
within its scopes, until it expires, is revoked or the user is deactivated."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from models.token import ApiToken, ApiTokenAddress
from models.user import User
from workflow import accounts, audit, permissions
from workflow.audit import Actor
from workflow.clock import format_utc, utcnow
from workflow.errors import Invalid, NotFound
from workflow.fields import text
from workflow import clock
from workflow.words import _

READ, WRITE, AUDIT = "read", "write", "audit"
#: What each scope lets a token do, in the words of the account page.
SCOPES = {READ: _("read the cases and records your roles let you see"),
          WRITE: _("change them, as the forms would"),
          AUDIT: _("read the audit log and its checkpoints (auditors and supervisors)")}
#: The scopes an operation of each scope needs: a change answers with the record it changed.
NEEDED = {READ: (READ,), WRITE: (READ, WRITE), AUDIT: (AUDIT,)}
#: The scopes' names, as the account page shows them.
SCOPE_NAMES = {READ: _("read"), WRITE: _("write"), AUDIT: _("audit")}
#: No token outlives a year.
MAX_DAYS = 365
#: Every token starts so: secret scanners and people recognise it.
TOKEN_START = "rst_"
PREFIX_LENGTH = 12
#: A token's use is noted at most this often (a write per request would serialise reads).
USE_NOTE_SECONDS = 60


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def via(token: ApiToken) -> tuple[tuple[str, object], ...]:
    """What the audit events of a command made with `token` say about how it came in."""
    return (("channel", "api"), ("token_id", token.id), ("token_prefix", token.prefix))


def actor_of(token: ApiToken) -> Actor:
    """The token's user, with their roles as they are now, marked as acting through the API."""
    user = token.user
    return Actor(user.id, user.username, tuple(sorted(user.roles)), via=via(token))


@dataclass(frozen=True)
class NewToken:
    """A token just made: its row, and its secret, which is shown once and never kept."""

    token: ApiToken
    secret: str


def create_token(session: Session, actor: Actor, *, name: str, expires_on: date | None,
                 scopes) -> NewToken:
    """Make a token for the signed-in user, with a name, scopes and an expiry within a year."""
    accounts.refuse_tokens(actor, _("Making a token"))
    name = text(name, "name", 100, required=True)
    asked = set(scopes or ())
    scopes = [scope for scope in SCOPES if scope in asked]
    if asked - set(SCOPES) or not scopes:
        raise Invalid(_("scopes: choose one or more of %(scopes)s", scopes=", ".join(SCOPES)), "scopes")
    if AUDIT in scopes and not permissions.can(actor, permissions.READ_AUDIT):
        raise Invalid(_("scopes: audit is for the roles that read the audit log (auditors and "
                        "supervisors)"), "scopes")
    if any(needed not in scopes for scope in scopes for needed in NEEDED[scope]):
        raise Invalid(_("scopes: write needs read as well (a change answers with the record it "
                        "changed)"), "scopes")
    today = clock.today()
    if expires_on is None:
        raise Invalid(_("expires on: required (at most a year from today)"), "expires_on")
    if not isinstance(expires_on, date) or isinstance(expires_on, datetime):
        raise Invalid(_("expires on: not a date"), "expires_on")
    if not today < expires_on <= today + timedelta(days=MAX_DAYS):
        raise Invalid(_("expires on: after today and at most %(num)s days from today", num=MAX_DAYS),
                      "expires_on")
    secret = TOKEN_START + secrets.token_urlsafe(32)
    token = ApiToken(user_id=actor.id, name=name, prefix=secret[:PREFIX_LENGTH],
                     token_hash=digest(secret), scopes=",".join(scopes), created_at=utcnow(),
                     # The token works through its last day (UTC).
                     expires_at=datetime.combine(expires_on, time.max))
    session.add(token)
    session.flush()
    audit.append(session, "token_created", actor, entity_type="api_token", entity_id=token.id,
                 details={"name": token.name, "prefix": token.prefix, "scopes": scopes,
                          "expires_at": format_utc(token.expires_at)})
    return NewToken(token, secret)


def _locked(session: Session, token_id: int) -> ApiToken | None:
    """The token's row, locked (not its user's: PostgreSQL locks no row of an outer join)."""
    return session.scalar(select(ApiToken).where(ApiToken.id == token_id)
                          .with_for_update(of=ApiToken).execution_options(populate_existing=True))


def tokens_of(session: Session, user_id: int) -> list[ApiToken]:
    """A user's tokens, newest first, revoked and expired ones included."""
    return session.scalars(select(ApiToken).options(selectinload(ApiToken.addresses))
                           .where(ApiToken.user_id == user_id)
                           .order_by(ApiToken.id.desc())).all()


def revoke_token(session: Session, actor: Actor, token_id: int) -> ApiToken:
    """Revoke one of one's own tokens; it stops working at once."""
    accounts.refuse_tokens(actor, _("Revoking a token"))
    token = _locked(session, token_id)
    if token is None or token.user_id != actor.id:
        raise NotFound(_("No such token of yours."))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.append(session, "token_revoked", actor, entity_type="api_token", entity_id=token.id,
                     details={"name": token.name, "prefix": token.prefix})
    return token


# --- authenticating a request --------------------------------------------------------------

@dataclass(frozen=True)
class Identified:
    """What a presented token turned out to be: its row, or why it is refused."""

    token: ApiToken | None = None
    refusal: str = ""
    throttled: bool = False
    #: The first use from this address, or the last noted use is old: `note_use` must run.
    note: bool = False

    @property
    def ok(self) -> bool:
        return self.token is not None and not self.refusal


def _throttle_key(secret: str) -> str:
    """The name failures of a presented token are counted under: per token, not per guess."""
    return "token:" + secret[:PREFIX_LENGTH].lower()[:58]


def identify(session: Session, secret: str, address: str, throttle: accounts.Throttle,
             now: datetime | None = None) -> Identified:
    """Read-only: the token a request presents, if it is good now (see `note_use`)."""
    now = now or utcnow()
    address = address[:64]
    if accounts.is_throttled(session, _throttle_key(secret), address, throttle):
        return Identified(refusal="throttled", throttled=True)
    token = session.scalar(select(ApiToken).options(selectinload(ApiToken.user)
                                                    .selectinload(User.role_rows))
                           .where(ApiToken.token_hash == digest(secret)))
    refusal = ("unknown token" if token is None else "revoked" if token.revoked_at is not None
               else "expired" if token.expires_at < now
               else "deactivated user" if not token.user.active else "")
    if refusal:
        return Identified(token, refusal)
    seen = session.get(ApiTokenAddress, (token.id, address)) is not None
    last = token.last_used_at
    stale = last is None or (now - last).total_seconds() >= USE_NOTE_SECONDS
    return Identified(token, note=not seen or stale)


def record_refusal(session: Session, secret: str, address: str, throttle: accounts.Throttle,
                   identified: Identified) -> None:
    """Count a refused token against the throttle, with its audit event (one a window when throttled)."""
    key, address = _throttle_key(secret), address[:64]
    user = identified.token.user if identified.token is not None else None
    if identified.throttled:
        accounts.refuse_throttled(session, key, address, throttle, user)
    else:
        accounts.record_failure(session, key, address, user, identified.refusal,
                                event_type="token_refused")


def note_use(session: Session, token_id: int, address: str) -> None:
    """Note a token's use; the first use from an address is an audit event of its user."""
    address = address[:64]
    token = _locked(session, token_id)
    token.last_used_at = utcnow()
    if session.get(ApiTokenAddress, (token.id, address)) is None:
        session.add(ApiTokenAddress(token_id=token.id, address=address))
        audit.append(session, "token_used_from_new_address", actor_of(token),
                     entity_type="api_token", entity_id=token.id,
                     details={"name": token.name, "address": address})
