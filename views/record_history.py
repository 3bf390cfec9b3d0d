"""What a record's page shows of its history: the reasons given for its changes."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from views import db
from workflow import queries
from workflow.words import inline

#: The fields a correction may change, as its history names them.
FIELD_NAMES = {
    "title": _l("title"), "description": _l("description"), "kind": _l("kind"),
    "source_grade": _l("source grade"), "information_grade": _l("information grade"),
    "actor": _l("actor"), "legal_basis": _l("legal basis"), "strategies": _l("strategies"),
    "actors": _l("actors"), "instruments": _l("instruments"), "forum": _l("forum"),
    "factors": _l("factors"), "due_on": _l("due on"), "occurred_on": _l("occurred on"),
    "occurred_precision": _l("occurred precision"), "country": _l("country"), "place": _l("place"),
    "latitude": _l("latitude"), "longitude": _l("longitude"),
    "suspected_agent": _l("suspected agent"), "delivery_means": _l("delivery means"),
    "deaths": _l("deaths"), "injured": _l("injured"), "summary": _l("summary"),
}


def corrected_field(name: str):
    """A corrected field's name, in the reader's language."""
    return FIELD_NAMES.get(name) or inline(name)


def corrected_value(value) -> str:
    """A value before or after a correction, as recorded (a list: its items in a row)."""
    return ", ".join(map(str, value)) if isinstance(value, list | tuple) else value


def template_helpers() -> dict:
    """`record_events(case, entity_type, entity_id)`: the record's audit events, oldest first."""
    def record_events(case, entity_type: str, entity_id) -> list:
        return queries.record_events(db.session(), case.id, entity_type, entity_id)
    return {"record_events": record_events}
