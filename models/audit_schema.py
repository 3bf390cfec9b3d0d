"""What the migrations share about the append-only tables (the audit log's, and notes): their
triggers, and the loss guard of the audit tables."""
from __future__ import annotations

import os

from sqlalchemy import text

#: Every table of the audit log; none is ever updated, deleted from or emptied.
AUDIT_TABLES = ("audit_events", "audit_tree", "audit_checkpoints", "audit_cosignatures",
                "audit_verifications")
#: Notes on cases: never changed or removed either (a correction is a new note).
NOTE_TABLES = ("comments",)
#: Every table whose triggers refuse UPDATE and DELETE.
APPEND_ONLY_TABLES = (*AUDIT_TABLES, *NOTE_TABLES)
ALLOW_LOSS = "RESTRAINT_ALLOW_AUDIT_LOSS"


class AuditLossRefused(RuntimeError):
    """A downgrade would drop or empty an audit table that holds rows."""


def refuse_audit_loss(connection, *tables: str, where: str = "TRUE") -> None:
    """Stop a downgrade before it drops or empties a non-empty audit table, unless allowed.

    `where` narrows the rows that would be lost (a dropped column loses only its rows).
    """
    if os.environ.get(ALLOW_LOSS) == "1":
        return
    for table in tables:
        count = connection.execute(text(f"SELECT count(*) FROM {table} WHERE {where}")).scalar()
        if count:
            raise AuditLossRefused(
                f"refusing to downgrade: {table} holds {count} rows that would be lost "
                f"(set {ALLOW_LOSS}=1 to allow it)")


#: One function for every audit table's triggers, naming the table it refused.
POSTGRESQL_FUNCTION = (
    "CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$")


def append_only(dialect: str, table: str) -> list[str]:
    """The statements that make `table` refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL)."""
    if dialect == "postgresql":
        return [
            f"CREATE TRIGGER {table}_no_update_delete BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()",
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()",
        ]
    return [f"CREATE TRIGGER {table}_no_{verb} BEFORE {verb.upper()} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
            for verb in ("update", "delete")]


def drop_append_only(dialect: str, table: str) -> list[str]:
    """Undo `append_only`."""
    if dialect == "postgresql":
        return [f"DROP TRIGGER IF EXISTS {table}_{name} ON {table}"
                for name in ("no_update_delete", "no_truncate")]
    return [f"DROP TRIGGER IF EXISTS {table}_no_{verb}" for verb in ("update", "delete")]
