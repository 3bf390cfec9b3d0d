"""The dashboard."""
from flask import Blueprint, render_template
from flask_login import current_user

from views import db
from workflow import permissions, queries

blueprint = Blueprint("main", __name__)


@blueprint.route("/")
def index():
    """The signed-in user's starting page: cases by stage and reviews waiting."""
    sees_cases = permissions.can(current_user, permissions.VIEW_CASE)
    session = db.session()
    return render_template(
        "main/index.html", sees_cases=sees_cases,
        stages=queries.stage_counts(session, current_user) if sees_cases else {},
        reviews=(queries.pending_reviews(session, current_user)
                 if permissions.can(current_user, permissions.DECIDE_GATE) else None))
