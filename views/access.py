"""Who may reach which view: sign-in required by default, role guards, the current actor."""
from __future__ import annotations

from functools import wraps

from flask import abort, request
from flask_login import current_user

from views import transparency
from workflow.audit import Actor

#: The only endpoints open without signing in.
PUBLIC_ENDPOINTS = frozenset({"auth.login", "static", "bootstrap.static"}) | transparency.PUBLIC


def require_sign_in():
    """Deny by default: every view except the public ones needs a signed-in user."""
    if request.endpoint in PUBLIC_ENDPOINTS or current_user.is_authenticated:
        return None
    from views.auth import login_manager
    return login_manager.unauthorized()


def requires_role(*roles: str):
    """Let only users holding one of `roles` through; others get 403 naming the role."""
    def decorator(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            if not current_user.has_role(*roles):
                abort(403, description=f"This page needs the {' or '.join(roles)} role.")
            return view(*args, **kwargs)
        return guarded
    return decorator


def current_actor() -> Actor:
    return Actor.of(current_user)


def template_helpers() -> dict:
    def has_role(*roles: str) -> bool:
        return current_user.is_authenticated and current_user.has_role(*roles)
    return {"has_role": has_role}
