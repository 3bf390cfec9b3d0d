"""Admin pages: user accounts and their roles (admins see no case content)."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from models.user import User
from views import db
from views.access import current_actor, requires_role
from views.commands import run
from views.forms import ConfirmForm, UserCreateForm, UserRolesForm
from workflow import accounts
from workflow.roles import ADMIN

blueprint = Blueprint("admin", __name__, url_prefix="/admin")


@blueprint.before_request
@requires_role(ADMIN)
def only_admins():
    """Every admin page needs the admin role."""


@blueprint.route("/users")
def users():
    """List every account with its roles and whether it is active."""
    rows = db.session().scalars(select(User).options(selectinload(User.role_rows))
                                 .order_by(User.username)).all()
    return render_template("admin/users.html", users=rows, confirm=ConfirmForm(),
                           grants=accounts.pending_grants(db.session()))


def _grants_message(grants) -> str:
    return (" Waiting for a second admin: " + ", ".join(g.role for g in grants) + "."
            if grants else "")


@blueprint.route("/users/new", methods=["GET", "POST"])
def create_user():
    """Create an account."""
    form = UserCreateForm()

    def page(refusal=None):
        return render_template("admin/user_form.html", form=form, refusal=refusal)

    def create(write):
        user = accounts.create_user(write, current_actor(), form.username.data,
                                    form.password.data, form.roles.data,
                                    form.full_name.data or "", form.email.data or "")
        return user.username, _grants_message(accounts.pending_grants(write))
    if request.method == "GET":
        return page()
    # A username that is taken is a conflict with another account: shown beside the name.
    outcome = run(form, create, page, conflict_field="username")
    if outcome.refused:
        return outcome.page
    username, waiting = outcome.value
    flash(f"Account {username} created.{waiting}", "success")
    return redirect(url_for("admin.users"))


@blueprint.route("/users/<int:user_id>/roles", methods=["GET", "POST"])
def edit_roles(user_id: int):
    """Change the roles of an account."""
    user = accounts.get_user(db.session(), user_id)
    form = UserRolesForm(data={"roles": list(user.roles)})

    def page(refusal=None):
        return render_template("admin/roles_form.html", form=form, user=user, refusal=refusal)
    if request.method == "GET":
        return page()
    outcome = run(form, lambda write: _grants_message(accounts.set_roles(
        write, current_actor(), accounts.get_user(write, user_id), form.roles.data)), page)
    if outcome.refused:
        return outcome.page
    flash(f"Roles of {user.username} saved.{outcome.value}", "success")
    return redirect(url_for("admin.users"))


@blueprint.route("/users/<int:user_id>/deactivate", methods=["POST"])
def deactivate(user_id: int):
    """Deactivate an account; its open sessions end at once."""
    return _set_active(user_id, False)


@blueprint.route("/users/<int:user_id>/activate", methods=["POST"])
def activate(user_id: int):
    """Let a deactivated account sign in again."""
    return _set_active(user_id, True)


def _set_active(user_id: int, active: bool):
    def command(write):
        user = accounts.get_user(write, user_id)
        accounts.set_active(write, current_actor(), user, active)
        return user.username
    outcome = run(ConfirmForm(), command)
    if outcome.refused:
        return outcome.page
    username = outcome.value
    flash(f"Account {username} {'activated' if active else 'deactivated'}.", "success")
    return redirect(url_for("admin.users"))


@blueprint.route("/grants/<int:grant_id>/approve", methods=["POST"])
def approve_grant(grant_id: int):
    """Approve a supervisor or auditor grant another admin proposed."""
    return _decide(grant_id, True)


@blueprint.route("/grants/<int:grant_id>/refuse", methods=["POST"])
def refuse_grant(grant_id: int):
    """Refuse a pending grant (or withdraw one's own proposal)."""
    return _decide(grant_id, False)


def _decide(grant_id: int, approve: bool):
    def command(write):
        grant = accounts.decide_grant(write, current_actor(), grant_id, approve)
        return f"{grant.role} for {grant.user.username}: {grant.decision}."
    outcome = run(ConfirmForm(), command)
    if outcome.refused:
        return outcome.page
    flash(outcome.value, "success")
    return redirect(url_for("admin.users"))
