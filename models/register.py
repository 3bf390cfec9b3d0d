"""Registers: the parties, bodies, instruments, fora and actors the record names, with their aliases."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (CheckConstraint, ForeignKey, ForeignKeyConstraint, Index, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, choice, sql_list
from vocabulary import REGISTER_STATUSES as STATUSES
from vocabulary import REGISTER_TITLES, REGISTERS  # noqa: F401 (the register pages read them here)
from workflow.clock import utcnow

# The registers, the kinds of entry each holds, their titles and an entry's statuses are
# declared with the rest of the domain's words (vocabulary), where their names are found.
KIND_RULE = " OR ".join(f"(register = '{register}' AND kind IN ({sql_list(kinds)}))"
                        for register, kinds in REGISTERS.items())
MERGED_RULE = "CASE WHEN status = 'merged' THEN merged_into_id IS NOT NULL ELSE merged_into_id IS NULL END"


class RegisterEntry(Base):
    """One party, body, instrument, forum or actor, known by its name and its aliases."""

    __tablename__ = "register_entries"
    __table_args__ = (
        # The target of the composite keys that keep parents, merges and aliases in one register.
        UniqueConstraint("id", "register", name="uq_register_entries_id_register"),
        Index("ix_register_entries_register_status", "register", "status"),
        ForeignKeyConstraint(["parent_id", "register"],
                             ["register_entries.id", "register_entries.register"],
                             name="fk_register_entries_parent_id_register_entries"),
        ForeignKeyConstraint(["merged_into_id", "register"],
                             ["register_entries.id", "register_entries.register"],
                             name="fk_register_entries_merged_into_id_register_entries"),
        CheckConstraint(KIND_RULE, name="kind_of_register"),
        CheckConstraint(MERGED_RULE, name="merged_has_target"),
        CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
        CheckConstraint("merged_into_id IS NULL OR merged_into_id <> id", name="not_merged_into_itself"),
        CheckConstraint("trim(name) <> ''", name="has_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    register: Mapped[str] = mapped_column(choice(*REGISTERS, name="register_name", length=16))
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(choice(*STATUSES, name="register_status", length=16))
    #: The entry it belongs to: a unit to its state, an organ to its organisation.
    parent_id: Mapped[int | None] = mapped_column()
    #: For a merged entry: the entry that kept its names and records.
    merged_into_id: Mapped[int | None] = mapped_column()
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    parent: Mapped[RegisterEntry | None] = relationship(
        remote_side="RegisterEntry.id", foreign_keys=[parent_id],
        primaryjoin="RegisterEntry.parent_id == RegisterEntry.id", viewonly=True)
    aliases: Mapped[list[RegisterAlias]] = relationship(
        back_populates="entry", order_by="RegisterAlias.name", lazy="selectin", viewonly=True,
        primaryjoin="RegisterAlias.entry_id == RegisterEntry.id", foreign_keys="RegisterAlias.entry_id")


class RegisterAlias(Base):
    """A name an entry is known by (its own name among them), matched by its normal form."""

    __tablename__ = "register_aliases"
    __table_args__ = (
        # One entry per normal form in a register: a written name resolves to one entry or none.
        Index("uq_register_aliases_register_key", "register", "key", unique=True),
        Index("ix_register_aliases_entry_id", "entry_id"),
        ForeignKeyConstraint(["entry_id", "register"],
                             ["register_entries.id", "register_entries.register"],
                             name="fk_register_aliases_entry_id_register_entries"),
        CheckConstraint("trim(key) <> ''", name="has_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column()
    register: Mapped[str] = mapped_column(choice(*REGISTERS, name="register_name", length=16))
    #: The name as written.
    name: Mapped[str] = mapped_column(String(300))
    #: Its normal form: case, accents, punctuation and spacing set aside (workflow.names.normal).
    key: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    entry: Mapped[RegisterEntry] = relationship(
        back_populates="aliases", viewonly=True,
        primaryjoin="RegisterAlias.entry_id == RegisterEntry.id", foreign_keys=[entry_id])
