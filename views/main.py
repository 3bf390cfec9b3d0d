"""The dashboard."""
from flask import Blueprint, render_template

blueprint = Blueprint("main", __name__)


@blueprint.route("/")
def index():
    """The signed-in user's starting page."""
    return render_template("main/index.html")
