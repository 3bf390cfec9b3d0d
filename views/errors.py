"""Error pages in the app's own look, never a stack trace."""
from __future__ import annotations

from flask import Flask, Response, current_app, g, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException, InternalServerError

from views.api import problems
from workflow.errors import WorkflowError
from workflow.words import _

TITLES = {
    400: _("Bad request"), 403: _("Not allowed"), 404: _("Not found"), 405: _("Method not allowed"),
    409: _("Changed meanwhile"), 413: _("Too large"), 422: _("Cannot process"),
    429: _("Too many attempts"), 500: _("Something went wrong"),
}
ERROR = _("Error")
#: Werkzeug's own descriptions, as the page says them in its reader's language (the same English).
DESCRIPTIONS = {
    400: _("The browser (or proxy) sent a request that this server could not understand."),
    403: _("You don't have the permission to access the requested resource. It is either "
           "read-protected or not readable by the server."),
    404: _("The requested URL was not found on the server. If you entered the URL manually please "
           "check your spelling and try again."),
    405: _("The method is not allowed for the requested URL."),
    409: _("A conflict happened while processing the request. The resource might have been "
           "modified while the request was being processed."),
    413: _("The data value transmitted exceeds the capacity limit."),
    422: _("The request was well-formed but was unable to be followed due to semantic errors."),
    429: _("This user has exceeded an allotted request count. Try again later."),
    500: _("The server encountered an internal error and was unable to complete your request. "
           "Either the server is overloaded or there is an error in the application."),
}


def _case_link() -> str | None:
    """The page of the case the failed request was about, if any and if it may be shown."""
    case_id = (request.view_args or {}).get("case_id") or g.get("case_id")
    if case_id is None and "case_id_of" in g:  # a view that finds its case only when needed
        case_id = g.case_id_of()
    return url_for("cases.detail", case_id=case_id) if case_id else None


#: Blueprints that programs read (witnesses): their errors are one plain-text line.
PLAIN_TEXT_BLUEPRINTS = frozenset({"transparency"})


def render_error(status: int, message: str):
    if problems.is_api_request():
        return problems.problem(status, message or TITLES.get(status, ERROR))
    if request.blueprint in PLAIN_TEXT_BLUEPRINTS:
        line = (message or TITLES.get(status, ERROR)).splitlines()[0]
        return Response(line + "\n", status, mimetype="text/plain")
    back = _case_link() if status in (409, 422) else None
    return render_template("errors/error.html", status=status, back=back,
                           title=TITLES.get(status, ERROR), message=said(status, message)), status


def said(status: int, message):
    """Werkzeug's own description of `status` as a sentence the page translates; any other as it is."""
    known = DESCRIPTIONS.get(status)
    return known if known is not None and message == known else message


def _http_error(error: HTTPException):
    if problems.is_api_request():
        return problems.from_http(error)
    return render_error(error.code or 500, error.description or "")


def _csrf_error(error: CSRFError):
    return render_error(400, _("The form was missing its security token or it expired. "
                               "Go back, reload the page and try again."))


def _workflow_error(error: WorkflowError):
    if problems.is_api_request():
        return problems.from_workflow(error)
    from views.commands import refused  # the one answer to a refusal, raised wherever
    return refused(error)


def _unexpected(error: Exception):
    if isinstance(error, HTTPException):
        return _http_error(error)
    if problems.is_api_request() and isinstance(error, IntegrityError):
        # Two requests made the same record at once (the database kept one): retry after a read.
        return problems.problem(409, "This conflicts with a change made at the same moment; "
                                     "read the resource again and retry.", "conflict")
    current_app.logger.exception("unhandled error")
    return render_error(500, InternalServerError.description)


def register(app: Flask) -> None:
    app.register_error_handler(problems.Problem, lambda problem: problem.response())
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(WorkflowError, _workflow_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
