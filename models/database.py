"""One engine per app, sessions for reading, and write transactions that commit in one place."""
from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine, String, create_engine, event, literal_column, make_url, or_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.functions import GenericFunction

SQLITE_BUSY_TIMEOUT_SECONDS = 30
#: Pages of write-ahead log (4 KB each, so 40 MB) after which a commit copies them in.
WAL_CHECKPOINT_PAGES = 10_000
#: Execution option that makes a SQLite transaction begin IMMEDIATE (takes the write lock).
WRITE = {"restraint_write": True}


def _configure_sqlite(engine: Engine) -> None:
    """WAL, foreign keys, and BEGIN IMMEDIATE for writes (SQLAlchemy's pysqlite recipe)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy emit BEGIN itself instead of pysqlite's implicit one.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_SECONDS * 1000}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # The log is copied into the database every WAL_CHECKPOINT_PAGES written pages, by the
        # commit that passes the mark. SQLite's default (1,000 pages, 4 MB) copies the same hot
        # index pages over and over: at this size a gate command runs 8 % faster.
        cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")
        cursor.close()
        dbapi_connection.create_function("casefold", 1, _casefold, deterministic=True)

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # A writer takes the lock at BEGIN, so concurrent writers wait on the busy
        # timeout instead of failing later with "database is locked".
        write = connection.get_execution_options().get("restraint_write")
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def _casefold(text):
    return text.casefold() if isinstance(text, str) else text


class folded(GenericFunction):
    """Text with its case folded, for finding it whatever case it is written in: Python's
    casefold in SQLite, whose lower() folds only ASCII ("Émile" ≠ "émile"); lower() in
    PostgreSQL, which folds by the database's locale."""

    type = String()
    inherit_cache = True


@compiles(folded, "sqlite")
def _folded_in_sqlite(element, compiler, **kw) -> str:
    return f"casefold({compiler.process(element.clauses, **kw)})"


@compiles(folded)
def _folded(element, compiler, **kw) -> str:
    return f"lower({compiler.process(element.clauses, **kw)})"


def constant(word: str):
    """A word of the vocabulary written into the SQL rather than bound, where a partial index
    (`WHERE decision = 'pending'`) should serve: with a bound value SQLite prepares the
    statement again at every run (the case's locked read took 90 µs instead of 15), and
    PostgreSQL's generic plan cannot use the index."""
    if not re.fullmatch(r"[a-z_]+", word):
        raise ValueError(f"not a vocabulary word: {word!r}")
    return literal_column(f"'{word}'", String)


def among(column, words):
    """`column` equals one of a constant few words of the vocabulary: written out as ORs of
    constants, since an IN list is expanded afresh at every run of a statement that runs
    inside every gate command, and every bound value is processed again at every run."""
    return or_(*(column == constant(word) for word in words))


@dataclass(frozen=True)
class Pool:
    """How many connections an app process keeps, may add, and waits for (see config.py)."""

    size: int = 5
    overflow: int = 5
    timeout: int = 30

    def options(self) -> dict:
        return {"pool_size": self.size, "max_overflow": self.overflow, "pool_timeout": self.timeout}


def insert_on(dialect: str, table):
    """The INSERT of `table` in the SQL of `dialect` ("postgresql" or "sqlite"), which takes an
    ON CONFLICT clause (both write it alike; SQLAlchemy's own insert has none)."""
    return (postgresql if dialect == "postgresql" else sqlite).insert(table)


def make_engine(url: str, pool: Pool = Pool()) -> Engine:
    """Create the engine for `url`, tuned for SQLite or PostgreSQL."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        # A database in memory lives in one connection, which has no pool to size.
        options = {} if ":memory:" in url or url.rstrip("/") == "sqlite:" else pool.options()
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS}, **options)
        _configure_sqlite(engine)
        return engine
    # PostgreSQL compiles a plan whose estimated cost passes jit_above_cost to machine code first:
    # tens of milliseconds for a lookup that runs in one, whenever a join's estimate is high
    # (fresh tables, a many-row team). Every query here is short, so it never pays off.
    parsed = make_url(url)
    options = " ".join(filter(None, (parsed.query.get("options"), "-c jit=off")))
    return create_engine(parsed.difference_update_query(["options"]), pool_pre_ping=True,
                         connect_args={"options": options}, **pool.options())


class Database:
    """The engine and the session factory of one app."""

    def __init__(self, url: str, info: dict | None = None, pool: Pool = Pool()):
        self.engine = make_engine(url, pool)
        #: Copied into every session: the audit log's keys travel with the database.
        self.info = info or {}
        self.sessions = sessionmaker(self.engine, expire_on_commit=False, info=self.info)

    @property
    def is_postgresql(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A write transaction: commits when the block ends, rolls back if it raises."""
        with self.sessions() as session:
            session.connection(execution_options=WRITE)
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def dispose(self) -> None:
        self.engine.dispose()
