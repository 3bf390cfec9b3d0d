"""Error pages in the app's own look, never a stack trace."""
from __future__ import annotations

from flask import Flask, Response, current_app, g, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException, InternalServerError

from views.api import problems
from workflow.errors import WorkflowError

TITLES = {
    400: "Bad request", 403: "Not allowed", 404: "Not found", 405: "Method not allowed",
    409: "Changed meanwhile", 413: "Too large", 422: "Cannot process", 429: "Too many attempts",
    500: "Something went wrong",
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
        return problems.problem(status, message or TITLES.get(status, "Error"))
    if request.blueprint in PLAIN_TEXT_BLUEPRINTS:
        line = (message or TITLES.get(status, "Error")).splitlines()[0]
        return Response(line + "\n", status, mimetype="text/plain")
    back = _case_link() if status in (409, 422) else None
    return render_template("errors/error.html", status=status, back=back,
                           title=TITLES.get(status, "Error"), message=message), status


def _http_error(error: HTTPException):
    if problems.is_api_request():
        return problems.from_http(error)
    return render_error(error.code or 500, error.description or "")


def _csrf_error(error: CSRFError):
    return render_error(400, "The form was missing its security token or it expired. "
                             "Go back, reload the page and try again.")


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
