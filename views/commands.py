"""Running a form's command: validate, one transaction, refusals shown beside their field."""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from views import db
from workflow.errors import Invalid


def show_error(form, error: Invalid) -> None:
    """Put a service's refusal beside the field it names; re-raise if the form has no such field."""
    field = getattr(form, error.field or "", None)
    if field is None:
        raise error
    field.errors = [*field.errors, str(error)]


def submit(form, command: Callable[[Session], object]) -> bool:
    """Validate `form`, then run `command` in one write transaction; False when either refuses."""
    if not form.validate_on_submit():
        return False
    try:
        with db.transaction() as write:
            command(write)
    except Invalid as error:
        show_error(form, error)
        return False
    return True
