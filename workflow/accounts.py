"""User accounts: creation, roles, deactivation, sign-in with throttling."""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from models.login_failure import LoginFailure
from models.user import User, UserRole
from workflow import audit
from workflow.audit import Actor
from workflow.clock import utcnow
from workflow.errors import Conflict, Invalid, NotFound
from workflow.roles import ROLES

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,63}$")
MIN_PASSWORD_LENGTH = 12
# Checked against when the username is unknown, so both paths take the same time.
_DUMMY_HASH = generate_password_hash("not a password of anyone", method="scrypt")


#: Set from the app's settings at start-up (a cheaper scrypt cost in tests).
password_hash_method = "scrypt"


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=password_hash_method)


def _clean_roles(roles) -> list[str]:
    unknown = sorted(set(roles) - set(ROLES))
    if unknown:
        raise Invalid(f"unknown role {', '.join(unknown)}; roles are {', '.join(ROLES)}", "roles")
    if not roles:
        raise Invalid("give the user at least one role", "roles")
    return sorted(set(roles))


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("no such user")
    return user


def find_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise NotFound(f"no user named {username!r}")
    return user


def create_user(session: Session, actor: Actor, username: str, password: str, roles,
                full_name: str = "", email: str = "") -> User:
    """Create an account holding `roles`; only the password's hash is stored."""
    username = username.strip().lower()
    if not USERNAME_PATTERN.match(username):
        raise Invalid("username: 2 to 64 characters, lower-case letters, digits, '.', '_' or '-'",
                      "username")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(f"password: at least {MIN_PASSWORD_LENGTH} characters", "password")
    roles = _clean_roles(roles)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"the username {username!r} is taken")
    user = User(username=username, full_name=full_name.strip(), email=email.strip(),
                password_hash=hash_password(password),
                role_rows=[UserRole(role=role) for role in roles])
    session.add(user)
    session.flush()
    audit.append(session, "user_created", actor, entity_type="user", entity_id=user.id,
                 details={"username": username, "roles": roles})
    return user


def set_roles(session: Session, actor: Actor, user: User, roles) -> None:
    """Replace the roles a user holds."""
    roles = _clean_roles(roles)
    before = sorted(user.roles)
    if before == roles:
        return
    user.role_rows = [UserRole(role=role) for role in roles]
    session.flush()
    audit.append(session, "user_roles_changed", actor, entity_type="user", entity_id=user.id,
                 details={"username": user.username, "before": before, "after": roles})


def set_active(session: Session, actor: Actor, user: User, active: bool) -> None:
    """Deactivate (or reactivate) an account; a deactivated user is signed out at once."""
    if actor.id == user.id and not active:
        raise Invalid("you cannot deactivate your own account")
    if user.active == active:
        return
    user.active = active
    audit.append(session, "user_activated" if active else "user_deactivated", actor,
                 entity_type="user", entity_id=user.id, details={"username": user.username})


@dataclass(frozen=True)
class Throttle:
    """How many failed sign-ins are allowed, per account and per address, inside a window."""

    max_failures: int
    window_seconds: int


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in attempt."""

    user: User | None = None
    throttled: bool = False


def _throttled(session: Session, username: str, address: str, throttle: Throttle) -> bool:
    since = utcnow() - timedelta(seconds=throttle.window_seconds)
    counts = session.execute(select(
        func.count().filter(LoginFailure.username == username),
        func.count().filter(LoginFailure.address == address),
    ).where(LoginFailure.at >= since, or_(LoginFailure.username == username,
                                            LoginFailure.address == address))).one()
    return max(counts) >= throttle.max_failures


def sign_in(session: Session, username: str, password: str, address: str,
            throttle: Throttle) -> SignIn:
    """Check a sign-in and record it; while throttled even the right password is refused."""
    username = username.strip().lower()[:64]
    user = session.scalar(select(User).where(User.username == username))
    throttled = _throttled(session, username, address, throttle)
    valid = check_password_hash(user.password_hash if user else _DUMMY_HASH, password)
    if throttled or user is None or not valid or not user.active:
        reason = ("throttled" if throttled else "unknown user" if user is None
                  else "wrong password" if not valid else "deactivated")
        if not throttled:  # so the lock ends when the window of the counted failures passes
            session.add(LoginFailure(username=username, address=address))
        audit.append(session, "login_failed", None, entity_type="user",
                     entity_id=user.id if user else None,
                     details={"username_tried": username, "address": address, "reason": reason})
        return SignIn(throttled=throttled)
    session.execute(delete(LoginFailure).where(LoginFailure.username == username))
    user.last_login_at = utcnow()
    audit.append(session, "login", Actor.of(user), entity_type="user", entity_id=user.id,
                 details={"address": address})
    return SignIn(user=user)


def record_logout(session: Session, actor: Actor) -> None:
    audit.append(session, "logout", actor, entity_type="user", entity_id=actor.id)


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
