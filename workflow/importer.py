"""Importing incidents: the project's CSV format and the Syrian Archive's JSON list.

Every row is checked first, with the rules the case forms use. By default one bad row stops
the whole import; with skip_invalid the good rows go in and the bad ones come back with
their reasons. Rows whose source id is in the database already are counted, not imported
again. The import is one transaction: all of it lands, or none.
"""
from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.case import AGENTS, Case
from models.finding import CONCLUSIONS, PARTY_TYPES, STANDARDS_OF_PROOF
from workflow import cases, clock, evidence, import_names, responses, reviews
from workflow.audit import Actor
from workflow.errors import Invalid
from workflow.fields import one_of
from workflow.menu import LEVELS, STATUSES, TOOLS
from workflow.pathway import CLOSED, REPORTED, STAGES
from workflow.command import ANY_VERSION
from workflow.words import _

MAX_BYTES = 20 * 1024 * 1024
#: The project's own CSV format: one incident a row (see the README).
CASE_COLUMNS = ("source_id", "title", "occurred_on", "occurred_precision", "country", "place",
                "latitude", "longitude", "suspected_agent", "delivery_means", "deaths", "injured",
                "summary", "targeted")
#: Optional, per stage after the first: the day the record places the case in it (an
#: investigation opened, a report of the FFM, the JIM or the IIT, a decision; see the README).
STAGE_DATES = {stage: f"{stage}_on" for stage in STAGES[1:]}
#: Optional: the documented history that places a case at a later stage (see the README).
HISTORY_COLUMNS = ("stage", "outcome", "investigating_body", "use_determination", "agent_found",
                   "responsible_party", "party_type", "standard_of_proof", "attributing_body",
                   "responses", *STAGE_DATES.values())
CSV_COLUMNS = CASE_COLUMNS + HISTORY_COLUMNS
REQUIRED_COLUMNS = ("source_id", "title")
AGENT_WORDS = {"chlorine": "chlorine", "sarin": "sarin", "mustard": "sulfur_mustard", "vx": "vx",
               "novichok": "novichok"}
#: Syrian Archive confidence (0–3) as the credibility of the information (admiralty 1–6).
CONFIDENCE_GRADE = {3: "2", 2: "3", 1: "4", 0: "6"}


class ImportRefused(Exception):
    """The file as a whole cannot be read (empty, not UTF-8, wrong header, too large)."""


@dataclass
class Row:
    where: str
    source_id: str
    fields: dict
    source: dict | None = None
    history: dict | None = None
    #: The case columns the file has (None: every one), which a later import compares.
    columns: tuple | None = None


@dataclass
class Rejected:
    where: str
    source_id: str
    reason: str


@dataclass
class Plan:
    rows: list[Row] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    duplicates: list[Row] = field(default_factory=list)
    #: (register, name) of each unknown name the import proposes as a new entry
    proposed: list[tuple[str, str]] = field(default_factory=list)

    @property
    def read(self) -> int:
        return len(self.rows) + len(self.rejected) + len(self.duplicates)


#: Control characters refused anywhere in an imported file (tab and line ends are fine).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
#: A row or a record that cannot be read as the format says (a wrong type of value).
_UNREADABLE = (TypeError, ValueError, AttributeError, KeyError, ArithmeticError)


def _text(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise ImportRefused(_("the file is %(size)s MB; imports take up to %(limit)s MB: split it",
                              size=f"{len(data) / 1e6:.0f}", limit=MAX_BYTES // (1024 * 1024)))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportRefused(_("the file is not UTF-8 text (byte %(byte)s is not)", byte=error.start)) from None
    if not text.strip():
        raise ImportRefused(_("the file is empty"))
    bad = _CONTROL.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        if bad.group() == "\x00":
            raise ImportRefused(_("line %(line)s contains a NUL character: remove it and import again", line=line))
        raise ImportRefused(_("line %(line)s contains the control character %(character)s: remove it and "
                              "import again", line=line, character=f"U+{ord(bad.group()):04X}"))
    return text


def _check(fields: dict) -> dict:
    """The fields as the case forms would accept them; Invalid names the first bad one."""
    checked = {}
    for name, value in fields.items():
        _no_control(name, value)
        checked[name] = cases.clean_field(name, value)
    return checked


def _no_control(name: str, value) -> None:
    """Refuse control characters that arrived escaped (JSON's \\u0000, say)."""
    if isinstance(value, str) and _CONTROL.search(value):
        raise Invalid(_("%(field)s: contains a control character", field=name), name)


def _date(value: str, name: str = "occurred_on") -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Invalid(_("date: %(value)s is not a date (YYYY-MM-DD)", value=repr(value)), name) from None


def _count(value: str, name: str) -> int | None:
    if value in ("", None):
        return None
    if not (value.strip().isascii() and value.strip().isdigit()):
        raise Invalid(_("%(field)s: %(value)s is not a whole number", field=name, value=repr(value)), name)
    return int(value)


def _history(values: dict) -> dict | None:
    """The history columns of a CSV row, checked; None when the row has none."""
    history = {name: (values.pop(name, "") or "").strip() for name in HISTORY_COLUMNS}
    if not any(history.values()):
        return None
    stage = history["stage"] or REPORTED
    one_of(stage, "stage", STAGES)
    if stage == CLOSED and not history["outcome"]:
        raise Invalid(_("outcome: a closed history needs its outcome"), "outcome")
    if history["use_determination"]:
        one_of(history["use_determination"], "use_determination", CONCLUSIONS["use_determination"])
    if history["agent_found"]:
        one_of(history["agent_found"], "agent_found", AGENTS)
    if history["responsible_party"]:
        one_of(history["party_type"], "party_type", PARTY_TYPES)
        one_of(history["standard_of_proof"] or "reasonable_grounds", "standard_of_proof",
               STANDARDS_OF_PROOF)
    history["responses"] = [_response(part) for part in history["responses"].split(";") if part.strip()]
    history["stage"] = stage
    history["dates"] = _stage_dates(history, stage)
    return history


def _stage_dates(history: dict, target: str) -> dict[str, date]:
    """The dated stages of a history, checked: none past the stage reached, none in the future,
    each on or after the one before."""
    dates = {}
    for stage, column in STAGE_DATES.items():
        on = _date(history.pop(column), column)
        if on is None:
            continue
        if STAGES.index(stage) > STAGES.index(target):
            raise Invalid(_("%(column)s: the history stops at %(target)s, so it has no date for %(stage)s",
                            column=column, target=target, stage=stage), column)
        if on > clock.today():
            raise Invalid(_("%(column)s: %(date)s is in the future", column=column, date=on.isoformat()), column)
        earlier = next((f"{STAGE_DATES[before]} ({dates[before].isoformat()})"
                        for before in reversed(list(dates)) if dates[before] > on), None)
        if earlier:
            raise Invalid(_("%(column)s: %(date)s is before %(earlier)s: the stages are dated in the order "
                            "of the pathway", column=column, date=on.isoformat(), earlier=earlier), column)
        dates[stage] = on
    return dates


def moves(occurred_on: date | None, history: dict) -> list[list] | None:
    """The stages an imported case passed, each with its documented day (None when the record
    does not date it), from reported to the stage reached; None when nothing is dated. A closed
    case closes from its last dated stage: the record does not say it passed the ones between."""
    dates = history["dates"]
    if not dates:
        return None
    path = list(STAGES[:STAGES.index(history["stage"]) + 1])
    if history["stage"] == CLOSED:
        last = max((STAGES.index(stage) for stage in dates if stage != CLOSED), default=0)
        path = path[:last + 1] + [CLOSED]
    on = {REPORTED: occurred_on, **dates}
    return [[stage, on[stage].isoformat() if on.get(stage) else None] for stage in path]


def _response(text: str) -> dict:
    """level|tool|actor|description|year|status, one response of the history; a blocked one
    may go on with |blocked_by|forum (who blocked it, and where)."""
    parts = [part.strip() for part in text.split("|")]
    if len(parts) not in (6, 8):
        raise Invalid(_("responses: %(value)s is not level|tool|actor|description|year|status "
                        "(and, if blocked, |blocked_by|forum)", value=repr(text.strip()[:60])), "responses")
    level, tool, actor, description, year, status = parts[:6]
    blocked_by, blocked_in = parts[6:] or ("", "")
    if year and not (year.isdigit() and len(year) == 4):
        raise Invalid(_("responses: %(value)s is not a year", value=repr(year)), "responses")
    if (blocked_by or blocked_in) and status != "blocked":
        raise Invalid(_("responses: %(value)s names who blocked a response that is %(status)s",
                        value=repr(description[:60]), status=status), "responses")
    return {"level": one_of(level, "responses", LEVELS), "tool": one_of(tool, "responses", TOOLS),
            "actor_name": actor, "description": description,
            "decided_on": date(int(year), 1, 1) if year else None,
            "status": one_of(status, "responses", STATUSES),
            # Legal acts and sanctions bind once adopted; the rest are political choices.
            "legally_binding": tool in ("legal", "economic") and status in ("adopted", "implemented"),
            "blocked_by": blocked_by, "blocked_in": blocked_in}


def _plan(records: Iterable[tuple[str, str, Callable[[], tuple]]]) -> Plan:
    plan, seen = Plan(), {}
    for where, source_id, build in records:
        if not source_id:
            plan.rejected.append(Rejected(where, "", _("no source id")))
            continue
        if source_id in seen:
            plan.rejected.append(Rejected(where, source_id, _("duplicate source id (also %(where)s)",
                                                                where=seen[source_id])))
            continue
        seen[source_id] = where
        try:
            fields, source, *rest = build()
            for name, value in (source or {}).items():
                _no_control(name, value)
            plan.rows.append(Row(where, source_id, _check(fields), source, *rest))
        except Invalid as error:
            plan.rejected.append(Rejected(where, source_id, error.args[0]))
        except _UNREADABLE as error:
            plan.rejected.append(Rejected(where, source_id, _("unreadable: %(error)s", error=type(error).__name__)))
    return plan


def read_csv(data: bytes) -> Plan:
    """Rows of the project's CSV format."""
    reader = csv.DictReader(io.StringIO(_text(data), newline=""), restkey=_EXTRA)
    try:
        header = reader.fieldnames or []
        missing = [c for c in REQUIRED_COLUMNS if c not in header]
        unknown = [c for c in header if c not in CSV_COLUMNS]
        if missing or unknown:
            shown = ", ".join(name[:40] for name in unknown[:5])
            if len(unknown) > 5:
                shown = _("%(names)s and %(count)s more", names=shown, count=len(unknown) - 5)
            columns = ", ".join(CSV_COLUMNS)
            if missing and unknown:
                raise ImportRefused(_("wrong header: missing %(missing)s; unknown %(unknown)s (columns: "
                                      "%(columns)s)", missing=", ".join(missing), unknown=shown,
                                      columns=columns))
            if missing:
                raise ImportRefused(_("wrong header: missing %(missing)s (columns: %(columns)s)",
                                      missing=", ".join(missing), columns=columns))
            raise ImportRefused(_("wrong header: unknown %(unknown)s (columns: %(columns)s)",
                                  unknown=shown, columns=columns))
        return _plan((_("line %(line)s", line=reader.line_num), str(record.get("source_id") or "").strip(),
                      _csv_row(record, len(header))) for record in reader)
    except csv.Error as error:
        raise ImportRefused(_("line %(line)s: %(error)s", line=reader.line_num, error=str(error))) from None


#: Where DictReader puts the values of a row beyond its header's columns.
_EXTRA = object()


def _csv_row(record: dict, columns: int) -> Callable[[], tuple[dict, None, dict | None, tuple]]:
    def fields() -> tuple[dict, None, dict | None, tuple]:
        if _EXTRA in record:
            raise Invalid(_("%(values)s values, but the header has %(columns)s columns",
                                values=columns + len(record[_EXTRA]), columns=columns))
        values = {k: (v or "") for k, v in record.items() if k in CSV_COLUMNS and k != "source_id"}
        history = _history(values)
        values["occurred_on"] = _date(values.get("occurred_on", ""))
        if history and values["occurred_on"] and history["dates"]:
            stage, first = min(history["dates"].items(), key=lambda item: item[1])
            if first < values["occurred_on"]:
                raise Invalid(_("%(column)s: %(date)s is before the incident (%(occurred)s)",
                                column=STAGE_DATES[stage], date=first.isoformat(),
                                occurred=values["occurred_on"].isoformat()), STAGE_DATES[stage])
        for name in ("deaths", "injured"):
            values[name] = _count(values.get(name, ""), name)
        values.setdefault("occurred_precision", "day")
        values["occurred_precision"] = values["occurred_precision"] or "day"
        values["suspected_agent"] = values.get("suspected_agent") or "unknown"
        values["targeted"] = values.get("targeted") or "unknown"
        return values, None, history, tuple(name for name in CASE_COLUMNS if name in record)
    return fields


def _agent(weapons: str) -> str:
    weapons = weapons.lower()
    return next((agent for word, agent in AGENT_WORDS.items() if word in weapons), "unknown")


def read_syrian_archive(data: bytes) -> Plan:
    """Records of the Syrian Archive's incidents list (JSON)."""
    try:
        records = json.loads(_text(data))
    except json.JSONDecodeError as error:
        raise ImportRefused(_("not JSON: %(error)s at line %(line)s", error=error.msg, line=error.lineno)) from None
    except RecursionError:
        raise ImportRefused(_("not an incident list: the JSON is nested too deep")) from None
    if not isinstance(records, list):
        raise ImportRefused(_("expected a JSON list of incident records"))

    def build(record: dict) -> Callable[[], tuple[dict, dict]]:
        def fields() -> tuple[dict, dict]:
            if not isinstance(record, dict):
                raise Invalid(_("not an incident record"))
            title = (record.get("title_en") or record.get("fr_title") or record.get("title_ar")
                     or f"Incident {record['incident_code']}")
            weapons = " ".join(str(record.get(k, "")) for k in ("weapons_used.0", "weapons_used.1"))
            summaries = [s for s in (record.get("summary_en"), record.get("summary_ar")) if s]
            values = {
                "title": title[:200], "occurred_on": _date(record.get("incident_date") or ""),
                "country": "SY", "place": (record.get("location") or "")[:200],
                "latitude": record.get("latitude") if record.get("latitude") != "" else None,
                "longitude": record.get("longitude") if record.get("longitude") != "" else None,
                "suspected_agent": _agent(weapons), "summary": "\n\n".join(summaries),
            }
            # Its collections say when an attack was aimed at civilians.
            collections = " ".join(str(record.get(f"collections.{n}", "")) for n in range(4)).lower()
            if "attacks against civilians" in collections:
                values["targeted"] = "civilians"
            confidence = record.get("confidence")
            source = {"title": f"Syrian Archive record {record['incident_code']}",
                      "description": f"Weapons: {weapons.strip() or 'not stated'}. Confidence score: {confidence}.",
                      "information_grade": CONFIDENCE_GRADE.get(confidence, "6")}
            return values, source
        return fields

    return _plan((_("record %(number)s", number=n), f"syrian-archive:{r.get('incident_code', '')}" if isinstance(r, dict)
                  and r.get("incident_code") else "", build(r))
                 for n, r in enumerate(records, start=1))


def split_known(session: Session, plan: Plan) -> Plan:
    """Move rows whose source id is in the database already to `duplicates`."""
    ids = [row.source_id for row in plan.rows]
    known = set()
    for start in range(0, len(ids), 500):
        known.update(session.scalars(select(Case.source_id).where(Case.source_id.in_(ids[start:start + 500]))))
    plan.duplicates = [row for row in plan.rows if row.source_id in known]
    plan.rows = [row for row in plan.rows if row.source_id not in known]
    return plan


def check_names(session: Session, plan: Plan, propose_new: bool = False) -> Plan:
    """Refuse the new rows that name a party or an actor no register entry is known by (the row
    and the name said); with `propose_new` keep them, listing the names to be proposed."""
    known, kept = import_names.Known(session), []
    for row in plan.rows:
        names = import_names.unknown(row.history, known)
        if names and not propose_new:
            plan.rejected.append(Rejected(row.where, row.source_id, import_names.refusal(names)))
            continue
        plan.proposed += [(register, name) for _line, register, name in names
                          if (register, name) not in plan.proposed]
        kept.append(row)
    plan.rows = kept
    return plan


def import_rows(session: Session, rows: Iterable[Row], actor: Actor) -> int:
    """Open each row's case through the service (with its audit event) and record its source
    and its documented history."""
    count = 0
    for row in rows:
        case = cases.open_case(session, actor, source_id=row.source_id, **row.fields)
        if row.source:
            evidence.add_evidence(session, actor, case.id, expected_version=ANY_VERSION,
                                  kind="open_source_media",
                                  source="Syrian Archive (syrianarchive.org)", source_grade="B",
                                  **row.source)
        if row.history:
            _import_history(session, case, row, actor)
        session.flush()
        # Rows are independent: a session that keeps them all only slows every later flush.
        session.expunge_all()
        count += 1
    return count


def _import_history(session: Session, case: Case, row: Row, actor: Actor) -> None:
    history = row.history
    if history["use_determination"]:
        evidence.record_finding(session, actor, case.id, expected_version=ANY_VERSION,
                                kind="use_determination", conclusion=history["use_determination"],
                                agent=history["agent_found"] or "unknown",
                                rationale=f"Imported: {history['investigating_body'] or 'the record'} found it so.")
    if history["responsible_party"]:
        evidence.record_finding(session, actor, case.id, expected_version=ANY_VERSION,
                                kind="attribution", conclusion="attributed",
                                responsible_party=history["responsible_party"],
                                party_type=history["party_type"],
                                standard_of_proof=history["standard_of_proof"] or "reasonable_grounds",
                                rationale=f"Imported: attributed by {history['attributing_body'] or 'the record'}.")
    elif history["outcome"] == "unattributed":
        evidence.record_finding(session, actor, case.id, expected_version=ANY_VERSION,
                                kind="attribution", conclusion="inconclusive",
                                rationale=f"Imported: {history['investigating_body']} could not identify those responsible.")
    for response in history["responses"]:
        # The actors as the register names them: one spelling per actor, a coalition counted.
        named = import_names.actor_entries(session, actor, response["actor_name"])
        responses.import_response(session, actor, case.id, expected_version=ANY_VERSION,
                                  **{**response, "actor_name": named})
    if history["stage"] != REPORTED:
        reviews.import_history(session, actor, case.id, expected_version=ANY_VERSION,
                               target=history["stage"], source=row.source_id,
                               outcome=history["outcome"] or None,
                               moves=moves(case.occurred_on, history))
