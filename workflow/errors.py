"""Errors raised by workflow services; views turn them into HTTP answers."""
from workflow.words import _


class WorkflowError(Exception):
    """A command was refused; the message says why, in words a user understands."""

    status = 400


class NotFound(WorkflowError):
    status = 404


class Forbidden(WorkflowError):
    status = 403


class Conflict(WorkflowError):
    status = 409


class Stale(Conflict):
    """The case changed since the version the actor saw (the API answers it with 412)."""

    def __init__(self, reference: str, seen: int, current: int,
                 advice: str = _("Reload the case and try again.")):
        #: What changed, without the advice: a page that offers the form again says its own.
        self.changed = _("Case %(reference)s changed since you loaded the page (you saw version "
                         "%(seen)s, it is now at version %(current)s).",
                         reference=reference, seen=seen, current=current)
        super().__init__(_("%(changed)s %(advice)s", changed=self.changed, advice=advice))
        self.reference, self.current = reference, current


class Invalid(WorkflowError):
    """Bad input; `field` names the form field when there is one."""

    status = 422

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class GateUnmet(WorkflowError):
    """A gate's requirements are not all met; carries the checklist with the unmet ones."""

    status = 422

    def __init__(self, message: str, checklist):
        super().__init__(message)
        self.checklist = checklist
