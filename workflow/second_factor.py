"""The second factor: TOTP (RFC 6238) codes, each good once, and one-time recovery codes."""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
import unicodedata

import pyotp
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from models.user import RecoveryCode, User
from workflow import accounts, audit
from workflow.audit import Actor
from workflow.clock import utcnow
from workflow.errors import Invalid
from workflow.words import _

ISSUER = "Restraint"
STEP_SECONDS = 30
#: Codes of the previous and the next time step are accepted too (clocks drift).
DRIFT_STEPS = 1
RECOVERY_CODES = 10
_CODE = re.compile(r"^[0-9]{6}$")
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, username: str) -> str:
    """The otpauth:// URI an authenticator app reads (from the QR code or typed in)."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def code_at(secret: str, at: float) -> str:
    """The code of `secret` at the time `at` (seconds since the epoch)."""
    return pyotp.TOTP(secret).generate_otp(int(at // STEP_SECONDS))


def matching_step(secret: str, code: str, at: float | None = None) -> int | None:
    """The time step whose code is `code`, within the allowed drift; None if none is."""
    code = _as_typed(code)
    if not _CODE.match(code):
        return None
    totp = pyotp.TOTP(secret)
    now = int((time.time() if at is None else at) // STEP_SECONDS)
    for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _as_typed(code: str) -> str:
    """A code as an authenticator shows it: no spaces, and Arabic-Indic "٣" or full-width "３"
    typed by a phone's keyboard read as "3"."""
    return "".join(str(unicodedata.decimal(character)) if character.isdecimal() else character
                   for character in code.strip().replace(" ", ""))


def _recovery_hash(code: str) -> str:
    normalised = re.sub(r"[\s-]", "", code.strip().lower())
    return hashlib.sha256(normalised.encode()).hexdigest()


def _new_recovery_codes(session: Session, user: User) -> list[str]:
    """Replace the user's recovery codes with ten new ones; only their hashes are stored."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _code in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _char in range(16))
        codes.append("-".join(raw[i:i + 4] for i in range(0, 16, 4)))
        session.add(RecoveryCode(user_id=user.id, code_hash=_recovery_hash(codes[-1])))
    return codes


def recovery_codes_left(session: Session, user_id: int) -> int:
    return session.scalar(select(func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))) or 0


def start_enrolment(session: Session, user: User) -> str:
    """The secret to show for enrolment: kept pending until confirmed by a first code."""
    if user.totp_pending_secret is None:
        user.totp_pending_secret = new_secret()
    return user.totp_pending_secret


#: What a refused enrolment code is told.
WRONG_ENROLMENT_CODE = _("that is not the current code of the new secret; check that the time on "
                          "your phone is right and enter the code it shows now")


def confirm_enrolment(session: Session, user: User, code: str,
                      at: float | None = None) -> list[str] | None:
    """Turn the pending secret on when `code` matches it; returns the ten recovery codes, or
    None when the code is wrong (the failure is audited, so the caller commits)."""
    if user.totp_pending_secret is None:
        raise Invalid(_("code: start the set-up again: no secret is waiting for confirmation"), "code")
    step = matching_step(user.totp_pending_secret, code, at)
    if step is None:
        audit.append(session, "second_factor_failed", Actor.of(user), entity_type="user",
                     entity_id=user.id, details={"during": "enrolment", "reason": "wrong code"})
        return None
    user.totp_secret, user.totp_pending_secret = user.totp_pending_secret, None
    user.totp_last_step, user.totp_enrolled_at = step, utcnow()
    codes = _new_recovery_codes(session, user)
    audit.append(session, "second_factor_enrolled", Actor.of(user), entity_type="user",
                 entity_id=user.id, details={"username": user.username, "by": "the user"})
    return codes


def enrol_for(session: Session, actor: Actor, user: User) -> tuple[str, list[str]]:
    """An admin sets up a user's second factor (command line): the URI and the recovery codes."""
    secret = new_secret()
    user.totp_secret, user.totp_pending_secret = secret, None
    user.totp_last_step, user.totp_enrolled_at = None, utcnow()
    codes = _new_recovery_codes(session, user)
    accounts.end_sessions(user)
    audit.append(session, "second_factor_enrolled", actor, entity_type="user", entity_id=user.id,
                 details={"username": user.username, "by": actor.username})
    return provisioning_uri(secret, user.username), codes


def reset(session: Session, actor: Actor, user: User) -> None:
    """Remove a user's second factor (a lost phone); they enrol again at their next sign-in."""
    user.totp_secret = user.totp_pending_secret = None
    user.totp_last_step = user.totp_enrolled_at = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    accounts.end_sessions(user)
    audit.append(session, "second_factor_reset", actor, entity_type="user", entity_id=user.id,
                 details={"username": user.username})


def new_recovery_codes(session: Session, user: User, proof: accounts.Reauthenticated | None) -> list[str]:
    """Ten new recovery codes, for the password given again; the old ones stop working."""
    # A session left open is not enough to take the second factor over.
    accounts.check_reauthenticated(user, proof)
    codes = _new_recovery_codes(session, user)
    audit.append(session, "recovery_codes_renewed", Actor.of(user), entity_type="user",
                 entity_id=user.id, details={"username": user.username})
    return codes


def verify(session: Session, user_id: int, code: str, address: str, throttle: accounts.Throttle,
           at: float | None = None, generation: int | None = None) -> accounts.SignIn:
    """The second step of signing in: a current TOTP code not used before, or a recovery code.

    `generation` is the user's session generation when the password was accepted: if their
    sessions were ended meanwhile (a reset, say), the half-finished sign-in ends too."""
    user = session.get(User, user_id)
    if user is None or not user.active or not user.has_second_factor or (
            generation is not None and user.session_generation != generation):
        return accounts.SignIn()
    address = address[:64]
    accounts.lock_username(session, user.username)
    session.refresh(user)
    if accounts.is_throttled(session, user.username, address, throttle):
        return accounts.refuse_throttled(session, user.username, address, throttle, user)
    code = (code or "").strip()[:64]
    method = None
    step = matching_step(user.totp_secret, code, at)
    if step is not None and (user.totp_last_step is None or step > user.totp_last_step):
        user.totp_last_step, method = step, "totp"
    elif step is None and not _CODE.match(_as_typed(code)):
        row = session.scalar(select(RecoveryCode).where(
            RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _recovery_hash(code),
            RecoveryCode.used_at.is_(None)).with_for_update())
        if row is not None:
            row.used_at, method = utcnow(), "recovery_code"
            session.flush()
            audit.append(session, "recovery_code_used", Actor.of(user), entity_type="user",
                         entity_id=user.id, details={"username": user.username,
                                                     "left": recovery_codes_left(session, user.id)})
    if method is None:
        reason = "replayed code" if step is not None else "wrong or expired code"
        accounts.record_failure(session, user.username, address, user, reason,
                                "second_factor_failed")
        return accounts.SignIn(replayed=step is not None)
    accounts.complete_sign_in(session, user, address, method)
    return accounts.SignIn(user=user)
