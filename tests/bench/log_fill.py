"""Filling a benchmark's audit log fast: prebuilt chained rows with their rows of the Merkle tree."""
from __future__ import annotations

from sqlalchemy import insert

from models.audit import AuditEvent
from models.database import Database
from workflow import merkle, transparency


def store(database: Database, rows: list[dict], frontier: merkle.Frontier) -> None:
    """Insert chained event rows (from `event_row`) and their tree rows in one transaction."""
    with database.transaction() as session:
        session.execute(insert(AuditEvent), rows)
        transparency.insert_tree_rows(session, transparency.tree_rows(
            frontier, rows[0]["seq"], [row["hash"] for row in rows]))
