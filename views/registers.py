"""Register pages: the list with search by name or alias, an entry with its aliases, parent and
the records that name it, and the forms a supervisor or admin uses to maintain them."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user

from models.register import REGISTERS
from views import db
from views.access import current_actor
from views.commands import run
from views.language import translated
from views.register_forms import AcceptForm, AliasForm, EntryForm, MergeForm, with_choices
from workflow import permissions, registers

blueprint = Blueprint("registers", __name__, url_prefix="/registers")
#: Each register's title, in the reader's language (models.register.REGISTER_TITLES in English).
REGISTER_TITLES = {"party": _l("Parties"), "body": _l("Investigating and attributing bodies"),
                   "instrument": _l("Legal instruments"), "forum": _l("Fora"),
                   "actor": _l("Actors of responses")}


def _manages() -> bool:
    return bool(permissions.allowed(current_user, permissions.MANAGE_REGISTERS))


def _require_manager() -> None:
    """403, saying who may, unless the user maintains the registers."""
    answer = permissions.allowed(current_user, permissions.MANAGE_REGISTERS)
    if not answer:
        abort(403, description=translated(answer.reason))


def _register(value: str | None) -> str:
    if value not in REGISTERS:
        abort(404, description=_("No such register."))
    return value


def _visible_entry(entry_id: int):
    """The entry; a proposed one (a name written on a case) only for those who maintain them."""
    entry = registers.get_entry(db.session(), entry_id)
    if entry.status == "proposed" and not _manages():
        abort(404, description=_("No such register entry."))
    return entry


@blueprint.route("/")
def index():
    """A register's entries, searched by name or alias; proposals first for those who decide."""
    register = _register(request.args.get("register", "party"))
    query = request.args.get("q", "")[:300]
    entries = registers.search(db.session(), register, query, with_proposed=_manages())
    return render_template("registers/index.html", register=register, query=query, entries=entries,
                           titles=REGISTER_TITLES, manages=_manages())


@blueprint.route("/new", methods=["GET", "POST"])
def new():
    """Add an entry to a register."""
    _require_manager()
    register = _register(request.args.get("register", "party"))
    form = with_choices(EntryForm(), REGISTERS[register],
                        registers.search(db.session(), register))

    def page(refusal=None):
        return render_template("registers/new.html", form=form, register=register,
                               titles=REGISTER_TITLES, refusal=refusal)
    if request.method == "GET":
        return page()
    outcome = run(form, lambda write: registers.add_entry(
        write, current_actor(), register, form.name.data, form.kind.data,
        parent_id=form.parent_id.data or None, other_names=form.other_names_list(),
        note=form.note.data or "").id, page, conflict_field="name")
    if outcome.refused:
        return outcome.page
    flash(_("Entry added."), "success")
    return redirect(url_for("registers.entry", entry_id=outcome.value))


def _entry_page(entry, alias_form=None, accept_form=None, merge_form=None, refusal=None):
    session = db.session()
    if entry.status == "merged":
        return redirect(url_for("registers.entry", entry_id=entry.merged_into_id))
    manages = _manages()
    live = [other for other in registers.search(session, entry.register, with_proposed=True)
            if other.id != entry.id]
    children = [other for other in registers.register_entries(session, entry.register).values()
                if other.parent_id == entry.id and other.status != "merged"]
    kinds = REGISTERS[entry.register]
    return render_template(
        "registers/entry.html", entry=entry, titles=REGISTER_TITLES, manages=manages,
        children=sorted(children, key=lambda other: other.name),
        records=registers.records_naming(session, entry, current_user),
        alias_form=alias_form or AliasForm(formdata=None),
        accept_form=accept_form or with_choices(AcceptForm(formdata=None, data={"kind": entry.kind, "parent_id": entry.parent_id or 0}),
                                                kinds, [e for e in live if e.status == "accepted"]),
        merge_form=merge_form or with_choices(MergeForm(formdata=None), kinds, into=live),
        refusal=refusal)


@blueprint.route("/<int:entry_id>")
def entry(entry_id: int):
    """An entry: its names, where it belongs, what belongs to it, and the records naming it."""
    return _entry_page(_visible_entry(entry_id))


@blueprint.route("/<int:entry_id>/aliases", methods=["POST"])
def add_alias(entry_id: int):
    """Record another name of the entry."""
    _require_manager()
    entry = _visible_entry(entry_id)
    form = AliasForm()
    outcome = run(form, lambda write: registers.add_alias(write, current_actor(), entry_id,
                                                          form.alias.data),
                  lambda refusal: _entry_page(entry, alias_form=form, refusal=refusal),
                  conflict_field="alias")
    if outcome.refused:
        return outcome.page
    flash(_("“%(alias)s” is now a name of %(name)s.", alias=form.alias.data.strip(), name=entry.name), "success")
    return redirect(url_for("registers.entry", entry_id=entry_id))


@blueprint.route("/<int:entry_id>/accept", methods=["POST"])
def accept(entry_id: int):
    """Accept a proposed entry as an entry of its own."""
    _require_manager()
    entry = _visible_entry(entry_id)
    live = [e for e in registers.search(db.session(), entry.register) if e.id != entry.id]
    form = with_choices(AcceptForm(), REGISTERS[entry.register], live)
    outcome = run(form, lambda write: registers.accept(write, current_actor(), entry_id,
                                                       kind=form.kind.data,
                                                       parent_id=form.parent_id.data or None),
                  lambda refusal: _entry_page(entry, accept_form=form, refusal=refusal))
    if outcome.refused:
        return outcome.page
    flash(_("%(name)s accepted.", name=entry.name), "success")
    return redirect(url_for("registers.entry", entry_id=entry_id))


@blueprint.route("/<int:entry_id>/merge", methods=["POST"])
def merge(entry_id: int):
    """Merge the entry into another: its names and records move there."""
    _require_manager()
    entry = _visible_entry(entry_id)
    live = [e for e in registers.search(db.session(), entry.register, with_proposed=True)
            if e.id != entry.id]
    form = with_choices(MergeForm(), (), into=live)
    outcome = run(form, lambda write: registers.merge(write, current_actor(), entry_id, form.into.data),
                  lambda refusal: _entry_page(entry, merge_form=form, refusal=refusal))
    if outcome.refused:
        return outcome.page
    flash(ngettext("%(name)s merged: %(num)s record moved.", "%(name)s merged: %(num)s records moved.", outcome.value, name=entry.name), "success")
    return redirect(url_for("registers.entry", entry_id=form.into.data))
