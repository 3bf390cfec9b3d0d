"""Every error under /api as RFC 9457 problem details (application/problem+json), never a page."""
from __future__ import annotations

import json

from flask import Response, request
from werkzeug.exceptions import HTTPException

from workflow.errors import GateUnmet, Invalid, Stale, WorkflowError

MEDIA_TYPE = "application/problem+json"
#: The problem types of the domain; plain HTTP errors are "about:blank" (RFC 9457 §4.2.1).
TYPES = {
    "validation": "urn:restraint:problem:validation",
    "gate-unmet": "urn:restraint:problem:gate-unmet",
    "stale-version": "urn:restraint:problem:stale-version",
    "version-required": "urn:restraint:problem:version-required",
    "conflict": "urn:restraint:problem:conflict",
    "forbidden": "urn:restraint:problem:forbidden",
    "scope": "urn:restraint:problem:scope",
    "not-found": "urn:restraint:problem:not-found",
    "token": "urn:restraint:problem:token",
    "throttled": "urn:restraint:problem:throttled",
}
TITLES = {
    400: "Bad request", 401: "Not authenticated", 403: "Not allowed", 404: "Not found",
    405: "Method not allowed", 409: "Conflict", 412: "Precondition failed",
    413: "Content too large", 415: "Unsupported media type", 422: "Unprocessable content",
    428: "Precondition required", 429: "Too many requests", 500: "Internal server error",
}


def is_api_request() -> bool:
    """Whether the request is one of the API's: its errors are problem details."""
    return request.path == "/api" or request.path.startswith("/api/")


class Problem(Exception):
    """An answer of the API that is not a success, raised wherever it is found."""

    def __init__(self, status: int, detail: str, kind: str | None = None,
                 headers: dict | None = None, **extra):
        super().__init__(detail)
        self.status, self.detail, self.kind = status, detail, kind
        self.headers, self.extra = headers or {}, extra

    def response(self) -> Response:
        return problem(self.status, self.detail, self.kind, self.headers, **self.extra)


def problem(status: int, detail: str, kind: str | None = None, headers: dict | None = None,
            **extra) -> Response:
    """A problem-details response: type, title, status, detail, and any extension members."""
    body = {"type": TYPES[kind] if kind else "about:blank",
            "title": TITLES.get(status, "Error"), "status": status, "detail": detail,
            "instance": request.path, **extra}
    return Response(json.dumps(body, ensure_ascii=False), status, headers or {},
                    mimetype=MEDIA_TYPE)


def from_http(error: HTTPException) -> Response:
    """Flask's own errors (unknown URL, wrong method, body too large, …) as problem details."""
    status = error.code or 500
    headers = {name: value for name, value in error.get_headers()
               if name.lower() not in ("content-type", "content-length")}
    detail = error.description or TITLES.get(status, "Error")
    if status == 404 and not request.url_rule:
        detail = "No such resource in the API: see /api/v1/openapi.json."
    return problem(status, detail, headers=headers)


def from_workflow(error: WorkflowError) -> Response:
    """A refused command: its sentence, the field it names, the unmet requirements of a gate."""
    if isinstance(error, Stale):
        return problem(412, str(error), "stale-version")
    extra = {}
    if isinstance(error, Invalid) and error.field:
        extra["errors"] = [{"field": error.field, "message": str(error)}]
    checklist = getattr(error, "checklist", None)
    if checklist is not None:
        extra["unmet"] = [item.as_dict() for item in checklist.unmet]
    reasons = getattr(error, "reasons", None)
    if reasons:  # the pathway's refusals say every reason, each with its code
        extra["reasons"] = [{"code": reason.code, "detail": reason.sentence} for reason in reasons]
    kind = "gate-unmet" if isinstance(error, GateUnmet) else {
        400: "validation", 403: "forbidden", 404: "not-found", 409: "conflict",
        422: "validation"}.get(error.status)
    return problem(error.status, str(error), kind, **extra)


def from_validation(errors: list[dict]) -> Problem:
    """The request's fields that do not fit the schema, each named with what is wrong."""
    fields = [{"field": ".".join(str(part) for part in error.get("loc", ())) or "body",
               "message": error.get("msg", "not valid")} for error in errors]
    named = "; ".join(f"{field['field']}: {field['message']}" for field in fields[:5])
    return Problem(422, f"The request does not fit the schema: {named}.", "validation",
                   errors=fields)
