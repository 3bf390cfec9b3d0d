"""Signing in (password, then a code when the user has a second factor) and out; the
session's checks: its user's session generation, the idle timeout and the absolute lifetime."""
from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user, login_user, logout_user
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload, selectinload

from models.user import User
from views import db
from views.access import current_actor
from views.commands import run
from views.forms import CodeForm, ConfirmForm, LoginForm
from workflow import accounts, queries
from workflow import second_factor as totp

blueprint = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = _l("Please sign in to see that page.")
login_manager.localize_callback = str  # said in the reader's language when flashed
login_manager.login_message_category = "info"

INVALID = _l("Invalid username or password")
INVALID_CODE = _l("That code is not valid. Enter the current code from your authenticator app, or a recovery code.")
REPLAYED_CODE = _l("That code was used already: each code works once. Wait for the next one "
                   "(a new code comes every 30 seconds) and enter it.")
PENDING_KEYS = ("pending_user", "pending_generation", "pending_at", "pending_next")
#: How long the code page waits for the second step after the password was accepted.
SECOND_STEP_SECONDS = 300


def _now() -> int:
    return int(time.time())


def session_is_current(user: User) -> bool:
    """Whether this request's session is still good for `user`: same generation, not idle
    too long, not older than the absolute lifetime."""
    config, now = current_app.config, _now()
    signed_in_at, seen_at = session.get("signed_in_at"), session.get("seen_at")
    if session.get("generation") != user.session_generation:
        return False
    if not isinstance(signed_in_at, int) or not isinstance(seen_at, int):
        return False
    if now - signed_in_at > config["SESSION_MAX_HOURS"] * 3600:
        return False
    return now - seen_at <= config["SESSION_IDLE_MINUTES"] * 60


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The signed-in user, or nobody if the account is gone or deactivated, or the session
    was ended (sign-out, role or password change), idle too long or too old."""
    user = _load(int(user_id)) if user_id.isdigit() and len(user_id) < 10 else None
    if user is None or not user.active or not session_is_current(user):
        session.clear()
        g.session_ended = True
        return None
    return user


#: Built once: building these statements costs more than running them, and every request runs one.
_USER = select(User).options(joinedload(User.role_rows)).where(User.id == bindparam("user_id"))
_USER_WITH_COUNTS = _USER.add_columns(*queries.navigation_columns(User.id))


def _load(user_id: int) -> User | None:
    """The user with their roles; for a page (GET), the navigation's counts in the same
    statement. A form sent (POST) is mostly answered by a redirect, which shows no counts: a
    page it does show reads them when it is drawn (`queries.navigation_counts`)."""
    session = db.session()
    if request.method not in ("GET", "HEAD"):
        return session.scalars(_USER, {"user_id": user_id}).unique().first()
    row = session.execute(_USER_WITH_COUNTS, {"user_id": user_id}).unique().first()
    if row is None:
        return None
    queries.remember(session, ("navigation", user_id),
                     {"tasks": row.tasks, "reviews": row.reviews, "unread": row.unread})
    return row.User


def touch_session() -> None:
    """Note this request as the session's latest activity (for the idle timeout)."""
    session["seen_at"] = _now()


def _start_session(user: User) -> None:
    # A fresh session on sign-in: nothing carried over from before but the language chosen
    # in this browser (it holds no right, and the sign-in page was read in it).
    locale = session.get("locale")
    session.clear()
    now = _now()
    session.update(generation=user.session_generation, signed_in_at=now, seen_at=now)
    if locale:
        session["locale"] = locale
    session.permanent = True
    login_user(user)


def _local_path(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


def throttle() -> accounts.Throttle:
    config = current_app.config
    return accounts.Throttle(config["LOGIN_MAX_FAILURES"], config["LOGIN_WINDOW_SECONDS"],
                             config["LOGIN_MAX_FAILURES_PER_ADDRESS"],
                             config["LOGIN_MAX_DELAY_SECONDS"])


def client_address() -> str:
    """Where the request comes from, as the throttles count it."""
    return request.remote_addr or "unknown"


def _too_many():
    minutes = throttle().wait_minutes
    message = ngettext("Too many failed sign-ins. Wait %(num)s minute, then try again.",
                       "Too many failed sign-ins. Wait %(num)s minutes, then try again.", minutes)
    return render_template("auth/login.html", form=LoginForm(formdata=None), error=message), 429


@blueprint.route("/login", methods=["GET", "POST"])
def login():
    """Show the sign-in form and check the password (then the code, if the user has one)."""
    form = LoginForm()
    if request.method == "GET" and current_user.is_authenticated:
        return redirect(url_for("main.index"))
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form)
    limits = throttle()
    delay = accounts.account_delay(db.session(), form.username.data, limits)
    if delay:  # many failures on this account from anywhere: slower, but never locked
        accounts.sleep(delay)
    outcome = accounts.sign_in(db.transaction, form.username.data, form.password.data,
                               client_address(), limits)
    user_id = outcome.user.id if outcome.user else None
    generation = outcome.user.session_generation if outcome.user else None
    if outcome.throttled:
        return _too_many()
    if user_id is None:
        # The username is not echoed back: the page is the same for a name that exists or not.
        return render_template("auth/login.html", form=LoginForm(formdata=None), error=INVALID)
    next_url = _local_path(request.args.get("next"))
    if outcome.second_factor:
        session.clear()
        session.update(pending_user=user_id, pending_generation=generation,
                       pending_at=_now(), pending_next=next_url)
        return redirect(url_for("auth.second_factor"))
    _start_session(load_pending(user_id))
    return redirect(next_url or url_for("main.index"))


def load_pending(user_id: int) -> User:
    return db.session().get(User, user_id, options=[selectinload(User.role_rows)])


def pending_second_step() -> int | None:
    """The user whose password was accepted a moment ago and who owes a code, if any."""
    user_id, at = session.get("pending_user"), session.get("pending_at")
    if not isinstance(user_id, int) or not isinstance(at, int):
        return None
    return user_id if _now() - at <= SECOND_STEP_SECONDS else None


@blueprint.route("/login/code", methods=["GET", "POST"])
def second_factor():
    """The second step of signing in: a code from the authenticator app, or a recovery code."""
    user_id = pending_second_step()
    if user_id is None:
        for key in PENDING_KEYS:
            session.pop(key, None)
        if current_user.is_authenticated:
            return redirect(url_for("main.index"))
        flash(_("Sign in with your password first."), "info")
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if not form.validate_on_submit():
        return render_template("auth/code.html", form=form), 400 if form.errors else 200
    with db.transaction() as write:
        outcome = totp.verify(write, user_id, form.code.data, client_address(), throttle(),
                              generation=session.get("pending_generation"))
    if outcome.throttled:
        session.clear()
        return _too_many()
    if outcome.user is None:
        form.code.errors = [REPLAYED_CODE if outcome.replayed else INVALID_CODE]
        return render_template("auth/code.html", form=form), 200
    next_url = session.get("pending_next")
    _start_session(load_pending(user_id))
    return redirect(_local_path(next_url) or url_for("main.index"))


@blueprint.route("/logout", methods=["POST"])
def logout():
    """Sign out (POST only, so a link or an image cannot sign anyone out); every session of
    the user ends, so a copy of the cookie is worth nothing afterwards."""
    if current_user.is_authenticated:
        outcome = run(ConfirmForm(), lambda write: accounts.record_logout(write, current_actor()))
        if outcome.refused:
            return outcome.page
    locale = session.get("locale")
    logout_user()
    session.clear()
    if locale:  # the language this browser reads in outlasts the session, like before sign-in
        session["locale"] = locale
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))
