"""The OpenAPI 3.1 document: spectree's, from the routes and the pydantic models, finished with
what spectree does not describe: problem details for every error, If-Match and the ETag, the
file download, and the links a client (or Schemathesis) follows from one operation to the next."""
from __future__ import annotations

import copy

from views.api.operation import OPERATIONS, Operation, spec
from views.bounds import MAX_INT

PROBLEM = {"$ref": "#/components/schemas/Problem"}
WORDS = {
    400: "The request is malformed: a parameter out of bounds, a body that is not JSON.",
    401: "No token, or one that does not work (unknown, expired, revoked, its user deactivated).",
    403: "The token lacks the scope, or its user the role, for this.",
    404: "No such resource, or one you may not see (cases off your team look like this).",
    409: "The case's state refuses the command now (closed, under review, decided already).",
    412: "If-Match names an older version of the case: read it again.",
    413: "The body is larger than the server takes.",
    415: "The body is not of a media type this operation takes.",
    422: "The input does not fit the schema or the rules; `errors` names the fields, `unmet` a gate's unmet requirements.",
    428: "If-Match is required: send the case's ETag.",
    429: "Too many refused tokens from this address.",
}
HEADERS = {
    "ETag": {"description": "The case's version, for If-Match.", "schema": {"type": "string"}},
    "Location": {"description": "Where the new resource is.", "schema": {"type": "string"}},
    "Link": {"description": "The next page (rel=\"next\"), RFC 8288.", "schema": {"type": "string"}},
    "X-Content-SHA256": {"description": "The SHA-256 (hex) of the file.",
                         "schema": {"type": "string", "pattern": "^[0-9a-f]{64}$"}},
}
IF_MATCH = {"name": "If-Match", "in": "header", "required": True,
            "description": "The case's ETag as read (e.g. \"v3\"); * for whatever version is current.",
            "schema": {"type": "string", "maxLength": 200}}

#: The order the reference shows its sections in: a case's life, then the log.
TAG_ORDER = ("cases", "gates", "evidence", "findings", "responses", "messages", "evaluation",
             "tasks", "audit", "dashboard", "tokens")

_document: dict | None = None


def _errors(meta: Operation) -> list[int]:
    codes = [400, 401, 403, 404, 422, 429]
    if meta.method != "GET":
        codes += [409]
    if meta.body:
        codes += [413, 415]
    if meta.versioned:
        codes += [412, 428]
    return sorted(codes)


def _finish(operation: dict, meta: Operation) -> None:
    responses = operation["responses"]
    for code in _errors(meta):
        responses[str(code)] = {"description": WORDS[code],
                                "content": {"application/problem+json": {"schema": PROBLEM}}}
    success = responses[str(meta.status)]
    headers = success.setdefault("headers", {})
    if meta.etag:
        headers["ETag"] = HEADERS["ETag"]
    if meta.status == 201:
        headers["Location"] = HEADERS["Location"]
    if meta.endpoint in ("list_cases", "list_audit_events", "case_audit_events"):
        headers["Link"] = HEADERS["Link"]
    if meta.binary:
        success["description"] = "The file, as stored."
        success["content"] = {"application/octet-stream": {"schema": {"type": "string",
                                                                       "format": "binary"}}}
        headers["X-Content-SHA256"] = HEADERS["X-Content-SHA256"]
    if meta.links:
        success["links"] = copy.deepcopy(meta.links)
    parameters = operation.setdefault("parameters", [])
    for parameter in parameters:
        if parameter.get("in") == "path":
            parameter["schema"] = {"type": "integer", "minimum": 0, "maximum": MAX_INT}
    if meta.versioned:
        parameters.append(dict(IF_MATCH))


def document() -> dict:
    """The whole document, built once: every app serves the same operations."""
    global _document
    if _document is None:
        result = copy.deepcopy(spec.spec)
        for path_item in result["paths"].values():
            for operation in path_item.values():
                _finish(operation, OPERATIONS[operation["operationId"]])
        result["tags"] = sorted(result["tags"], key=lambda tag: TAG_ORDER.index(tag["name"]))
        _document = result
    return _document
