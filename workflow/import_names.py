"""The names an imported history gives, mapped to register entries through their aliases: the
responsible party to the parties, each actor of a response to the actors of responses.

A name no register entry is known by stops its row, the row and the name said, unless the
import proposes new entries: then each unknown name becomes a proposed entry (audited) for a
supervisor to accept or merge, and the records name it.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.register import RegisterAlias
from workflow import registers
from workflow.audit import Actor
from workflow.words import Text, _, series

#: What joins the actors of a coalition in a written name: "A + B", "A, B and C".
_JOINS = re.compile(r"\s*(?:\+|,|\band\b)\s*")
#: The kind a proposed actor is given until a supervisor accepts it with its own.
PROPOSED_ACTOR_KIND = "organisation"
REGISTER_WORDS = {"party": _("register of parties"), "actor": _("register of actors of responses")}


class Known:
    """The normal forms of every alias of the registers an import names, read once."""

    def __init__(self, session: Session):
        self.keys = {register: set(session.scalars(
            select(RegisterAlias.key).where(RegisterAlias.register == register)))
            for register in REGISTER_WORDS}

    def knows(self, register: str, name: str) -> bool:
        return registers.normal(name) in self.keys[register]


def actors(written: str, whole_known: bool) -> list[str]:
    """The actors a response names: the whole name when the register knows it, otherwise each
    member of the coalition it writes ("United States + United Kingdom + France")."""
    if whole_known:
        return [written]
    parts = [part for part in _JOINS.split(written) if registers.normal(part)]
    return parts or [written]


def unknown(history: dict | None, known: Known) -> list[tuple[str, str, str]]:
    """(field, register, name) of each name in a history that no register entry is known by."""
    if not history:
        return []
    found = []
    if history.get("responsible_party") and not known.knows("party", history["responsible_party"]):
        found.append(("responsible_party", "party", history["responsible_party"]))
    for response in history.get("responses", ()):
        written = response["actor_name"]
        found += [("responses", "actor", name) for name in actors(written, known.knows("actor", written))
                  if not known.knows("actor", name)]
    return list(dict.fromkeys(found))


def refusal(names: Iterable[tuple[str, str, str]]) -> Text:
    """The reason a row naming unknown entries is refused."""
    said = series([_("%(field)s: “%(name)s” is not in the %(register)s", field=field, name=name,
                     register=REGISTER_WORDS[register]) for field, register, name in names], "; ")
    return _("%(refusals)s (add it or an alias to the register, or import with --propose-new)", refusals=said)


def actor_entries(session: Session, actor: Actor, written: str) -> str:
    """The register's names for the actors a response names, joined as a coalition; an unknown
    actor is proposed (audited) — the import checked beforehand that it may be."""
    names = actors(written, registers.resolve(session, "actor", written) is not None)
    entries = [registers.link(session, actor, "actor", name, PROPOSED_ACTOR_KIND) for name in names]
    return " + ".join(dict.fromkeys(entry.name for entry in entries))
