"""Running a form's command, and the one way a refused command becomes a page.

Every POST view validates its form and runs its one service call through `run`; whatever
the service refuses is answered by `refused`, also used for refusals raised outside a
command (the error handler of `WorkflowError`):

- a 422 refusal that names a field of the form is shown beside that field, the page
  re-rendered at 422; one that names no field is shown at the top of the page;
- 403 and 404 are error pages; 409 is an error page with a link back to the case.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Response, make_response

from views import db, errors
from workflow.errors import Conflict, Invalid, WorkflowError

#: Re-renders the page a form was on; gets the refusal to show at its top, or None.
Page = Callable[[WorkflowError | None], Any]


def show_error(form, error: WorkflowError, field: str | None = None) -> bool:
    """Put a refusal beside the field it names (or `field`); False if the form has no such field."""
    target = getattr(form, field or getattr(error, "field", None) or "", None)
    if target is None:
        return False
    target.errors = [*target.errors, str(error)]
    return True


def incomplete(form) -> Invalid:
    """A form's validation errors as one refusal, for pages that do not show the posted form."""
    problems = "; ".join(
        f"{form[name].label.text if name in form else 'form'}: {', '.join(messages)}"
        for name, messages in form.errors.items())
    return Invalid(f"The form was not accepted. {problems}")


def refused(error: WorkflowError, form=None, page: Page | None = None,
            conflict_field: str | None = None) -> Response:
    """The page that answers a refusal: beside its field or atop `page` (422), or an error page.

    `conflict_field` names the field a 409 is about when the conflict is with another record
    named in that field (a username taken), not with a changed case: it is shown there.
    """
    beside = (conflict_field if isinstance(error, Conflict) and conflict_field else None)
    if page is not None and (error.status == 422 or beside):
        shown = form is not None and show_error(form, error, beside)
        return make_response(page(None if shown else error), 422)
    return make_response(errors.render_error(error.status, str(error)))


@dataclass(frozen=True)
class Outcome:
    """What `run` did: the command's value, or the page answering a refusal."""

    value: Any = None
    page: Response | None = None

    @property
    def refused(self) -> bool:
        return self.page is not None


def run(form, command: Callable[..., Any], page: Page | None = None, *,
        shows_form: bool = True, conflict_field: str | None = None,
        prepare: Callable[[], Any] | None = None, check: Callable[[], Any] | None = None) -> Outcome:
    """Validate `form`, then run `command` in one write transaction.

    A form that does not validate re-renders `page` at 422: with its errors beside its fields
    when the page shows the posted form (`shows_form`), else as one refusal at the top.
    `prepare` runs after validation and before the transaction (storing an upload, say,
    which should not hold the database); its result is `command`'s second argument.
    `check` (404 or 403 by aborting) runs only before a form's errors are shown: a valid
    form's command checks the same inside its locked transaction, so the case is read once.
    """
    if not form.validate_on_submit():
        if check is not None:
            check()
        if page is None:
            return Outcome(page=refused(incomplete(form)))
        return Outcome(page=make_response(page(None if shows_form else incomplete(form)), 422))
    try:
        extra = () if prepare is None else (prepare(),)
        with db.transaction() as write:
            value = command(write, *extra)
    except WorkflowError as error:
        return Outcome(page=refused(error, form if shows_form else None, page, conflict_field))
    return Outcome(value=value)
