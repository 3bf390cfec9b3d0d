"""Registers with aliases: resolving a written name, rolling a party up to its state, and the
changes a supervisor or admin makes (add, alias, accept, merge), each with its audit event."""
from __future__ import annotations

import tomllib
from contextlib import nullcontext
from pathlib import Path

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from models.case import Case, case_suspects
from models.finding import Finding
from models.register import REGISTERS, RegisterAlias, RegisterEntry
from models.response import ResponseBlock, ResponseEntry
from workflow import audit, permissions
from workflow.audit import Actor
from workflow.errors import Conflict, Forbidden, Invalid, NotFound
from workflow.fields import one_of, text
from workflow.names import normal
from workflow.words import _, inline, series

#: The registers as shipped: the public record, in the project's words.
SEED = Path(__file__).resolve().parent.parent / "data" / "registers.toml"
ENTITY = "register_entry"
#: The registers as a refusal names them: "not in the register of instruments".
REGISTER_NAMES = {"instrument": _("instruments"), "forum": _("forums"), "actor": _("actors"),
                  "party": _("parties"), "body": _("bodies")}
#: Every record that names a register entry: (model, its column, the register it names, the
#: entity type of its audit events). A merge re-points each of them, one audit event per record.
LINKS = ((Finding, Finding.party_id, "party", "finding"),
         (Finding, Finding.body_id, "body", "finding"),
         *((ResponseEntry, ResponseEntry.entry_id, register, "response_entry")
           for register in ("actor", "instrument", "forum")),
         (ResponseBlock, ResponseBlock.blocked_by_id, "actor", "response_block"),
         (ResponseBlock, ResponseBlock.forum_id, "forum", "response_block"))


def _alias(session: Session, register: str, key: str) -> RegisterAlias | None:
    return session.scalar(select(RegisterAlias).where(RegisterAlias.register == register,
                                                      RegisterAlias.key == key))


def resolve(session: Session, register: str, name: str, *, lock: bool = False) -> RegisterEntry | None:
    """The entry `name` stands for in `register`, through its aliases; None if unknown.

    With `lock`, the entry is held (shared) until the transaction ends, so that a merge of it
    waits and then re-points what this transaction links to it.
    """
    key = normal(name)
    if not key:
        return None
    query = (select(RegisterEntry).join(RegisterAlias, RegisterAlias.entry_id == RegisterEntry.id)
             .where(RegisterAlias.register == register, RegisterAlias.key == key))
    if lock:
        query = query.with_for_update(read=True, of=RegisterEntry).execution_options(
            populate_existing=True)
    return session.scalar(query)


def written_names(values) -> list[str]:
    """Names given as a list, or as text with one name a line."""
    if isinstance(values, str):
        values = values.splitlines()
    return [value.strip() for value in values or () if value and value.strip()]


def known_entries(session: Session, register: str, written, field: str) -> list[RegisterEntry]:
    """The register's entries for the names given, through their aliases; an unknown name is
    refused: a supervisor adds it to the register."""
    found: dict[int, RegisterEntry] = {}
    unknown = []
    for name in written_names(written):
        entry = resolve(session, register, name, lock=True)
        if entry is None:
            unknown.append(name)
        else:
            found.setdefault(entry.id, entry)
    if unknown:
        raise Invalid(_("%(field)s: not in the register of %(register)s: %(names)s (a supervisor "
                        "adds it, or use a name it is known by)", field=field,
                        register=REGISTER_NAMES.get(register, register),
                        names=series(unknown, "; ")), field)
    return list(found.values())


def get_entry(session: Session, entry_id: int, *, lock: bool = False) -> RegisterEntry:
    """The entry, or NotFound."""
    query = select(RegisterEntry).where(RegisterEntry.id == entry_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    entry = session.scalar(query)
    if entry is None:
        raise NotFound(_("No such register entry."))
    return entry


def rolled_up(entries: dict[int, RegisterEntry], entry_id: int) -> RegisterEntry:
    """The state an entry belongs to (itself, or the first state among its parents); for an
    entry under no state, its topmost parent. `entries` maps the register's ids to entries."""
    entry, seen = entries[entry_id], set()
    while entry.id not in seen:
        seen.add(entry.id)
        if entry.merged_into_id is not None:
            entry = entries[entry.merged_into_id]
        elif entry.kind == "state" or entry.parent_id is None:
            return entry
        else:
            entry = entries[entry.parent_id]
    return entry


def party_roots():
    """Each party entry with the entry it rolls up to (as `rolled_up`, in SQL): merges are
    followed, and parents until a state or the top."""
    entry = aliased(RegisterEntry)
    climbs = lambda up: or_(up.merged_into_id.is_not(None),  # noqa: E731
                            and_(up.kind != "state", up.parent_id.is_not(None)))
    start = select(RegisterEntry.id, RegisterEntry.id.label("at"), RegisterEntry.kind,
                   RegisterEntry.parent_id, RegisterEntry.merged_into_id).where(
        RegisterEntry.register == "party").cte("climb", recursive=True)
    climb = start.union_all(
        select(start.c.id, entry.id, entry.kind, entry.parent_id, entry.merged_into_id)
        .join(entry, entry.id == func.coalesce(start.c.merged_into_id, start.c.parent_id))
        .where(climbs(start.c)))
    return select(climb.c.id, climb.c.at.label("root")).where(~climbs(climb.c)).subquery("roots")


def register_entries(session: Session, register: str) -> dict[int, RegisterEntry]:
    """Every entry of a register by id (registers are small: hundreds of entries)."""
    return {entry.id: entry for entry in session.scalars(
        select(RegisterEntry).where(RegisterEntry.register == register))}


def uses_by_state(session: Session, user=None) -> list[tuple[RegisterEntry, int]]:
    """Attributed incidents per state, its units and organs rolled up into it: a case counts
    once per state, however its attribution names the state. With `user`, only their cases."""
    latest = select(func.max(Finding.id)).where(Finding.kind == "attribution").group_by(Finding.case_id)
    query = select(Finding.case_id, Finding.party_id).where(
        Finding.id.in_(latest), Finding.conclusion == "attributed", Finding.party_id.is_not(None))
    if user is not None:
        query = query.where(Finding.case_id.in_(select(Case.id).where(permissions.visible_cases(user))))
    entries = register_entries(session, "party")
    incidents: dict[int, set[int]] = {}
    for case_id, party_id in session.execute(query):
        incidents.setdefault(rolled_up(entries, party_id).id, set()).add(case_id)
    return sorted(((entries[state_id], len(cases)) for state_id, cases in incidents.items()),
                  key=lambda row: (-row[1], row[0].name))


def records_naming(session: Session, entry: RegisterEntry, user) -> list[tuple[Finding, Case]]:
    """The findings that name the entry, on the cases `user` may see (need-to-know)."""
    return list(session.execute(
        select(Finding, Case).join(Case, Case.id == Finding.case_id)
        .where(Finding.party_id == entry.id, permissions.visible_cases(user))
        .order_by(Case.reference, Finding.id)))


def search(session: Session, register: str, query: str = "", *,
           with_proposed: bool = False) -> list[RegisterEntry]:
    """The register's entries whose name or an alias contains `query` (matched by `normal`)."""
    statuses = ("accepted", "proposed") if with_proposed else ("accepted",)
    found = select(RegisterEntry).where(RegisterEntry.register == register,
                                        RegisterEntry.status.in_(statuses))
    key = normal(query)
    if key:
        found = found.where(RegisterEntry.id.in_(
            select(RegisterAlias.entry_id).where(RegisterAlias.register == register,
                                                 RegisterAlias.key.contains(key, autoescape=True))))
    return list(session.scalars(found.order_by(RegisterEntry.status.desc(), RegisterEntry.name)))


# --- changes ---------------------------------------------------------------------------------

def _require_manager(actor: Actor) -> None:
    permissions.require(permissions.allowed(actor, permissions.MANAGE_REGISTERS), Forbidden)


def _record(session: Session, actor: Actor, event_type: str, entry: RegisterEntry,
            details: dict) -> None:
    audit.append(session, event_type, actor, entity_type=ENTITY, entity_id=entry.id,
                 details={"register": entry.register, "name": entry.name, **details})


def _new_names(session: Session, register: str, names) -> dict[str, str]:
    """The names (first the entry's own) by their normal form; Conflict if one names another entry."""
    keyed: dict[str, str] = {}
    for index, name in enumerate(names):
        field = "name" if index == 0 else "other_names"
        written = text(name, field, 300, required=index == 0)
        key = normal(written)
        if not key:
            if index == 0:
                raise Invalid(_("name: needs letters or digits"), "name")
            continue
        taken = _alias(session, register, key)
        if taken is not None:
            raise Conflict(_("“%(written)s” already names %(name)s in this register: add there what "
                             "is missing, or merge the two entries.", written=written,
                             name=taken.entry.name))
        keyed.setdefault(key, written)
    return keyed


def _parent(session: Session, register: str, parent_id, child: RegisterEntry | None = None):
    """The parent chosen for an entry: in the same register, not merged, not below the entry."""
    if parent_id in (None, "", 0):
        return None
    parent = session.get(RegisterEntry, parent_id)
    if parent is None or parent.register != register or parent.status == "merged":
        raise Invalid(_("parent: choose an entry of the same register"), "parent_id")
    if child is not None and child.id in _ancestry(parent):
        raise Invalid(_("parent: %(parent)s is %(child)s or belongs to it", parent=parent.name,
                        child=child.name), "parent_id")
    return parent


def _ancestry(entry: RegisterEntry | None) -> list[int]:
    ids = []
    while entry is not None and entry.id not in ids:
        ids.append(entry.id)
        entry = entry.parent
    return ids


def _insert(session: Session, actor: Actor, register: str, name: str, kind: str, *, status: str,
            parent_id=None, other_names=(), note: str = "") -> tuple[RegisterEntry, list[str]]:
    register = one_of(register, "register", REGISTERS)
    kind = one_of(kind, "kind", REGISTERS[register])
    names = _new_names(session, register, [name, *other_names])
    parent = _parent(session, register, parent_id)
    entry = RegisterEntry(register=register, kind=kind, name=text(name, "name", 300, True),
                          status=status, parent_id=parent.id if parent else None,
                          note=text(note, "note", 5000), created_by_id=actor.id)
    session.add(entry)
    session.flush()
    session.add_all(RegisterAlias(entry_id=entry.id, register=register, name=written, key=key)
                    for key, written in names.items())
    session.flush()
    return entry, sorted(names.values())


def add_entry(session: Session, actor: Actor, register: str, name: str, kind: str, *,
              parent_id=None, other_names=(), note: str = "") -> RegisterEntry:
    """Add an accepted entry to a register, known by its name and its other names."""
    _require_manager(actor)
    return _add(session, actor, register, name, kind, parent_id=parent_id,
                other_names=other_names, note=note)


def _add(session: Session, actor: Actor, register: str, name: str, kind: str, **fields) -> RegisterEntry:
    entry, names = _insert(session, actor, register, name, kind, status="accepted", **fields)
    _record(session, actor, "register_entry_added", entry, {
        "kind": entry.kind, "parent_id": entry.parent_id, "aliases": names, "note": entry.note})
    return entry


def add_alias(session: Session, actor: Actor, entry_id: int, name: str) -> RegisterAlias:
    """Record another name an entry is known by."""
    _require_manager(actor)
    entry = get_entry(session, entry_id, lock=True)
    return _add_alias(session, actor, entry, name)


def _add_alias(session: Session, actor: Actor, entry: RegisterEntry, name: str) -> RegisterAlias:
    if entry.status == "merged":
        raise Conflict(_("%(name)s was merged into another entry: add the name there.", name=entry.name))
    written = text(name, "alias", 300, True)
    key = normal(written)
    if not key:
        raise Invalid(_("alias: needs letters or digits"), "alias")
    taken = _alias(session, entry.register, key)
    if taken is not None:
        if taken.entry_id == entry.id:
            raise Conflict(_("“%(written)s” already names this entry (as “%(alias)s”).",
                             written=written, alias=taken.name))
        raise Conflict(_("“%(written)s” already names %(name)s (as “%(alias)s”).", written=written,
                         name=taken.entry.name, alias=taken.name))
    alias = RegisterAlias(entry_id=entry.id, register=entry.register, name=written, key=key)
    session.add(alias)
    session.flush()
    _record(session, actor, "register_alias_added", entry, {"alias": written})
    return alias


def accept(session: Session, actor: Actor, entry_id: int, *, kind: str, parent_id=None) -> RegisterEntry:
    """Accept a proposed entry as a register entry of its own, with its kind and parent."""
    _require_manager(actor)
    entry = get_entry(session, entry_id, lock=True)
    if entry.status != "proposed":
        raise Conflict(_("%(name)s is %(status)s, not proposed: there is nothing to accept.",
                         name=entry.name, status=inline(entry.status)))
    before = {"kind": entry.kind, "parent_id": entry.parent_id}
    entry.kind = one_of(kind, "kind", REGISTERS[entry.register])
    parent = _parent(session, entry.register, parent_id, child=entry)
    entry.parent_id = parent.id if parent else None
    entry.status = "accepted"
    session.flush()
    _record(session, actor, "register_entry_accepted", entry,
            {"kind": entry.kind, "parent_id": entry.parent_id, "before": before})
    return entry


def merge(session: Session, actor: Actor, merged_id: int, kept_id: int) -> int:
    """Merge one entry into another: every record naming it is re-pointed (one audit event per
    record moved), its names become aliases of the kept entry; returns the records moved."""
    _require_manager(actor)
    if merged_id == kept_id:
        raise Invalid(_("into: an entry cannot be merged into itself"), "into")
    # The audit log's append lock first: a merge locks records across cases, which a writer
    # already holding that lock (an import recording many findings) may be about to lock too.
    audit.lock_chain_head(session)
    # Both locked in id order: two merges of the same pair wait for each other, never deadlock.
    locked = {entry.id: entry for entry in session.scalars(
        select(RegisterEntry).where(RegisterEntry.id.in_((merged_id, kept_id)))
        .order_by(RegisterEntry.id).with_for_update().execution_options(populate_existing=True))}
    merged, kept = locked.get(merged_id), locked.get(kept_id)
    if merged is None or kept is None:
        raise NotFound(_("No such register entry."))
    if merged.register != kept.register:
        raise Invalid(_("into: entries merge only within one register"), "into")
    for entry in (merged, kept):
        if entry.status == "merged":
            raise Conflict(_("%(name)s was already merged into another entry.", name=entry.name))
    if merged.id in _ancestry(kept):
        raise Conflict(_("%(kept)s belongs to %(merged)s: merge %(kept)s into %(merged)s, or give "
                         "it another parent first.", kept=kept.name, merged=merged.name))
    moved = 0
    for model, column, register, entity_type in LINKS:
        if register != merged.register:
            continue
        rows = session.execute(select(model.id, model.case_id).where(column == merged.id)
                               .order_by(model.id).with_for_update()).all()
        if rows:
            session.execute(update(model).where(model.id.in_([row.id for row in rows]))
                            .values({column.key: kept.id}).execution_options(synchronize_session="fetch"))
        for row in rows:
            audit.append(session, "register_link_moved", actor, case_id=row.case_id,
                         entity_type=entity_type, entity_id=row.id,
                         details={"field": column.key, "from_id": merged.id, "from": merged.name,
                                  "to_id": kept.id, "to": kept.name})
        moved += len(rows)
    moved += _move_suspects(session, actor, merged, kept)
    children = session.scalars(select(RegisterEntry).where(RegisterEntry.parent_id == merged.id)
                               .order_by(RegisterEntry.id).with_for_update()).all()
    for child in children:
        child.parent_id = kept.id
        session.flush()
        _record(session, actor, "register_parent_moved", child,
                {"from_id": merged.id, "from": merged.name, "to_id": kept.id, "to": kept.name})
    moved += len(children)
    aliases = sorted(session.scalars(select(RegisterAlias.name)
                                     .where(RegisterAlias.entry_id == merged.id)))
    session.execute(update(RegisterAlias).where(RegisterAlias.entry_id == merged.id)
                    .values(entry_id=kept.id).execution_options(synchronize_session="fetch"))
    merged.status, merged.merged_into_id = "merged", kept.id
    session.flush()
    session.expire(kept, ["aliases"])
    _record(session, actor, "register_entry_merged", merged, {
        "into_id": kept.id, "into": kept.name, "aliases": aliases, "records_moved": moved})
    return moved


def _move_suspects(session: Session, actor: Actor, merged: RegisterEntry, kept: RegisterEntry) -> int:
    """The cases suspecting the merged party suspect the kept one (once, if they named both),
    one audit event per case; returns how many."""
    entry, case = case_suspects.c.entry_id, case_suspects.c.case_id
    case_ids = session.scalars(select(case).where(entry == merged.id).order_by(case)
                               .with_for_update()).all()
    if not case_ids:
        return 0
    both = set(session.scalars(select(case).where(entry == kept.id, case.in_(case_ids))))
    session.execute(delete(case_suspects).where(entry == merged.id))
    session.execute(insert(case_suspects), [{"case_id": case_id, "entry_id": kept.id}
                                            for case_id in case_ids if case_id not in both])
    for case_id in case_ids:
        audit.append(session, "register_link_moved", actor, case_id=case_id, entity_type="case",
                     entity_id=case_id, details={"field": "suspects", "from_id": merged.id,
                                                 "from": merged.name, "to_id": kept.id, "to": kept.name})
    # Cases loaded before the merge read their suspects again.
    for loaded in session.identity_map.values():
        if isinstance(loaded, Case) and loaded.id in case_ids:
            session.expire(loaded, ["suspects"])
    return len(case_ids)


def link_party(session: Session, actor: Actor, name: str, party_type: str) -> RegisterEntry:
    """The party register's entry for the responsible party a finding names: an unknown name is
    proposed as a new entry (of the finding's party type) for a supervisor to accept or merge."""
    return link(session, actor, "party", name, party_type)


def link(session: Session, actor: Actor, register: str, name: str, kind: str) -> RegisterEntry:
    """The register's entry for a written name; an unknown name is proposed as a new entry (of
    `kind`), audited, for a supervisor to accept or merge."""
    entry = resolve(session, register, name, lock=True)
    if entry is not None:
        return entry
    try:
        with _savepoint(session):
            entry, names = _insert(session, actor, register, name, kind, status="proposed")
    except IntegrityError:
        # The same name was proposed at the same moment by another transaction: it is the entry.
        entry = resolve(session, register, name, lock=True)
        if entry is None:
            raise
        return entry
    _record(session, actor, "register_entry_proposed", entry,
            {"kind": entry.kind, "aliases": names})
    return entry


def _savepoint(session: Session):
    """A savepoint on PostgreSQL, where two proposals can race; SQLite writes one at a time."""
    if session.get_bind().dialect.name == "postgresql":
        return session.begin_nested()
    return nullcontext()


def seed(session: Session, actor: Actor = audit.SYSTEM, path: Path = SEED) -> int:
    """Load the registers as shipped (the command line): add the entries and aliases missing,
    each audited, change nothing already there; returns the changes made."""
    changes = 0
    document = tomllib.loads(path.read_text(encoding="utf-8"))
    for register in REGISTERS:
        for item in document.get(register, ()):
            entry = resolve(session, register, item["name"])
            if entry is None:
                parent = resolve(session, register, item["parent"]) if item.get("parent") else None
                fresh = [alias for alias in item.get("aliases", ())
                         if resolve(session, register, alias) is None]
                _add(session, actor, register, item["name"], item["kind"],
                     parent_id=parent.id if parent else None, other_names=fresh,
                     note=item.get("note", ""))
                changes += 1
                continue
            for alias in item.get("aliases", ()):
                if resolve(session, register, alias) is None:
                    _add_alias(session, actor, entry, alias)
                    changes += 1
    return changes
