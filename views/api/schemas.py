"""The API's bodies as pydantic models: they validate requests and are the OpenAPI 3.1 schemas
(pydantic writes JSON Schema 2020-12, the dialect OpenAPI 3.1 uses, so nothing is translated).

Request models are strict (no "1" for 1, no unknown fields): what the schema refuses, the API
refuses. Dates and times are ISO 8601 strings; times are UTC.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
)

from vocabulary import (
    AGENTS,
    CASE_ROLES,
    CUSTODY_ACTIONS,
    EVIDENCE_KINDS,
    FACTORS,
    FINDING_KINDS,
    INFORMATION_GRADES,
    LEVELS,
    PARTY_TYPES,
    PRECISIONS,
    PRESSURE_RATINGS,
    RATINGS,
    RECOMMENDATIONS,
    REPEAT_USE,
    RESPONSE_STATUSES,
    ROLES,
    SOURCE_GRADES,
    STAGES,
    STANDARDS_OF_PROOF,
    STRATEGIES,
    TARGETED,
    TOOLS,
)
from views.bounds import FORM_WHITESPACE, control_character
from workflow.clock import format_utc
from workflow.fields import EARLIEST, LATEST, in_years

MAX_ID = 2**31 - 1


def _iso_text(value: Any) -> Any:
    """Dates and times come as ISO 8601 text, never as numbers."""
    if not isinstance(value, str):
        raise ValueError("an ISO 8601 string")
    return value


def _within_years(value: date) -> date:
    """A day records may hold (see workflow.fields): year 1 or 9999 is a typing mistake."""
    if not in_years(value):
        raise ValueError(f"a date from {EARLIEST.year} to {LATEST.year}")
    return value


def _as_utc(value: datetime) -> datetime:
    """Stored naive, in UTC; a time without an offset is taken as UTC."""
    return value.astimezone(timezone.utc).replace(tzinfo=None) if value.tzinfo else value


Day = Annotated[date, BeforeValidator(_iso_text), Field(strict=False), AfterValidator(_within_years)]
# The years are checked before the offset is taken away: 0001-01-01T00:00+05:00 has no UTC.
Moment = Annotated[datetime, BeforeValidator(_iso_text), Field(strict=False),
                   AfterValidator(_within_years), AfterValidator(_as_utc)]
#: A stored time, written as UTC with a Z.
Utc = Annotated[datetime, PlainSerializer(format_utc, return_type=str),
                WithJsonSchema({"type": "string", "format": "date-time"})]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


def _no_control_character(allowed: frozenset[str]):
    """Refuse the control characters JSON may carry escaped ("\\u0000"), as forms do."""
    def check(value: str) -> str:
        bad = control_character(value, allowed)
        if bad:
            raise ValueError(f"contains a control character (U+{ord(bad):04X})")
        return value
    return AfterValidator(check)


def one_line(limit: int, minimum: int = 0):
    return Annotated[str, Field(min_length=minimum, max_length=limit, pattern=r"^[^\r\n\t]*$"),
                     _no_control_character(frozenset())]


def long_text(limit: int, minimum: int = 0):
    return Annotated[str, Field(min_length=minimum, max_length=limit),
                     _no_control_character(FORM_WHITESPACE)]


class Input(BaseModel):
    """A request body: strict, and no field the schema does not name."""

    model_config = ConfigDict(strict=True, extra="forbid")


class Output(BaseModel):
    """A response body, read from the stored rows."""

    model_config = ConfigDict(from_attributes=True)


# --- problems ---------------------------------------------------------------------------------

class FieldError(Output):
    field: str
    message: str


class CheckItem(Output):
    """One requirement of a gate: met or not, and why."""

    code: str
    sentence: str
    met: bool
    detail: str


class Reason(Output):
    code: str
    detail: str


class Problem(Output):
    """RFC 9457 problem details; `errors` names the fields of a refused request, `unmet` the
    requirements of a gate that is closed."""

    model_config = ConfigDict(extra="allow", title="Problem")
    type: str = Field(description="A URI naming the kind of problem; about:blank for plain HTTP errors.")
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[FieldError] | None = None
    unmet: list[CheckItem] | None = None
    reasons: list[Reason] | None = None


# --- cases --------------------------------------------------------------------------------------

class CaseFields(Input):
    """The details of a case; a field left out is left as it is (null clears the nullable ones)."""

    title: one_line(200, 1) = None
    occurred_on: Day | None = None
    occurred_precision: Literal[PRECISIONS] = None
    country: one_line(100) = Field(None, description=(
        "The country: its ISO 3166-1 alpha-2 code (SY), or a name in English or Arabic (Syria, سوريا); "
        "stored as the code."))
    place: one_line(200) = None
    latitude: Annotated[float, Field(ge=-90, le=90)] | None = None
    longitude: Annotated[float, Field(ge=-180, le=180)] | None = None
    suspected_agent: Literal[AGENTS] = None
    delivery_means: one_line(200) = None
    deaths: Annotated[int, Field(ge=0, le=10_000_000)] | None = None
    injured: Annotated[int, Field(ge=0, le=10_000_000)] | None = None
    summary: long_text(20_000) = None
    targeted: Literal[TARGETED] = None
    strategies: list[Literal[STRATEGIES]] | None = Field(None, max_length=len(STRATEGIES))
    suspects: list[one_line(300, 1)] | None = Field(None, max_length=50, description=(
        "The suspected perpetrators, as the party register knows them (any of their names); "
        "all of them: the list replaces the case's."))


class CaseOpen(CaseFields):
    """A new case; it starts in `reported`, and its opener joins its team if they work cases."""

    title: one_line(200, 1)
    source_id: one_line(100, 1) = Field(
        None, description="Where the case came from, e.g. syrian-archive:KAT141012; unique.")


class Member(Output):
    user_id: int
    username: str
    case_role: str


class GateRequestOut(Output):
    id: int
    from_state: str
    target: str
    requested_by: str
    requested_at: Utc
    note: str
    decision: str
    decided_by: str | None
    decided_at: Utc | None
    reason: str
    checklist: list[CheckItem] = Field(description="The checklist as it stood when requested.")


class Checklist(Output):
    """Every requirement of the gate to `target`, evaluated now."""

    target: str
    all_met: bool
    items: list[CheckItem]


class Allowed(Output):
    ok: bool
    reason: str


class CaseSummary(Output):
    id: int
    reference: str
    title: str
    stage: str
    country: str = Field(description="ISO 3166-1 alpha-2 code, e.g. SY.")
    occurred_on: date | None
    suspected_agent: str
    version: int
    under_review: str | None = Field(description="The target of the pending gate request, if any.")


class CasePage(Output):
    items: list[CaseSummary]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page (also in the Link header).")


class Case(Output):
    """A case with its team, stage, version, pending request, next gates and what you may do."""

    id: int
    reference: str
    title: str
    occurred_on: date | None
    occurred_precision: str
    country: str = Field(description="ISO 3166-1 alpha-2 code, e.g. SY.")
    place: str
    latitude: float | None
    longitude: float | None
    suspected_agent: str
    delivery_means: str
    deaths: int | None
    injured: int | None
    summary: str
    targeted: str = Field(description="Who the attack was aimed at.")
    strategies: list[str] = Field(description="The strategies the case's pathway follows.")
    suspects: list[str] = Field(description="The suspected perpetrators: the party register's names.")
    stage: str
    outcome: str | None
    version: int = Field(description="The optimistic lock: send it back as If-Match: \"v<version>\".")
    source_id: str | None
    history_imported: bool
    opened_at: Utc
    closed_at: Utc | None
    team: list[Member]
    pending_request: GateRequestOut | None
    checklists: list[Checklist] = Field(description="The gates out of the current stage.")
    available: dict[str, Allowed] = Field(
        description="Every command on the case for you now, with the reason when you may not.")


class TeamMember(Input):
    case_role: Literal[CASE_ROLES]


class GateRequestIn(Input):
    target: Literal[STAGES]
    note: long_text(5000) = ""


class Decision(Input):
    reason: long_text(5000) = ""


class Reopen(Input):
    target: Literal[STAGES]
    reason: long_text(5000, 1)


# --- evidence --------------------------------------------------------------------------------

class EvidenceIn(Input):
    kind: Literal[EVIDENCE_KINDS]
    title: one_line(200, 1)
    description: long_text(20_000) = ""
    source: one_line(300) = ""
    collected_at: Moment | None = None
    collected_by: one_line(200) = ""
    source_grade: Literal[tuple(SOURCE_GRADES)] = "F"
    information_grade: Literal[tuple(INFORMATION_GRADES)] = "6"


class EvidenceUpload(EvidenceIn):
    """Evidence with its file, as multipart/form-data; `declared_sha256` refuses a changed file."""

    file: Annotated[Any, WithJsonSchema({"type": "string", "format": "binary"})] = None
    declared_sha256: Annotated[str, Field(pattern=r"^[0-9a-fA-F]{64}$")] | None = None


class Custody(Output):
    id: int
    action: str
    from_holder: str
    to_holder: str
    at: Utc
    place: str
    seal_id: str
    note: str
    chain_break: str | None = Field(None, description="Why the chain of custody breaks here, if it does.")


class Analysis(Output):
    id: int
    laboratory: str
    designated: bool
    method: str
    result: str
    report_ref: str
    analysed_on: date | None


class Evidence(Output):
    id: int
    case_id: int
    kind: str
    title: str
    description: str
    source: str
    collected_at: Utc | None
    collected_by: str
    source_grade: str
    information_grade: str
    stage_added: str
    status: str
    withdrawn_reason: str
    sha256: str | None
    size: int | None
    detected_type: str | None
    original_filename: str
    added_at: Utc
    custody: list[Custody]
    analyses: list[Analysis]


class CustodyIn(Input):
    action: Literal[CUSTODY_ACTIONS]
    at: Moment
    from_holder: one_line(200) = ""
    to_holder: one_line(200) = ""
    place: one_line(200) = ""
    seal_id: one_line(100) = ""
    note: long_text(5000) = ""


class AnalysisIn(Input):
    laboratory: one_line(200, 1)
    designated: bool
    method: one_line(300) = ""
    result: long_text(20_000) = ""
    report_ref: one_line(200) = ""
    analysed_on: Day | None = None


class Withdrawal(Input):
    reason: long_text(5000, 1)


# --- findings, responses, messages, evaluation -------------------------------------------------

class FindingIn(Input):
    kind: Literal[FINDING_KINDS]
    conclusion: one_line(32, 1)
    rationale: long_text(20_000, 1)
    cited: list[Id] = Field(default_factory=list, max_length=500)
    agent: Literal[AGENTS] | Literal[""] = ""
    responsible_party: one_line(300) = ""
    party_type: Literal[PARTY_TYPES] | Literal[""] = ""
    standard_of_proof: Literal[STANDARDS_OF_PROOF] | Literal[""] = ""
    #: The investigating or attributing body, as the body register knows it ("OPCW FFM").
    body: one_line(300) = ""


class Finding(Output):
    id: int
    kind: str
    conclusion: str
    agent: str
    responsible_party: str
    party_type: str
    standard_of_proof: str
    #: The body register's name of the investigating or attributing body ("" if none is named).
    body: str
    rationale: str
    author: str
    recorded_at: Utc
    cited: list[int]


class Milestone(Output):
    id: int
    description: str
    due_on: date
    done_on: date | None
    note: str


class ResponseIn(Input):
    level: Literal[LEVELS]
    tool: Literal[TOOLS]
    actor: one_line(300, 1)
    description: long_text(20_000, 1)
    legally_binding: bool = False
    legal_basis: one_line(300) = ""
    strategies: list[Literal[STRATEGIES]] = Field(default_factory=list, max_length=len(STRATEGIES))
    target: one_line(300) = ""
    catalog_key: one_line(64) = ""
    #: Actors from the actor register (a coalition: several), by a name they are known by.
    actors: list[one_line(300, 1)] = Field(default_factory=list, max_length=500)
    instruments: list[one_line(300, 1)] = Field(default_factory=list, max_length=100)
    forum: one_line(300) = ""
    factors: list[Literal[FACTORS]] = Field(default_factory=list, max_length=len(FACTORS))


class ResponseOut(Output):
    id: int
    level: str
    tool: str
    actor: str
    description: str
    legally_binding: bool
    legal_basis: str
    strategies: list[str]
    target: str
    status: str
    decided_on: date | None
    catalog_key: str
    actors: list[str]
    instruments: list[str]
    forum: str | None
    factors: list[str]
    #: For a blocked response: who blocked it, in which forum, and why.
    blocked_by: str | None
    blocked_in: str | None
    blocked_why: str | None
    milestones: list[Milestone]


class StatusChange(Input):
    status: Literal[RESPONSE_STATUSES]
    reason: long_text(5000, 1)
    decided_on: Day | None = None
    legally_binding: bool | None = None
    #: Blocking names who blocked it (actor register) and, if not the response's, the forum.
    blocked_by: one_line(300) = ""
    blocked_in: one_line(300) = ""


class MilestoneIn(Input):
    description: long_text(5000, 1)
    due_on: Day
    note: long_text(5000) = ""


class MilestoneUpdate(Input):
    done_on: Day | None = None
    note: long_text(5000) = ""


class MessageIn(Input):
    said_on: Day
    audience: one_line(300, 1)
    speaker: one_line(200, 1)
    summary: long_text(20_000, 1)
    channel: one_line(200) = ""


class Message(Output):
    id: int
    stage: str
    said_on: date
    audience: str
    channel: str
    speaker: str
    summary: str
    recorded_at: Utc


Rating = Literal[RATINGS]
Pressure = Literal[PRESSURE_RATINGS]


class EvaluationIn(Input):
    """The four restraint factors and the four erosion pressures rated with their rationale,
    repeat use, and what comes next."""

    taboo: Rating
    taboo_rationale: long_text(10_000, 1)
    norms: Rating
    norms_rationale: long_text(10_000, 1)
    lack_of_benefit: Rating
    lack_of_benefit_rationale: long_text(10_000, 1)
    deterrence: Rating
    deterrence_rationale: long_text(10_000, 1)
    repeated_violation: Pressure
    repeated_violation_rationale: long_text(10_000, 1)
    perceived_utility: Pressure
    perceived_utility_rationale: long_text(10_000, 1)
    ease_of_access: Pressure
    ease_of_access_rationale: long_text(10_000, 1)
    diminished_attention: Pressure
    diminished_attention_rationale: long_text(10_000, 1)
    repeat_use: Literal[REPEAT_USE]
    recommendation: Literal[RECOMMENDATIONS]
    lessons: long_text(20_000) = ""
    outcome: one_line(64) = ""


class PressureRating(Output):
    pressure: str
    rating: str
    rationale: str


class Evaluation(Output):
    id: int
    taboo: str
    taboo_rationale: str
    norms: str
    norms_rationale: str
    lack_of_benefit: str
    lack_of_benefit_rationale: str
    deterrence: str
    deterrence_rationale: str
    #: The erosion pressures rated (none on evaluations recorded before they were).
    pressures: list[PressureRating]
    repeat_use: str
    recommendation: str
    lessons: str
    outcome: str
    recorded_at: Utc


# --- tasks ---------------------------------------------------------------------------------------

class Task(Output):
    id: int
    case_id: int
    case_reference: str
    stage: str
    title: str
    description: str
    required: bool
    role: str
    assignee: str | None
    status: str
    due_on: date | None
    note: str


class TaskList(Output):
    items: list[Task]


class TaskPage(Output):
    items: list[Task]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page (also in the Link header).")


class GateRequestList(Output):
    items: list[GateRequestOut]


class EvidenceList(Output):
    items: list[Evidence]


class FindingList(Output):
    items: list[Finding] = Field(description="The finding in force of each kind.")


class ResponseList(Output):
    items: list[ResponseOut]


class MessageList(Output):
    items: list[Message]


class Assignment(Input):
    user_id: Id


class Completion(Input):
    note: long_text(5000) = ""


# --- audit, dashboard, the token itself -------------------------------------------------------

class AuditEvent(Output):
    seq: int
    at: Utc
    actor_id: int | None
    actor_username: str | None
    actor_roles: list[str]
    case_id: int | None
    event_type: str
    entity_type: str | None
    entity_id: str | None
    from_state: str | None
    to_state: str | None
    details: dict[str, Any]
    hash: str
    prev_hash: str


class AuditPage(Output):
    items: list[AuditEvent]
    next_before: int | None = Field(description="Pass as `before` for older events (also in the Link header).")


class Checkpoint(Output):
    """The latest signed checkpoint of the log (a C2SP signed note)."""

    seq: int
    root: str | None
    head: str
    at: str = Field(description="When it was signed (UTC).")
    note: str


class Dashboard(Output):
    funnel: dict[str, int]
    stalled: list[dict[str, Any]]
    rejections: list[dict[str, Any]]
    durations: dict[str, dict[str, float]]
    coverage: list[dict[str, Any]]
    attributed: int
    binding: int
    repeat_use: list[dict[str, Any]]


class Me(Output):
    """Who the token acts as, with which roles and scopes, until when."""

    user_id: int
    username: str
    roles: list[Literal[ROLES]]
    token_name: str
    token_prefix: str
    scopes: list[str]
    expires_at: Utc


# --- query parameters (text in the URL: numbers are read from it) -----------------------------

class CaseQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    stage: Literal[STAGES] | None = None
    country: one_line(100) | None = None
    agent: Literal[AGENTS] | None = None
    year: Annotated[int, Field(ge=1900, le=9999)] | None = None
    q: one_line(200) | None = Field(None, description="Words in the title, reference, place or summary.")
    cursor: Annotated[str, Field(max_length=64, pattern=r"^[A-Za-z0-9_-]+={0,2}$")] | None = None
    limit: Annotated[int, Field(ge=1, le=100)] = 50


class TaskQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cursor: Annotated[str, Field(max_length=64, pattern=r"^[A-Za-z0-9_-]+={0,2}$")] | None = None
    limit: Annotated[int, Field(ge=1, le=100)] = 50


class AuditQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    case: Id | None = None
    actor: one_line(64) | None = None
    type: one_line(64) | None = None
    since: Moment | None = Field(None, alias="from")
    until: Moment | None = Field(None, alias="to")
    before: Annotated[int, Field(ge=1, le=2**63 - 1)] | None = None
    limit: Annotated[int, Field(ge=1, le=100)] = 100


class DashboardQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    year: Annotated[int, Field(ge=1900, le=9999)] | None = None
    country: one_line(100) | None = None
    stall_days: Annotated[int, Field(ge=1, le=36500)] = 90
