"""What a record's page shows of its history: the reasons given for its changes."""
from __future__ import annotations

from views import db
from workflow import queries


def template_helpers() -> dict:
    """`record_events(case, entity_type, entity_id)`: the record's audit events, oldest first."""
    def record_events(case, entity_type: str, entity_id) -> list:
        return queries.record_events(db.session(), case.id, entity_type, entity_id)
    return {"record_events": record_events}
