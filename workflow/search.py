"""Search across every case's records: one declaration per kind of record, one index, two engines.

Each searchable kind of record is one `Source` in SOURCES: the fields whose words are found,
the label the results show, and whether a record is found at all (a withdrawn evidence item is
not). The index (models/search.py) is kept by mapper events on those models, so whatever writes
such a record through the ORM (a service, a correction, the importer) writes its entry in the
same flush, in the same transaction. The gate commands write cases with Core statements and
change no searched text: nothing here runs on their path.

Words are normalised here, once, for both engines: Unicode compatibility forms folded, marks
dropped (Latin accents, Arabic short vowels and shadda), case folded, Arabic letter variants
made one (alef forms, alef maqsura, teh marbuta, as Lucene's ArabicNormalizer does), tatweel
removed, every decimal digit written 0-9. An Arabic word after the definite article (ال, with
و ب ك ف before it, or لل) is indexed with and without it, so الكلور and كلور find each other.
"""
from __future__ import annotations

import operator
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, lru_cache, partial

from sqlalchemy import (bindparam, column, delete, event, extract, func, insert, inspect,
                        literal_column, select, table, update)
from sqlalchemy.orm import Session, lazyload

from models.case import Case
from models.comment import Comment
from models.evidence import EvidenceItem
from models.finding import Finding
from models.message import DeterrenceMessage
from models.response import Response
from models.search import DOCUMENT, FTS_TABLE, SearchEntry
from workflow import countries, permissions
from workflow.words import _

# --- words ------------------------------------------------------------------------------------

#: Words longer than this are not indexed (hashes, encoded data; PostgreSQL skips them too).
LONGEST_WORD = 64
_WORD = re.compile(r"[^\W_]+")
#: Alef wasla → alef, alef maqsura → yeh, teh marbuta → heh.
_ARABIC_FOLDS = {0x0671: "\u0627", 0x0649: "\u064a", 0x0629: "\u0647"}
_ARTICLES = ("وال", "بال", "كال", "فال", "لل", "ال")


@cache
def _tables() -> tuple[re.Pattern, dict]:
    """The marks to drop (and tatweel) as one pattern, and the folds of letters and digits."""
    marks, folds = ["\u0640"], dict(_ARABIC_FOLDS)
    for point in range(0x300, 0x10000):
        char = chr(point)
        category = unicodedata.category(char)
        if category[0] == "M":
            marks.append(char)
        elif category == "Nd" and not "0" <= char <= "9":
            folds[point] = str(unicodedata.decimal(char))
    return re.compile("[" + re.escape("".join(marks)) + "]"), folds


def _plain(text: str) -> str:
    marks, folds = _tables()
    return marks.sub("", unicodedata.normalize("NFKD", text)).casefold().translate(folds)


def forms(word: str) -> tuple[str, ...]:
    """A normalised word and, for an Arabic word with the article, the word without it."""
    for article in _ARTICLES:
        if word.startswith(article) and len(word) - len(article) >= 2:
            return word, word[len(article):]
    return (word,)


def words(text: str) -> list[str]:
    """The normalised words of `text`, in order."""
    return [word for word in _WORD.findall(_plain(text)) if len(word) <= LONGEST_WORD]


def terms_of(texts) -> str:
    """What the index holds for these texts: every form of every word, once, space-separated."""
    seen = dict.fromkeys(form for text in texts if text for word in words(text)
                         for form in forms(word))
    return " ".join(seen)


# --- what is searched -------------------------------------------------------------------------

def _words_of(code: str) -> str:
    return code.replace("_", " ")


@dataclass(frozen=True)
class Source:
    """One kind of searchable record."""

    #: Its name in the index and in links: case, evidence, finding, …
    kind: str
    #: Its name for people, in the filters and the results.
    name: str
    model: type
    #: The fields whose words are searched; the snippets are cut from them.
    fields: tuple[str, ...]
    #: What the results call one record.
    label: Callable = operator.attrgetter("id")
    #: Whether a record is found at all.
    keep: Callable = field(default=lambda record: True)
    #: The other columns `label` and `keep` read (a change to one re-indexes the record).
    also: tuple[str, ...] = ()
    #: The column naming the record's case.
    case_column: str = "case_id"
    #: How a field's stored value reads in the index, where it is not as stored.
    read: dict = field(default_factory=dict, hash=False)

    @property
    def watched(self) -> tuple[str, ...]:
        return self.fields + self.also

    @property
    def columns(self) -> tuple[str, ...]:
        return ("id", self.case_column, *self.watched)


#: Every kind of record the search finds, in the order a case's results list them.
SOURCES: tuple[Source, ...] = (
    Source("case", _("Case"), Case, ("reference", "title", "country", "place", "summary"),
           label=operator.attrgetter("title"), case_column="id",
           read={"country": countries.searched}),
    Source("evidence", _("Evidence"), EvidenceItem, ("title", "description", "source"),
           label=operator.attrgetter("title"), keep=lambda item: item.status == "active",
           also=("status",)),
    Source("finding", _("Finding"), Finding, ("responsible_party", "rationale"),
           label=lambda finding: f"{_words_of(finding.kind).capitalize()}: "
                                 f"{_words_of(finding.conclusion)}",
           also=("kind", "conclusion")),
    Source("response", _("Response"), Response, ("actor", "description", "legal_basis"),
           label=operator.attrgetter("actor")),
    Source("message", _("Deterrence message"), DeterrenceMessage,
           ("speaker", "audience", "channel", "summary"),
           label=lambda message: f"{message.speaker} to {message.audience}"),
    Source("note", _("Note"), Comment, ("body",),
           label=lambda note: "Note"),
)
BY_KIND = {source.kind: source for source in SOURCES}
KINDS = tuple(BY_KIND)


# --- keeping the index ------------------------------------------------------------------------

_ENTRIES = SearchEntry.__table__
_KEY = (_ENTRIES.c.record_type == bindparam("key_type")) & (
    _ENTRIES.c.record_id == bindparam("key_id"))
_INSERT = insert(_ENTRIES)
_UPDATE = update(_ENTRIES).where(_KEY).values(
    label=bindparam("new_label"), body=bindparam("new_body"), terms=bindparam("new_terms"))
_DELETE = delete(_ENTRIES).where(_KEY)


def entry(source: Source, record) -> dict | None:
    """The index row of a record (an ORM object or a row with `source.columns`), or None if
    it is not to be found."""
    if not source.keep(record):
        return None
    values = [source.read.get(name, str)(getattr(record, name) or "") for name in source.fields]
    return {"record_type": source.kind, "record_id": record.id,
            "case_id": getattr(record, source.case_column),
            "label": str(source.label(record))[:300],
            "body": "\n".join(value for value in values if value), "terms": terms_of(values)}


def _written(source: Source, _mapper, connection, record) -> None:
    row = entry(source, record)
    if row is not None:
        connection.execute(_INSERT, row)


def _changed(source: Source, _mapper, connection, record) -> None:
    attributes = inspect(record).attrs
    if not any(attributes[name].history.has_changes() for name in source.watched):
        return  # a version step, a status the search does not read: nothing to re-index
    row = entry(source, record)
    key = {"key_type": source.kind, "key_id": record.id}
    if row is None:
        connection.execute(_DELETE, key)
        return
    renamed = {f"new_{name}": row[name] for name in ("label", "body", "terms")}
    if connection.execute(_UPDATE, {**key, **renamed}).rowcount == 0:
        connection.execute(_INSERT, row)


def _deleted(source: Source, _mapper, connection, record) -> None:
    connection.execute(_DELETE, {"key_type": source.kind, "key_id": record.id})


#: (model, event, listener) of every mapper event that keeps the index.
LISTENERS = [(source.model, name, partial(listener, source)) for source in SOURCES
             for name, listener in (("after_insert", _written), ("after_update", _changed),
                                    ("after_delete", _deleted))]
for _model, _name, _listener in LISTENERS:
    event.listen(_model, _name, _listener)

REBUILD_BATCH = 2000


def rebuild(connection) -> int:
    """Index every record again from its table (those whose table exists yet); the count."""
    connection.execute(delete(_ENTRIES))
    tables, count = set(inspect(connection).get_table_names()), 0
    for source in SOURCES:
        model_table = source.model.__table__
        if model_table.name not in tables:
            continue
        query = select(*(model_table.c[name] for name in source.columns)).order_by(model_table.c.id)
        rows = []
        for record in connection.execute(query.execution_options(yield_per=REBUILD_BATCH)):
            row = entry(source, record)
            if row is not None:
                rows.append(row)
            if len(rows) == REBUILD_BATCH:
                connection.execute(_INSERT, rows)
                count, rows = count + len(rows), []
        if rows:
            connection.execute(_INSERT, rows)
            count += len(rows)
    return count


# --- asking it --------------------------------------------------------------------------------

#: Cases on a page of results, the records shown under each (under the one case searched), the
#: words a query may hold.
PAGE = 20
SHOWN = 3
SHOWN_IN_ONE_CASE = 500
MOST_WORDS = 12


@dataclass(frozen=True)
class Term:
    """One word of a query: its forms (any of them matches) and whether it is a prefix."""

    forms: tuple[str, ...]
    prefix: bool = False

    def matches(self, word: str) -> bool:
        if self.prefix:
            return word.startswith(self.forms)
        return word in self.forms


def parse(query: str) -> list[Term]:
    """The words of a query, each a Term; a word ending in * matches every word it begins."""
    terms: dict[Term, None] = {}
    for chunk in query.split():
        found = words(chunk)
        for position, word in enumerate(found):
            prefix = chunk.endswith("*") and position == len(found) - 1
            terms[Term(forms(word), prefix)] = None
    return list(terms)


def fts5_query(terms: list[Term]) -> str:
    """The FTS5 expression: every term, any of its forms. Words are letters and digits only,
    so quoting them is enough."""
    return " AND ".join("(" + " OR ".join(f'"{form}"' + ("*" if term.prefix else "")
                                          for form in term.forms) + ")" for term in terms)


def tsquery(terms: list[Term]) -> str:
    """The same expression for PostgreSQL's to_tsquery."""
    return " & ".join("(" + " | ".join(f"'{form}'" + (":*" if term.prefix else "")
                                       for form in term.forms) + ")" for term in terms)


_FTS = table(FTS_TABLE, column("rowid"))
_DOCUMENT = literal_column(f"search_entries.{DOCUMENT}")
_SIMPLE = literal_column("'simple'::regconfig")


@dataclass(frozen=True)
class _Engine:
    """How one engine finds the entries that hold every term of a query."""

    #: The FROM of a scan of the matches, and its WHERE clause.
    source: object
    match: object
    #: The column the matches come in order of (newest entry first, descending).
    order: object
    #: The same condition on entries reached some other way (by their case); None: checked
    #: here, on their words (FTS5 finds a row's match no faster than it lists them all).
    holds: object | None


def _engine(session: Session, terms: list[Term]) -> _Engine:
    if session.get_bind().dialect.name == "postgresql":
        match = _DOCUMENT.op("@@")(func.to_tsquery(_SIMPLE, tsquery(terms)))
        return _Engine(SearchEntry.__table__, match, SearchEntry.id, match)
    match = literal_column(FTS_TABLE).op("MATCH")(fts5_query(terms))
    return _Engine(_FTS.join(SearchEntry, SearchEntry.id == _FTS.c.rowid), match, _FTS.c.rowid, None)


def holds_every(words_held: str, terms: list[Term]) -> bool:
    """Whether an entry's `terms` hold every term, as the engines' indexes answer it."""
    held = set(words_held.split())
    return all(any(term.matches(word) for word in held) if term.prefix
               else not held.isdisjoint(term.forms) for term in terms)


def _holding(session: Session, engine: _Engine, query, terms: list[Term]) -> list:
    """The rows of `query` (over search_entries) whose entry holds every term."""
    if engine.holds is not None:
        return session.execute(query.where(engine.holds)).all()
    return [row for row in session.execute(query.add_columns(SearchEntry.terms))
            if holds_every(row.terms, terms)]


@dataclass
class Filters:
    text: str = ""
    stage: str = ""
    country: str = ""
    year: int | None = None
    #: Kinds of record (SOURCES' kinds); none: every kind.
    kinds: tuple[str, ...] = ()
    #: One case only ("every match in this case").
    case_id: int | None = None
    page: int = 1

    def of_cases(self) -> list:
        """The conditions on the case itself."""
        conditions = []
        if self.stage:
            conditions.append(Case.state == self.stage)
        if self.country:
            conditions.append(Case.country == countries.wanted(self.country))
        if self.year:
            conditions.append(extract("year", Case.occurred_on) == self.year)
        return conditions

    def of_entries(self) -> list:
        """The conditions on the matching record."""
        conditions = []
        if self.kinds:
            conditions.append(SearchEntry.record_type.in_(self.kinds))
        if self.case_id:
            conditions.append(SearchEntry.case_id == self.case_id)
        return conditions


@dataclass
class Hit:
    """One matching record: its kind, id, label and a snippet as (text, highlighted) parts."""

    kind: str
    record_id: int
    label: str
    snippet: list[tuple[str, bool]]

    @property
    def source(self) -> Source:
        return BY_KIND[self.kind]


@dataclass
class CaseHits:
    """A case with the records of it that match: how many, and the first few."""

    case: Case
    count: int
    hits: list[Hit]


@dataclass
class Results:
    groups: list[CaseHits] = field(default_factory=list)
    #: Matching cases the user may see: all of them when `complete`, else at least these.
    total: int = 0
    complete: bool = True
    page: int = 1

    @property
    def has_next(self) -> bool:
        return self.total > self.page * PAGE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE))


#: Matches are read newest first, this many at a time; the cases of everything are counted up
#: to COUNT_CAP, and at most SCAN_CAP matching records are read for one page.
CHUNK = 500
COUNT_CAP = 1000
SCAN_CAP = 50_000


def _sees_every_case(user) -> bool:
    return any(role in permissions.SEES_ALL_CASES for role in user.roles)


def _cases_streamed(session: Session, engine: _Engine, filters: Filters,
                    wanted: int) -> tuple[list[int], bool]:
    """For those who see every case: the cases of the newest matches, read a chunk at a time,
    until `wanted` of them (and COUNT_CAP) are found; whether that is all of them."""
    query = (select(SearchEntry.id, SearchEntry.case_id).select_from(engine.source)
             .where(engine.match, *filters.of_entries()).order_by(engine.order.desc()).limit(CHUNK))
    if filters.of_cases():
        query = query.join(Case, Case.id == SearchEntry.case_id).where(*filters.of_cases())
    cases: dict[int, None] = {}
    last, scanned = None, 0
    while True:
        rows = session.execute(query if last is None else query.where(engine.order < last)).all()
        cases.update((row.case_id, None) for row in rows)
        scanned += len(rows)
        if len(rows) < CHUNK:
            return list(cases), True
        if len(cases) >= max(wanted, COUNT_CAP + 1) or scanned >= SCAN_CAP:
            return list(cases), False
        last = rows[-1].id


def _cases_of_team(session: Session, engine: _Engine, user, filters: Filters,
                   terms: list[Term]) -> list[int]:
    """For the others (and within one case): every case they may see with a match, newest
    match first, found from their cases' records, not from every match."""
    query = (select(SearchEntry.id, SearchEntry.case_id)
             .join(Case, Case.id == SearchEntry.case_id)
             .where(permissions.visible_cases(user), *filters.of_cases(), *filters.of_entries())
             .order_by(SearchEntry.id.desc()))
    return list(dict.fromkeys(row.case_id for row in _holding(session, engine, query, terms)))


def find(session: Session, user, filters: Filters) -> Results:
    """The cases `user` may see with records holding every word of the query, the case with
    the newest matching record first, each with its first few matching records."""
    terms = parse(filters.text)[:MOST_WORDS]
    page = max(1, filters.page)
    if not terms:
        return Results(page=page)
    engine = _engine(session, terms)
    if _sees_every_case(user) and not filters.case_id:
        order, complete = _cases_streamed(session, engine, filters, page * PAGE + 1)
    else:
        order, complete = _cases_of_team(session, engine, user, filters, terms), True
    ids = order[(page - 1) * PAGE:page * PAGE]
    if not ids:
        return Results(total=len(order), complete=complete, page=page)
    matching = _holding(session, engine, select(
        SearchEntry.id, SearchEntry.case_id, SearchEntry.record_type, SearchEntry.record_id)
        .where(SearchEntry.case_id.in_(ids), *filters.of_entries()), terms)
    position = {kind: number for number, kind in enumerate(KINDS)}
    by_case: dict[int, list] = {case_id: [] for case_id in ids}
    for row in sorted(matching, key=lambda row: (position.get(row.record_type, len(position)),
                                                 row.record_id)):
        by_case[row.case_id].append(row)
    shown_count = SHOWN_IN_ONE_CASE if filters.case_id else SHOWN
    shown = [row.id for rows in by_case.values() for row in rows[:shown_count]]
    texts = {row.id: row for row in session.execute(
        select(SearchEntry.id, SearchEntry.label, SearchEntry.body).where(SearchEntry.id.in_(shown)))}
    cases = {case.id: case for case in session.scalars(
        select(Case).options(lazyload(Case.members)).where(Case.id.in_(ids)))}
    groups = [CaseHits(cases[case_id], len(by_case[case_id]),
                       [Hit(row.record_type, row.record_id, texts[row.id].label,
                            snippet(texts[row.id].body, terms))
                        for row in by_case[case_id][:shown_count]])
              for case_id in ids]
    return Results(groups=groups, total=len(order), complete=complete, page=page)


# --- snippets ---------------------------------------------------------------------------------

SNIPPET_LENGTH = 240


@cache
def _surface() -> re.Pattern:
    """A word as written: letters and digits with their marks (and tatweel) inside it."""
    marks = _tables()[0].pattern[1:-1]
    return re.compile(rf"(?:[^\W_]|[{marks}])+")


@lru_cache(maxsize=65_536)
def _forms_of(written: str) -> tuple[str, ...]:
    """Every form of the words of one word as written (words repeat: normalise each once)."""
    return tuple(form for word in words(written) for form in forms(word))


def _found(written: str, terms: list[Term]) -> bool:
    return any(term.matches(form) for form in _forms_of(written) for term in terms)


def snippet(body: str, terms: list[Term], length: int = SNIPPET_LENGTH) -> list[tuple[str, bool]]:
    """About `length` characters of `body` around the first word a term matches, as
    (text, highlighted) parts, every matching word in it highlighted; … where it is cut."""
    spans = [match.span() for match in _surface().finditer(body) if _found(match.group(), terms)]
    start = 0
    if spans and spans[0][1] > length * 2 // 3:
        start = body.rfind(" ", 0, spans[0][0] - length // 3) + 1
    end = len(body) if len(body) - start <= length else body.rfind(" ", start, start + length)
    if end <= start:
        end = min(len(body), start + length)
    parts, cursor = [], start
    if start > 0:
        parts.append(("…", False))
    for first, last in spans:
        if first < start or last > end:
            continue
        parts.extend(((body[cursor:first], False), (body[first:last], True)))
        cursor = last
    parts.append((body[cursor:end] + ("…" if end < len(body) else ""), False))
    return [(text, hit) for text, hit in parts if text]
