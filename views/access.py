"""Who may reach which view: sign-in required by default, role guards, the current actor."""
from __future__ import annotations

from functools import wraps

from flask import abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from views import transparency
from views.api.problems import is_api_request
from views.forms import ConfirmForm
from workflow import permissions
from workflow.accounts import must_enrol
from workflow.audit import Actor
from workflow import words

#: The only endpoints open without signing in.
PUBLIC_ENDPOINTS = frozenset({"auth.login", "language.choose", "static", "bootstrap.static",
                              "favicon"}) | transparency.PUBLIC
#: The one page between the password and the code (it checks the pending sign-in itself).
SECOND_STEP_ENDPOINTS = frozenset({"auth.second_factor"})
#: What a user who must enrol a second factor may reach before they have.
ENROLMENT_ENDPOINTS = frozenset({"account.two_factor", "auth.logout", "language.choose", "static",
                                 "bootstrap.static"})


def require_sign_in():
    """Deny by default: every view except the public ones needs a signed-in user, and one
    who must use a second factor reaches nothing but its set-up until they have one."""
    endpoint = request.endpoint
    if endpoint in PUBLIC_ENDPOINTS or endpoint in SECOND_STEP_ENDPOINTS or is_api_request():
        return None  # the API checks its bearer token itself: a cookie opens nothing there
    from views.auth import login_manager, touch_session
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    touch_session()
    if endpoint not in ENROLMENT_ENDPOINTS and must_enrol(current_user,
                                                         current_app.config["REQUIRE_2FA_ROLES"]):
        flash(_("Your roles need a second factor: set it up before anything else."), "warning")
        return redirect(url_for("account.two_factor"))
    return None


def requires_role(*roles: str):
    """Let only users holding one of `roles` through; others get 403 naming the role."""
    def decorator(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            if not current_user.has_role(*roles):
                abort(403, description=words._("This page needs the %(roles)s role.", roles=words.Choices(
                    [words.inline(role) for role in roles])))
            return view(*args, **kwargs)
        return guarded
    return decorator


def current_actor() -> Actor:
    return Actor.of(current_user)


def template_helpers() -> dict:
    """The navigation entries the signed-in user may reach, and the sign-out button's form, on
    every page (its token also in the page's meta tag)."""
    navigation = permissions.navigation(current_user) if current_user.is_authenticated else {}
    return {"navigation": navigation, "sign_out_form": ConfirmForm(formdata=None)}
