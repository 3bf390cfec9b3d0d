"""What every API operation shares: its route, its scope, the validation of its input (spectree,
from the pydantic models), optimistic locking over HTTP, and its answer."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps

from flask import Blueprint, Response, g, request, url_for
from pydantic import BaseModel
from spectree import Response as Responses
from spectree import SecurityScheme, SecuritySchemeData, SpecTree
from spectree.model_adapter.pydantic_adapter import PydanticModelAdapter
from werkzeug.routing import BaseConverter

from views import db
from views.api import problems, schemas
from views.api.problems import Problem
from workflow import cases, permissions, tokens
from workflow.command import ANY_VERSION

blueprint = Blueprint("api", __name__, url_prefix="/api/v1")


class IdConverter(BaseConverter):
    """`<id:…>`: any whole number, so that one beyond the database's range is a 404 of its
    operation (the pages' bounded `int` would make it a 405 where a path has several methods)."""

    regex = r"\d{1,19}"

    def to_python(self, value: str) -> int:
        return int(value)


def _refuse_invalid(_request, _response, error, _instance, adapter=None) -> None:
    """spectree's hook: a request that does not fit its schema is a 422 problem."""
    if error is not None:
        raise problems.from_validation(adapter.validation_errors(error))


class _Adapter(PydanticModelAdapter):
    """spectree's pydantic adapter, without the refused input in the errors (a file is not JSON)."""

    def validation_errors(self, err):
        return err.errors(include_context=False, include_input=False, include_url=False)


spec = SpecTree(
    # `path` is where spectree would serve its own pages: the routes under it it leaves out,
    # so not /api/v1 (views/api/docs.py serves the document and the reference page instead).
    "flask", mode="strict", annotations=False, path="api/spectree", title="Restraint API",
    naming_strategy=lambda model: model.__name__,
    nested_naming_strategy=lambda _parent, child: child,
    version="1.0.0", validation_error_status=422, validation_error_model=schemas.Problem,
    before=_refuse_invalid, model_adapter=_Adapter(),
    description=("The cases, evidence, gates, responses, tasks and audit log of Restraint, with "
                 "the same rules as its pages. Authenticate with a personal access token "
                 "(`Authorization: Bearer rst_…`) made on your account page. Every change to a case "
                 "needs `If-Match` with the case's ETag; errors are RFC 9457 problem details."),
    security_schemes=[SecurityScheme(name="token", data=SecuritySchemeData(
        type="http", scheme="bearer",
        description="A personal access token from My account → Access tokens."))],
    security={"token": []})


@dataclass(frozen=True)
class Operation:
    """An operation as the OpenAPI document describes it beyond what spectree sees."""

    endpoint: str
    method: str
    scope: str
    #: Changes a case: needs If-Match with the case's ETag (428 without, 412 when stale).
    versioned: bool = False
    #: Answers with the case's ETag.
    etag: bool = False
    body: bool = False
    form: bool = False
    status: int = 200
    #: OpenAPI links of its success response, by name: {"operationId": ..., "parameters": ...}.
    links: dict = field(default_factory=dict)
    #: The success answer is a file, not JSON.
    binary: bool = False
    #: Case content: only for users whose roles see cases (never an admin's token).
    sees_cases: bool = True
    #: The permission the command needs (on the case of the URL), checked before its input is.
    action: str | None = None


OPERATIONS: dict[str, Operation] = {}


def _check_scope(operation: Operation) -> None:
    """The token must carry the operation's scope (a change's, read too)."""
    for scope in tokens.NEEDED[operation.scope]:
        if scope not in g.api_token.scope_list:
            raise Problem(403, f"This token lacks the {scope} scope; make one with it on "
                               "your account page.", "scope")


def _check_case(operation: Operation, case_id: int | None) -> None:
    """As the pages do: 404 for a case the caller may not see, then 403 for what their roles
    may not do; before the input is read, so a refusal never depends on what was sent."""
    who = g.api_actor
    case = cases.load_case(db.session(), case_id, who) if case_id is not None else None
    needed = (permissions.READ_AUDIT if operation.scope == "audit" else
              permissions.VIEW_CASE if operation.sees_cases else None, operation.action)
    for action in filter(None, needed):
        if not permissions.can(who, action, case):
            raise Problem(403, permissions.needs(action), "forbidden")


def _check_body(operation: Operation) -> None:
    """A body is JSON (or, where a file comes with it, multipart/form-data), and well formed."""
    if not operation.body:
        return
    kinds = ["application/json"] + (["multipart/form-data"] if operation.form else [])
    if request.mimetype not in kinds:
        raise Problem(415, f"Send the body as {' or '.join(kinds)}.",
                      headers={"Accept-Post" if request.method == "POST" else "Accept-Patch"
                               : ", ".join(kinds)})
    if request.mimetype == "application/json":
        try:
            well_formed = request.get_json(silent=True) is not None
        except RecursionError:  # arrays in arrays thousands deep: Python's parser gives up
            well_formed = False
        if not well_formed:
            raise Problem(400, "The body is not valid JSON.", "validation")


def operation(rule: str, method: str = "GET", *, scope: str = "read", query: type | None = None,
              json: type | None = None, form: type | None = None, answer: object = None,
              status: int = 200, tags: tuple = (), versioned: bool = False, etag: bool = False,
              links: dict | None = None, binary: bool = False, sees_cases: bool = True,
              action: str | None = None) -> Callable:
    """Register a view as an API operation: route, scope, validated input, documented answer."""
    def decorator(view: Callable) -> Callable:
        endpoint = view.__name__
        meta = Operation(endpoint, method, scope, versioned, etag or versioned,
                         json is not None or form is not None, form is not None, status,
                         links or {}, binary, sees_cases, action)
        OPERATIONS[endpoint] = meta
        answers = {f"HTTP_{status}": answer} if not binary else {f"HTTP_{status}": None}
        validated = spec.validate(query=query, json=json, form=form, resp=Responses(**answers),
                                  tags=tags, operation_id=endpoint)(view)

        # A file is streamed as it is: spectree would read it whole to check it against a model.
        call = view if binary else validated

        @wraps(validated)
        def guarded(*args, **kwargs):
            if any(value > schemas.MAX_ID for value in kwargs.values()):
                raise Problem(404, "No such resource: that id is beyond any the database holds.",
                              "not-found")
            _check_scope(meta)
            _check_case(meta, kwargs.get("case_id"))
            _check_body(meta)
            return call(*args, **kwargs)
        blueprint.add_url_rule(rule, endpoint, guarded, methods=[method])
        return guarded
    return decorator


# --- inside an operation ------------------------------------------------------------------------

def actor():
    """Who acts: the token's user, with their current roles, marked as coming through the API."""
    return g.api_actor


def body():
    """The validated JSON body (or form) of this request."""
    context = request.context
    return context.json if context.json is not None else context.form


def query():
    return request.context.query


def etag(version: int) -> str:
    return f'"v{version}"'


def expected_version():
    """The case version the client saw, from If-Match: 428 without it, 412 when it cannot match."""
    value = request.headers.get("If-Match", "").strip()
    if not value:
        raise Problem(428, "Send If-Match with the case's ETag (from a GET of the case or the "
                           "answer to your last change), e.g. If-Match: \"v3\".",
                      "version-required")
    if value == "*":
        return ANY_VERSION
    tags = [tag.strip() for tag in value.split(",")]
    versions = [int(tag[2:-1]) for tag in tags
                if tag.startswith('"v') and tag.endswith('"') and tag[2:-1].isdigit()
                and len(tag) < 14]
    if len(versions) != 1:
        raise Problem(412, f"If-Match {value[:60]!r} names no version of the case; send the "
                           "one ETag you read, e.g. \"v3\".", "stale-version")
    return versions[0]


def write(command: Callable):
    """Run one service call in one write transaction (its audit event included)."""
    with db.transaction() as session:
        value = command(session)
    # The answer is read afresh: the request's reading transaction began before this one.
    db.session().rollback()
    return value


def change(service: Callable, target_id: int, fields: dict | None = None, **arguments):
    """Call a command on the case (or gate request) `target_id` with the version If-Match names
    and the request's fields (or `fields`, renamed for the service), in one transaction."""
    version = expected_version()
    if fields is None:
        fields = body().model_dump() if body() is not None else {}
    return write(lambda session: service(session, actor(), target_id, expected_version=version,
                                         **fields, **arguments))


def answer(model: BaseModel, status: int = 200, *, version: int | None = None,
           location: str | None = None, links: list[tuple[str, str]] = ()) -> tuple:
    """A JSON answer with the case's ETag, a Location for what was made, and Link headers."""
    headers = {}
    if version is not None:
        headers["ETag"] = etag(version)
    if location:
        headers["Location"] = location
    if links:
        headers["Link"] = ", ".join(f'<{url}>; rel="{rel}"' for url, rel in links)
    return model, status, headers


def no_content(version: int | None = None) -> Response:
    response = Response(status=204)
    if version is not None:
        response.headers["ETag"] = etag(version)
    return response


def url(endpoint: str, **values) -> str:
    return url_for(f"api.{endpoint}", **values)
