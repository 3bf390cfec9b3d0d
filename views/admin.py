"""Admin pages: user accounts and their roles (admins see no case content)."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup

from views import db
from views.access import current_actor, requires_role
from views.commands import run
from views.forms import ConfirmForm, UserCreateForm, UserRolesForm
from views.language import translated
from views.list_filters import name_search, page_number
from workflow import accounts, queries
from workflow.roles import ADMIN
from workflow.words import inline

blueprint = Blueprint("admin", __name__, url_prefix="/admin")


@blueprint.before_request
@requires_role(ADMIN)
def only_admins():
    """Every admin page needs the admin role."""


@blueprint.route("/users")
def users():
    """The accounts, a page at a time, with their roles and whether they are active."""
    named = name_search(request.args)
    rows, pages = queries.users_page(db.session(), page_number(request.args), named)
    return render_template("admin/users.html", users=rows, pages=pages, named=named,
                           confirm=ConfirmForm(), grants=accounts.pending_grants(db.session()))


def _who(username: str) -> Markup:
    """A username inside a sentence: isolated, as people's text is."""
    return Markup("<bdi>%s</bdi>") % username


def _waiting(grants) -> list[str]:
    """The roles that wait for a second admin (codes: a page names them)."""
    return [grant.role for grant in grants]


def _saying(done: str, waiting: list[str]) -> Markup:
    """What was done, and which roles still wait for a second admin (a sentence of its own)."""
    if not waiting:
        return Markup(done)
    roles = _(", ").join(str(translated(inline(role))) for role in waiting)
    return Markup(_("%(done)s Waiting for a second admin: %(roles)s.", done=done, roles=Markup.escape(roles)))


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
        return user.username, _waiting(accounts.pending_grants(write))
    if request.method == "GET":
        return page()
    # A username that is taken is a conflict with another account: shown beside the name.
    outcome = run(form, create, page, conflict_field="username")
    if outcome.refused:
        return outcome.page
    username, waiting = outcome.value
    flash(_saying(_("Account %(username)s created.", username=_who(username)), waiting), "success")
    return redirect(url_for("admin.users"))


@blueprint.route("/users/<int:user_id>/roles", methods=["GET", "POST"])
def edit_roles(user_id: int):
    """Change the roles of an account."""
    user = accounts.get_user(db.session(), user_id)
    accounts.refuse_own_roles(current_actor(), user)  # not even offered: the page would only refuse
    form = UserRolesForm(data={"roles": list(user.roles)})

    def page(refusal=None):
        return render_template("admin/roles_form.html", form=form, user=user, refusal=refusal)
    if request.method == "GET":
        return page()
    outcome = run(form, lambda write: _waiting(accounts.set_roles(
        write, current_actor(), accounts.get_user(write, user_id), form.roles.data)), page)
    if outcome.refused:
        return outcome.page
    flash(_saying(_("Roles of %(username)s saved.", username=_who(user.username)), outcome.value),
          "success")
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
    flash(Markup(_("Account %(username)s activated.", username=_who(username)) if active
                 else _("Account %(username)s deactivated.", username=_who(username))), "success")
    return redirect(url_for("admin.users"))


@blueprint.route("/grants/<int:grant_id>/approve", methods=["POST"])
def approve_grant(grant_id: int):
    """Approve a supervisor, auditor or admin grant another admin proposed."""
    return _decide(grant_id, True)


@blueprint.route("/grants/<int:grant_id>/refuse", methods=["POST"])
def refuse_grant(grant_id: int):
    """Refuse a pending grant (or withdraw one's own proposal)."""
    return _decide(grant_id, False)


def _decide(grant_id: int, approve: bool):
    def command(write):
        grant = accounts.decide_grant(write, current_actor(), grant_id, approve)
        return grant.role, grant.user.username, grant.decision
    outcome = run(ConfirmForm(), command)
    if outcome.refused:
        return outcome.page
    role, username, decision = outcome.value
    role, username = str(translated(inline(role))), _who(username)
    flash(Markup({"approved": _("%(role)s for %(username)s: approved.", role=role, username=username),
                  "refused": _("%(role)s for %(username)s: refused.", role=role, username=username),
                  "withdrawn": _("%(role)s for %(username)s: withdrawn.", role=role, username=username),
                  }[decision]), "success")
    return redirect(url_for("admin.users"))
