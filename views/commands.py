"""Running a form's command, and the one way a refused command becomes a page.

Every POST view validates its form and runs its one service call through `run`; whatever
the service refuses is answered by `refused`, also used for refusals raised outside a
command (the error handler of `WorkflowError`):

- a 422 refusal that names a field of the form is shown beside that field, the page
  re-rendered at 422; one that names no field is shown at the top of the page;
- 403 and 404 are error pages; 409 is an error page with a link back to the case, but for a
  form refused because the case changed since its page was loaded: that form is offered again
  on its page, as typed and at the case's version now, unless it overwrites the case's fields.
"""
from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

from flask import Response, g, make_response
from flask_babel import gettext
from werkzeug.local import LocalProxy

from views import db, errors
from views.language import Beside, translated
from workflow.errors import Conflict, Invalid, Stale, WorkflowError
from workflow.words import Text, _

#: Re-renders the page a form was on; gets the refusal to show at its top, or None.
Page = Callable[[WorkflowError | None], Any]
T = TypeVar("T")


def beside(refusal, field: str):
    """A refusal's sentence to show beside the field `field` (a list, a country: as it is)."""
    if type(refusal) is not Text:
        return refusal
    shown = Beside(refusal.message, refusal.plural, refusal.count, **refusal.values)
    shown.prefix = f"{field.replace('_', ' ')}: "
    return shown


def show_error(form, error: WorkflowError, field: str | None = None) -> bool:
    """Put a refusal beside the field it names (or `field`); False if the form has no such field."""
    name = field or getattr(error, "field", None) or ""
    target = getattr(form, name, None)
    if target is None:
        return False
    target.errors = [*target.errors, beside(sentence(error), name)]
    return True


def sentence(error: WorkflowError):
    """The refusal's sentence: a `Text` stays one, so that the page says it in its reader's language."""
    return error.args[0] if error.args else str(error)


def incomplete(form) -> Invalid:
    """A form's validation errors as one refusal, for pages that do not show the posted form
    (said in the reader's language: the form's labels and messages are)."""
    problems = gettext("; ").join(
        gettext("%(field)s: %(messages)s", field=form[name].label.text if name in form else gettext("form"),
                messages=gettext(", ").join(str(translated(message)) for message in messages))
        for name, messages in form.errors.items())
    return Invalid(gettext("The form was not accepted. %(problems)s", problems=problems))


def refused(error: WorkflowError, form=None, page: Page | None = None,
            conflict_field: str | None = None, *, shows_form: bool = True) -> Response:
    """The page that answers a refusal: beside its field or atop `page` (422), or an error page.

    `conflict_field` names the field a 409 is about when the conflict is with another record
    named in that field (a username taken), not with a changed case: it is shown there.
    """
    if isinstance(error, Stale) and page is not None and keeps(form, error):
        if not shows_form:  # the page (the case page) shows its own copy of this form: this one
            g.kept_form = form
        return make_response(page(Conflict(_("%(changed)s What you wrote is kept below: read "
                                             "the case as it is now, then send it again.",
                                             changed=error.changed))), 409)
    named = (conflict_field if isinstance(error, Conflict) and conflict_field else None)
    if page is not None and (error.status == 422 or named):
        shown = shows_form and form is not None and show_error(form, error, named)
        if not shows_form:
            g.kept_form = form  # shown again as typed, with the refusal atop the page
        return make_response(page(None if shown else error), 422)
    if page is not None and error.status == 403:
        # Refused for who is asking (a rule of roles): the form again, as typed, and why not.
        return make_response(page(error), 403)
    return make_response(errors.render_error(error.status, sentence(error)))


def keeps(form, error: Stale) -> bool:
    """Offer `form` again after the case changed: it adds to the case (a note, a decision, a
    record) rather than overwriting its fields; its version becomes the case's now."""
    if form is None or not hasattr(form, "version") or getattr(form, "overwrites", True):
        return False
    form.version.data = str(error.current)
    return True


def kept(form_class, **fresh):
    """The form of `form_class` a page shows: the one refused (the case changed, or a value
    was wrong), as typed (see `refused`), or a fresh one made with `fresh`."""
    form = g.get("kept_form")
    if type(form) is not form_class:
        return form_class(formdata=None, **fresh)
    form.kept = True  # its section of the page opens on it
    return form


def deferred(make: Callable[[], T]) -> T:
    """What `make()` returns, made when the page first uses it: the case page offers a dozen
    forms and draws those of the commands its reader may run."""
    return LocalProxy(cache(make))


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
    `prepare` runs after validation and before the transaction (receiving an upload, say,
    which should not hold the database); it returns a context manager around the transaction
    (the upload's received bytes go when the command ends), whose value is `command`'s second
    argument.
    `check` (404 or 403 by aborting) runs only before a form's errors are shown: a valid
    form's command checks the same inside its locked transaction, so the case is read once.
    """
    if not form.validate_on_submit():
        if check is not None:
            check()
        if page is None:
            return Outcome(page=refused(incomplete(form)))
        if not shows_form:
            g.kept_form = form
        return Outcome(page=make_response(page(None if shows_form else incomplete(form)), 422))
    try:
        with prepare() if prepare is not None else nullcontext() as prepared:
            with db.transaction() as write:
                value = command(write) if prepare is None else command(write, prepared)
    except WorkflowError as error:
        return Outcome(page=refused(error, form, page, conflict_field, shows_form=shows_form))
    return Outcome(value=value)
