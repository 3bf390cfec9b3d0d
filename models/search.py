"""The search index: one row per searchable record, full text by SQLite FTS5 or PostgreSQL.

`terms` holds the record's words already normalised (workflow/search.py): each engine only
splits it on spaces. Each engine keeps its own index of it, made by the migration (and by the
DDL below for a database built from the models), not modelled as tables or columns:

- SQLite: an FTS5 table over `terms` (external content: the words are kept once, here), kept
  in step by triggers;
- PostgreSQL: a stored generated column `document`, `to_tsvector('simple', terms)`, with a GIN
  index (the `simple` configuration stems nothing and drops no stop words, so Arabic and
  English are indexed alike).
"""
from __future__ import annotations

from sqlalchemy import DDL, ForeignKey, Index, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base

#: The FTS5 table and the shadow tables SQLite keeps for it; not modelled as tables.
FTS_TABLE = "search_text"
FTS_TABLES = frozenset({FTS_TABLE, *(f"{FTS_TABLE}_{part}" for part in ("data", "idx", "docsize", "config",
                                                                         "content"))})
#: PostgreSQL's column and its index.
DOCUMENT = "document"
POSTGRESQL_INDEX = "ix_search_entries_document"
POSTGRESQL_STATEMENTS = [
    f"ALTER TABLE search_entries ADD COLUMN {DOCUMENT} tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, terms)) STORED",
    f"CREATE INDEX {POSTGRESQL_INDEX} ON search_entries USING gin ({DOCUMENT})",
]


class SearchEntry(Base):
    """A case, evidence item, finding, response or message as the search finds it."""

    __tablename__ = "search_entries"
    __table_args__ = (
        UniqueConstraint("record_type", "record_id"),
        Index("ix_search_entries_case_id", "case_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The kind of record, as workflow/search.py declares it: case, evidence, finding, …
    record_type: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[int]
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    #: What the results call the record (an evidence item's title, a response's actor, …).
    label: Mapped[str] = mapped_column(String(300), default="")
    #: The searched fields as written, one per line: the snippets are cut from it.
    body: Mapped[str] = mapped_column(Text, default="")
    #: The words of `body` (and of the label), normalised, space-separated: what is indexed.
    terms: Mapped[str] = mapped_column(Text, default="")


def sqlite_statements() -> list[str]:
    """The FTS5 table over `terms` and the triggers that keep it with search_entries."""
    table = FTS_TABLE
    delete = f"INSERT INTO {table} ({table}, rowid, terms) VALUES ('delete', old.id, old.terms);"
    insert = f"INSERT INTO {table} (rowid, terms) VALUES (new.id, new.terms);"
    return [
        # detail=none: matching words (and word prefixes) is all the search asks, never phrases.
        f"CREATE VIRTUAL TABLE {table} USING fts5(terms, content='search_entries', "
        f"content_rowid='id', tokenize='unicode61 remove_diacritics 0', detail=none)",
        f"CREATE TRIGGER search_entries_indexed AFTER INSERT ON search_entries BEGIN {insert} END",
        f"CREATE TRIGGER search_entries_unindexed AFTER DELETE ON search_entries BEGIN {delete} END",
        f"CREATE TRIGGER search_entries_reindexed AFTER UPDATE OF terms ON search_entries "
        f"BEGIN {delete} {insert} END",
    ]


def drop_sqlite_statements() -> list[str]:
    return [*(f"DROP TRIGGER IF EXISTS search_entries_{name}"
              for name in ("indexed", "unindexed", "reindexed")),
            f"DROP TABLE IF EXISTS {FTS_TABLE}"]


def modelled(name: str | None, type_: str, _parent_names) -> bool:
    """Alembic's include_name: the FTS tables, PostgreSQL's column and its index are the
    engines' own, made by the migration and the DDL below."""
    return not (type_ == "table" and name in FTS_TABLES or type_ == "index" and name == POSTGRESQL_INDEX
                or type_ == "column" and name == DOCUMENT)


for _statement in sqlite_statements():
    event.listen(SearchEntry.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in POSTGRESQL_STATEMENTS:
    event.listen(SearchEntry.__table__, "after_create", DDL(_statement).execute_if(dialect="postgresql"))
for _statement in drop_sqlite_statements():
    event.listen(SearchEntry.__table__, "before_drop", DDL(_statement).execute_if(dialect="sqlite"))
