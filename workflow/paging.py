"""Pages of long lists that cost the same at any depth, and bounded links between them.

Keyset pages continue from the row the last page ended with, (sort value, id), through an
index on those two columns: no OFFSET that reads and drops every row before the page. The
order is the database's own for the column, NULLs included (last in PostgreSQL's ascending
order, first in SQLite's), so the index serves it as it is.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, or_, tuple_
from sqlalchemy.orm import Session


def order(column, tie, descending: bool) -> list:
    """The sort, then the id breaking ties, in the same direction."""
    return [column.desc(), tie.desc()] if descending else [column.asc(), tie.asc()]


def _nulls_last(dialect: str, descending: bool) -> bool:
    """Where the database's own order puts NULLs: PostgreSQL holds them largest, SQLite smallest."""
    return (dialect == "postgresql") != descending


def beyond(session: Session, column, tie, value, tie_value, descending: bool):
    """The rows after (value, tie_value) in `order(column, tie, descending)`."""
    past = (lambda a, b: a < b) if descending else (lambda a, b: a > b)
    # A column that holds no NULL is not asked for them: the OR would keep the index unsought.
    nulls_last = column.expression.nullable and _nulls_last(session.get_bind().dialect.name, descending)
    if value is None:
        among_nulls = and_(column.is_(None), past(tie, tie_value))
        return among_nulls if nulls_last else or_(among_nulls, column.is_not(None))
    # One comparison of rows, (sort value, id): the index is sought at the cursor, where
    # "value after, or value equal and id after" is read from the index's start.
    after = past(tuple_(column, tie), tuple_(value, tie_value))
    return or_(after, column.is_(None)) if nulls_last else after


@dataclass(frozen=True)
class Window:
    """Numbered pages of a list whose length is known up to a cap: the current page and a
    few links either side, never one link per page."""

    page: int
    #: The pages there are, as far as the count went (see queries.Total).
    pages: int
    #: Whether there are more pages than `pages` says.
    more: bool = False
    reach: int = 2

    @property
    def links(self) -> list[int]:
        return list(range(max(1, self.page - self.reach), min(self.pages, self.page + self.reach) + 1))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages or self.more


def numbered(page: int, total: int, size: int) -> Window:
    """The window of a list of `total` rows, `size` a page, at `page` (kept within the pages)."""
    pages = max(1, -(-total // size))
    return Window(page=min(max(1, page), pages), pages=pages)


def slice_of(rows: list, page: int, size: int) -> tuple[list, Window]:
    """One page of a list already read whole (for other uses of the same page), and its window."""
    window = numbered(page, len(rows), size)
    return rows[(window.page - 1) * size:window.page * size], window


@dataclass(frozen=True)
class Steps:
    """Where the keyset pages either side of a newest-first page start: pass `newer` as
    `after`, `older` as `before` (None where there is no such page)."""

    newer: int | None = None
    older: int | None = None


def newest_first(rows: list, key, limit: int, before: int | None, after: int | None) -> tuple[list, Steps]:
    """A page of a newest-first list from `limit` + 1 rows read past its cursor: descending
    below `before` (or from the top), or ascending above `after` (the page before)."""
    more, rows = len(rows) > limit, list(rows[:limit])
    if after is not None:  # read upwards from the cursor: put newest first again
        rows.reverse()
        return rows, Steps(newer=key(rows[0]) if more and rows else None,
                           older=key(rows[-1]) if rows else None)
    return rows, Steps(newer=key(rows[0]) if before is not None and rows else None,
                       older=key(rows[-1]) if more else None)
