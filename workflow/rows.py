"""Writing loaded rows with Core statements instead of the unit of work.

The gate commands run on every approval; there the ORM's flush (its bookkeeping, not its
SQL) cost more than all their statements together. These write one row by primary key with
a statement built once per table, and leave the object in the session as if flushed, so
the flush at commit has nothing to do.
"""
from __future__ import annotations

from functools import cache

from sqlalchemy import bindparam, inspect
from sqlalchemy.orm import Mapper, Session, make_transient_to_detached


@cache
def _statements(mapper: Mapper) -> tuple:
    """The UPDATE by primary key and the INSERT returning it, of the mapper's table."""
    (key,) = mapper.primary_key
    table = mapper.local_table
    return key, table.update().where(key == bindparam("row_key")), table.insert().returning(key)


def save(session: Session, obj) -> None:
    """UPDATE the columns of `obj` changed since it was loaded, and keep them as committed."""
    state = inspect(obj)
    unmodified = state.unmodified
    changed = {key: getattr(obj, key) for key in state.mapper.column_attrs.keys()
               if key not in unmodified}
    if not changed:
        return
    _key, update, _insert = _statements(state.mapper)
    session.connection().execute(update, {"row_key": state.identity[0], **changed})
    # The values written are the row's now: nothing pending, as after a flush.
    state._commit_all(state.dict, session.identity_map)


def add(session: Session, obj):
    """INSERT `obj` (a new object with every column but its key set) and attach it to the
    session as a loaded row; returns it."""
    mapper = inspect(obj).mapper
    key, _update, insert = _statements(mapper)
    values = {name: getattr(obj, name) for name in mapper.column_attrs.keys() if name != key.key}
    setattr(obj, key.key, session.connection().execute(insert, values).scalar_one())
    make_transient_to_detached(obj)
    session.add(obj)
    return obj
