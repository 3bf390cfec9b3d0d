"""User accounts: creation, roles (with separation of duties), passwords, sessions, and
sign-in with throttling."""
from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable
from contextlib import AbstractContextManager as ContextManager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from zoneinfo import available_timezones

from sqlalchemy import delete, exists, func, select, text
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from models.database import constant
from models.login_failure import LoginFailure
from models.user import TWO_ADMIN_ROLES, RoleGrant, User, UserRole
from workflow import audit
from workflow.audit import Actor
from workflow.clock import utcnow
from workflow.errors import Conflict, Forbidden, Invalid, NotFound
from workflow.roles import ADMIN, ROLES
from workflow.words import _, _n, humans, inline
from vocabulary import LANGUAGES

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,63}$")
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
COMMON_PASSWORDS = frozenset(
    line.strip() for line in
    (Path(__file__).resolve().parent.parent / "data" / "common_passwords.txt").read_text().splitlines()
    if line.strip() and not line.startswith("#"))
# Checked against when the username is unknown, so both paths take the same time.
_DUMMY_HASH = generate_password_hash("not a password of anyone", method="scrypt")
#: First key of the PostgreSQL advisory lock that serialises sign-ins per username.
SIGN_IN_LOCK_KEY = 0x4C4F4749  # "LOGI"
#: Roles that may never be held together with the admin role.
NOT_WITH_ADMIN = tuple(role for role in ROLES if role != ADMIN)

#: Set from the app's settings at start-up (a cheaper scrypt cost in tests).
password_hash_method = "scrypt"
#: How a throttled account's attempt waits; tests replace it to record the delay instead.
sleep = time.sleep


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=password_hash_method)


def check_new_password(password: str, username: str = "", field: str = "password") -> None:
    """Refuse a new password that is short, very common, or the username."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(_("password: at least %(num)s characters", num=MIN_PASSWORD_LENGTH), field)
    if len(password) > MAX_PASSWORD_LENGTH:
        raise Invalid(_("password: at most %(num)s characters", num=MAX_PASSWORD_LENGTH), field)
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS or len(set(password)) < 4 or (len(username) >= 4 and username in lowered):
        raise Invalid(_("password: this password is too common or too easy to guess; "
                        "choose a longer phrase of unrelated words"), field)


def _clean_roles(roles, allow_none: bool = False) -> list[str]:
    unknown = sorted(set(roles) - set(ROLES))
    if unknown:
        raise Invalid(_("unknown role %(unknown)s; roles are %(roles)s", unknown=", ".join(unknown),
                        roles=", ".join(ROLES)), "roles")
    if not roles and not allow_none:
        raise Invalid(_("give the user at least one role"), "roles")
    roles = sorted(set(roles))
    if ADMIN in roles and len(roles) > 1:
        raise Forbidden(_("The admin role is never combined with a case role or the auditor role: "
                          "an admin manages accounts and sees no case content. "
                          "Use a separate account for the other roles."))
    return roles


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(_("no such user"))
    return user


def find_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise NotFound(_("no user named %(username)s", username=repr(username)))
    return user


def refuse_tokens(actor: Actor, what: str = _("Changing roles")) -> None:
    """Tokens act on cases: credentials and roles change on the pages (or the command line)."""
    if actor.via:
        raise Forbidden(_("%(what)s is done on the account and admin pages, never with a token.",
                          what=what))


def _by_person(actor: Actor) -> bool:
    """A signed-in person, not the command line (whose operator holds the database anyway)."""
    return actor.id is not None


def create_user(session: Session, actor: Actor, username: str, password: str, roles,
                full_name: str = "", email: str = "") -> User:
    """Create an account holding `roles`; only the password's hash is stored.

    Created by an admin in the web, supervisor, auditor and admin become pending grants that a
    second admin approves (see `propose_grant`)."""
    username = username.strip().lower()
    if not USERNAME_PATTERN.match(username):
        raise Invalid(_("username: 2 to 64 characters, lower-case letters, digits, '.', '_' or '-'"),
                      "username")
    check_new_password(password, username)
    roles = _clean_roles(roles)
    deferred = sorted(set(roles) & set(TWO_ADMIN_ROLES)) if _by_person(actor) else []
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(_("the username %(username)s is taken", username=repr(username)))
    held = [role for role in roles if role not in deferred]
    user = User(username=username, full_name=full_name.strip(), email=email.strip(),
                password_hash=hash_password(password),
                role_rows=[UserRole(role=role) for role in held])
    session.add(user)
    session.flush()
    audit.append(session, "user_created", actor, entity_type="user", entity_id=user.id,
                 details={"username": username, "roles": held})
    for role in deferred:
        propose_grant(session, actor, user, role)
    return user


def end_sessions(user: User) -> None:
    """Every session of `user` ends at its next request (they carry the old generation)."""
    user.session_generation = (user.session_generation or 0) + 1


def refuse_own_roles(actor: Actor, user: User) -> None:
    """Forbidden: a change of roles by a token, or by the user whose roles they are."""
    refuse_tokens(actor)
    if actor.id is not None and actor.id == user.id:
        raise Forbidden(_("Nobody changes their own roles: ask another admin."))


def set_roles(session: Session, actor: Actor, user: User, roles) -> list[RoleGrant]:
    """Replace the roles a user holds; returns the grants that wait for a second admin.

    Nobody changes their own roles; admin is never combined with another role; an admin
    adding supervisor, auditor or admin only proposes it. Removals take effect at once."""
    refuse_own_roles(actor, user)
    roles = _clean_roles(roles, allow_none=_by_person(actor))
    before = sorted(user.roles)
    deferred = sorted((set(roles) - set(before)) & set(TWO_ADMIN_ROLES)) if _by_person(actor) else []
    held = [role for role in roles if role not in deferred]
    if not held and not deferred:
        raise Invalid(_("give the user at least one role"), "roles")
    if held != before:
        user.role_rows = [UserRole(role=role) for role in held]
        end_sessions(user)
        session.flush()
        audit.append(session, "user_roles_changed", actor, entity_type="user", entity_id=user.id,
                     details={"username": user.username, "before": before, "after": held})
    return [propose_grant(session, actor, user, role) for role in deferred]


def propose_grant(session: Session, actor: Actor, user: User, role: str) -> RoleGrant:
    """Propose giving `user` the supervisor, auditor or admin role; another admin must approve it."""
    refuse_tokens(actor)
    if role not in TWO_ADMIN_ROLES:
        raise Invalid(_("only %(roles)s are granted by two admins", roles=humans(TWO_ADMIN_ROLES)),
                      "roles")
    if actor.id is not None and actor.id == user.id:
        raise Forbidden(_("Nobody changes their own roles: ask another admin."))
    if user.has_role(ADMIN):
        _clean_roles([ADMIN, role])  # raises the sentence why
    pending = session.scalar(select(RoleGrant).where(
        RoleGrant.user_id == user.id, RoleGrant.role == role,
        RoleGrant.decision == constant("pending")))
    if pending is not None:
        return pending
    grant = RoleGrant(user_id=user.id, role=role, proposed_by_id=actor.id)
    session.add(grant)
    session.flush()
    audit.append(session, "role_grant_proposed", actor, entity_type="role_grant", entity_id=grant.id,
                 details={"username": user.username, "role": role, "proposed_by": actor.username})
    return grant


def pending_grants(session: Session) -> list[RoleGrant]:
    return list(session.scalars(select(RoleGrant).where(RoleGrant.decision == constant("pending"))
                                .order_by(RoleGrant.proposed_at)))


def decide_grant(session: Session, actor: Actor, grant_id: int, approve: bool) -> RoleGrant:
    """Approve (a second admin) or refuse a pending grant; the proposer may only withdraw it."""
    refuse_tokens(actor)
    grant = session.get(RoleGrant, grant_id, with_for_update=True)
    if grant is None:
        raise NotFound(_("no such role grant"))
    if grant.decision != "pending":
        raise Conflict(_("this grant was %(decision)s already", decision=inline(grant.decision)))
    user = grant.user
    if approve:
        if actor.id == grant.proposed_by_id:
            raise Forbidden(_("A supervisor, auditor or admin grant needs a second admin: "
                              "you proposed this one, so another admin must approve it."))
        if actor.id == user.id:
            raise Forbidden(_("Nobody changes their own roles: ask another admin."))
        _clean_roles([*user.roles, grant.role])
        user.role_rows = [*user.role_rows, UserRole(role=grant.role)]
        end_sessions(user)
    grant.decision = "approved" if approve else (
        "withdrawn" if actor.id == grant.proposed_by_id else "refused")
    grant.decided_by_id, grant.decided_at = actor.id, utcnow()
    session.flush()
    audit.append(session, f"role_grant_{grant.decision}", actor, entity_type="role_grant",
                 entity_id=grant.id,
                 details={"username": user.username, "role": grant.role,
                          "proposed_by": grant.proposed_by.username, "decided_by": actor.username})
    return grant


def set_active(session: Session, actor: Actor, user: User, active: bool) -> None:
    """Deactivate (or reactivate) an account; a deactivated user is signed out at once."""
    if actor.id == user.id and not active:
        raise Invalid(_("you cannot deactivate your own account"))
    if user.active == active:
        return
    user.active = active
    end_sessions(user)
    audit.append(session, "user_activated" if active else "user_deactivated", actor,
                 entity_type="user", entity_id=user.id, details={"username": user.username})


@dataclass(frozen=True)
class Reauthenticated:
    """The user gave their password again: whose, and the password hash it matched."""

    user_id: int
    #: A change checks it is still the user's: a password reset meanwhile voids the proof.
    password_hash: str


def reauthenticate(transaction: Callable[[], ContextManager[Session]], user_id: int,
                   password: str, address: str, throttle: Throttle) -> Reauthenticated:
    """Check the password given again before a change of one's own sign-in, as a sign-in is."""
    # Counted and throttled first, slowed as guesses at the account are, hashed with no
    # transaction open (the hash takes tens of milliseconds), and a wrong one audited.
    with transaction() as session:
        user = session.get(User, user_id)
        delay = account_delay(session, user.username, throttle)
        attempt = reserve_attempt(session, user.username, address, throttle,
                                  event_type="reauthentication_failed")
    if attempt.throttled:
        raise Invalid(_n("current password: too many wrong passwords; wait %(num)s minute, "
                         "then try again", "current password: too many wrong passwords; wait "
                         "%(num)s minutes, then try again", throttle.wait_minutes), "current_password")
    if delay:
        sleep(delay)
    right = check_password_hash(attempt.password_hash, password or "")
    with transaction() as session:
        if right:  # as after a sign-in, the account's failures are forgotten
            session.execute(delete(LoginFailure).where(LoginFailure.username == attempt.username))
        else:
            audit_failure(session, attempt.username, attempt.address, session.get(User, user_id),
                          "wrong password", "reauthentication_failed")
    if not right:
        raise Invalid(_("current password: not your current password"), "current_password")
    return Reauthenticated(user_id, attempt.password_hash)


def check_reauthenticated(user: User, proof: Reauthenticated | None) -> None:
    """Refuse a change of the user's own sign-in unless they gave their password again."""
    if proof is None or (proof.user_id, proof.password_hash) != (user.id, user.password_hash):
        raise Forbidden(_("Give your current password again to change how you sign in."))


def change_password(session: Session, user: User, proof: Reauthenticated | None, new: str) -> None:
    """The user changes their own password, having given it again; their other sessions end."""
    check_reauthenticated(user, proof)
    check_new_password(new, user.username, "new_password")
    _set_password(session, Actor.of(user), user, new)


def reset_password(session: Session, actor: Actor, user: User, new: str) -> None:
    """An admin sets a user's password (e.g. a forgotten one); their sessions end."""
    check_new_password(new, user.username)
    _set_password(session, actor, user, new)


def _set_password(session: Session, actor: Actor, user: User, new: str) -> None:
    user.password_hash = hash_password(new)
    user.password_changed_at = utcnow()
    end_sessions(user)
    audit.append(session, "password_changed", actor, entity_type="user", entity_id=user.id,
                 details={"username": user.username})


def end_all_sessions(session: Session, actor: Actor, user: User) -> None:
    """Sign out everywhere: every session of the user ends at its next request."""
    end_sessions(user)
    audit.append(session, "sessions_ended", actor, entity_type="user", entity_id=user.id,
                 details={"username": user.username})


def set_preferences(session: Session, actor: Actor, user_id: int, *, locale: str | None,
                    time_zone: str | None) -> None:
    """The user's language and time zone (None: the browser's language, UTC)."""
    if locale is not None and locale not in LANGUAGES:
        raise Invalid(_("language: one of %(choices)s", choices=", ".join(LANGUAGES)), "locale")
    if time_zone is not None and time_zone not in available_timezones():
        raise Invalid(_("time zone: not a time zone of the IANA database, such as Asia/Damascus"),
                      "time_zone")
    user = get_user(session, user_id)
    if (user.locale, user.time_zone) == (locale, time_zone):
        return
    user.locale, user.time_zone = locale, time_zone
    audit.append(session, "preferences_changed", actor, entity_type="user", entity_id=user.id,
                 details={"username": user.username, "locale": locale, "time_zone": time_zone})


# --- signing in -----------------------------------------------------------------------

@dataclass(frozen=True)
class Throttle:
    """Failed sign-ins allowed per (account, address) and per address inside a window, and
    the longest wait imposed on an account that many addresses are guessing at."""

    max_failures: int
    window_seconds: int
    max_per_address: int = 20
    max_delay_seconds: int = 8

    @property
    def wait_minutes(self) -> int:
        """The minutes a refused address waits, as the refusal says them."""
        return max(1, self.window_seconds // 60)

    def delay(self, account_failures: int) -> int:
        """Seconds an attempt on an account waits, given its failures from every address."""
        over = account_failures - self.max_failures
        return 0 if over < 0 else min(2 ** over, self.max_delay_seconds)


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in attempt; `second_factor` when a code must follow."""

    user: User | None = None
    throttled: bool = False
    second_factor: bool = False
    #: The code was right but used already (a new one comes every 30 seconds).
    replayed: bool = False


def lock_username(session: Session, username: str) -> None:
    """Serialise sign-ins of one username, so no more than the limit are ever checked."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key, hashtext(:username))"),
                        {"key": SIGN_IN_LOCK_KEY, "username": username})


def _failures_since(throttle: Throttle):
    return utcnow() - timedelta(seconds=throttle.window_seconds)


def account_delay(session: Session, username: str, throttle: Throttle) -> int:
    """How long the next attempt on `username` waits (failures from every address)."""
    counted = session.scalar(select(func.count()).select_from(LoginFailure).where(
        LoginFailure.username == username.strip().lower()[:64], ~LoginFailure.throttled,
        LoginFailure.at >= _failures_since(throttle)))
    return throttle.delay(counted or 0)


def is_throttled(session: Session, username: str, address: str, throttle: Throttle) -> bool:
    """Whether this (username, address) or this address has used up its failures."""
    since = _failures_since(throttle)
    pair, by_address = session.execute(select(
        func.count().filter(LoginFailure.username == username),
        func.count(),
    ).where(LoginFailure.at >= since, ~LoginFailure.throttled,
            LoginFailure.address == address)).one()
    return pair >= throttle.max_failures or by_address >= throttle.max_per_address


def refuse_throttled(session: Session, username: str, address: str, throttle: Throttle,
                     user: User | None, event_type: str = "login_failed") -> SignIn:
    """Record a throttled attempt: one audit event per window and (username, address) at most."""
    since = _failures_since(throttle)
    seen = session.scalar(select(exists().where(
        LoginFailure.username == username, LoginFailure.address == address,
        LoginFailure.throttled, LoginFailure.at >= since)))
    if not seen:
        session.add(LoginFailure(username=username, address=address, throttled=True))
        audit.append(session, event_type, None, entity_type="user",
                     entity_id=user.id if user else None,
                     details={"username_tried": username, "address": address, "reason": "throttled"})
    return SignIn(throttled=True)


def record_failure(session: Session, username: str, address: str, user: User | None,
                   reason: str, event_type: str = "login_failed") -> None:
    session.add(LoginFailure(username=username, address=address))
    audit_failure(session, username, address, user, reason, event_type)


def audit_failure(session: Session, username: str, address: str, user: User | None,
                  reason: str, event_type: str = "login_failed") -> None:
    audit.append(session, event_type, None, entity_type="user", entity_id=user.id if user else None,
                 details={"username_tried": username, "address": address, "reason": reason})


@dataclass(frozen=True)
class Attempt:
    """A sign-in attempt counted before its password is checked (see `sign_in`)."""

    username: str
    address: str
    user_id: int | None = None
    password_hash: str = _DUMMY_HASH
    #: The failure row that counts this attempt until its password proves right.
    failure_id: int | None = None
    throttled: bool = False


def reserve_attempt(session: Session, username: str, address: str, throttle: Throttle,
                    event_type: str = "login_failed") -> Attempt:
    """Count an attempt as a failure before its password is checked, under the username's
    lock: however many run side by side, no more than the limit are ever checked."""
    username, address = username.strip().lower()[:64], address[:64]
    lock_username(session, username)
    user = session.scalar(select(User).where(User.username == username))
    if is_throttled(session, username, address, throttle):
        refuse_throttled(session, username, address, throttle, user, event_type)
        return Attempt(username, address, throttled=True)
    failure = LoginFailure(username=username, address=address)
    session.add(failure)
    session.flush()
    return Attempt(username, address, user.id if user else None,
                   user.password_hash if user else _DUMMY_HASH, failure.id)


def settle_attempt(session: Session, attempt: Attempt, password_ok: bool) -> SignIn:
    """Record what the password check found: the failure stays counted and is audited, or
    the attempt is forgotten and the user is in (or owes a code)."""
    user = session.get(User, attempt.user_id) if attempt.user_id is not None else None
    if user is None or not password_ok or not user.active:
        reason = ("unknown user" if user is None else "wrong password" if not password_ok
                  else "deactivated")
        audit_failure(session, attempt.username, attempt.address, user, reason)
        return SignIn()
    session.execute(delete(LoginFailure).where(LoginFailure.id == attempt.failure_id))
    if user.has_second_factor:
        return SignIn(user=user, second_factor=True)
    complete_sign_in(session, user, attempt.address)
    return SignIn(user=user)


def sign_in(transaction: Callable[[], ContextManager[Session]], username: str, password: str,
            address: str, throttle: Throttle) -> SignIn:
    """Check a password: the attempt is counted in one short write transaction, the hash
    (tens of milliseconds by design) is computed with no transaction open, so it never holds
    the write lock, and the outcome is recorded in a second. A throttled attempt runs no hash.

    A user with a second factor is not signed in yet: `second_factor` says a code must follow
    (see `workflow.second_factor.verify`)."""
    with transaction() as session:
        attempt = reserve_attempt(session, username, address, throttle)
    if attempt.throttled:
        return SignIn(throttled=True)
    password_ok = check_password_hash(attempt.password_hash, password)
    with transaction() as session:
        return settle_attempt(session, attempt, password_ok)


def complete_sign_in(session: Session, user: User, address: str, method: str = "password") -> None:
    """The user is in: their failures are forgotten and the sign-in is audited."""
    session.execute(delete(LoginFailure).where(LoginFailure.username == user.username))
    user.last_login_at = utcnow()
    audit.append(session, "login", Actor.of(user), entity_type="user", entity_id=user.id,
                 details={"address": address, "method": method})


def record_logout(session: Session, actor: Actor) -> None:
    """Sign out: every session of the user ends, so a copied cookie is worth nothing."""
    user = session.get(User, actor.id) if actor.id is not None else None
    if user is not None:
        end_sessions(user)
    audit.append(session, "logout", actor, entity_type="user", entity_id=actor.id)


def must_enrol(user, required_roles) -> bool:
    """Whether `user` holds a role that needs a second factor and has none yet."""
    return not user.has_second_factor and any(role in required_roles for role in user.roles)


def create_demo_accounts(session: Session) -> dict[str, str] | None:
    """On an empty database, one account per role named after it; returns the passwords."""
    if session.scalar(select(func.count()).select_from(User)):
        return None
    passwords = {}
    for role in ROLES:
        passwords[role] = secrets.token_urlsafe(12)
        create_user(session, audit.SYSTEM, role, passwords[role], [role],
                    full_name=f"Demo {role.replace('_', ' ')}")
    return passwords
