"""Signing in and out."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import LoginManager, current_user, login_user, logout_user
from sqlalchemy.orm import selectinload

from models.user import User
from views import db
from views.access import current_actor
from views.forms import LoginForm
from workflow import accounts

blueprint = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to see that page."
login_manager.login_message_category = "info"

INVALID = "Invalid username or password"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The signed-in user, or nobody if the account is gone or deactivated."""
    user = (db.session().get(User, int(user_id), options=[selectinload(User.role_rows)])
            if user_id.isdigit() else None)
    return user if user is not None and user.active else None


def _local_path(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


@blueprint.route("/login", methods=["GET", "POST"])
def login():
    """Show the sign-in form and sign the user in."""
    form = LoginForm()
    if request.method == "GET" and current_user.is_authenticated:
        return redirect(url_for("main.index"))
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form)
    throttle = accounts.Throttle(current_app.config["LOGIN_MAX_FAILURES"],
                                 current_app.config["LOGIN_WINDOW_SECONDS"])
    with db.transaction() as write:
        outcome = accounts.sign_in(write, form.username.data, form.password.data,
                                   request.remote_addr or "unknown", throttle)
        user_id = outcome.user.id if outcome.user else None
    if outcome.throttled:
        minutes = throttle.window_seconds // 60
        message = f"Too many failed sign-ins. Wait {minutes} minutes, then try again."
        return render_template("auth/login.html", form=form, error=message), 429
    if user_id is None:
        return render_template("auth/login.html", form=form, error=INVALID)
    session.clear()  # a fresh session on sign-in: nothing carried over from before
    login_user(load_user(str(user_id)))
    return redirect(_local_path(request.args.get("next")) or url_for("main.index"))


@blueprint.route("/logout", methods=["POST"])
def logout():
    """Sign out (POST only, so a link or an image cannot sign anyone out)."""
    with db.transaction() as write:
        accounts.record_logout(write, current_actor())
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))
