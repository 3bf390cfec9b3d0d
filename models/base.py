"""The declarative base, with a naming convention so migrations name constraints stably."""
from sqlalchemy import Enum, MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base class of every model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def sql_list(values) -> str:
    """The values as a SQL list of string literals, for a CHECK constraint: 'a', 'b'."""
    return ", ".join("'" + value.replace("'", "''") + "'" for value in values)


def choice(*values: str, name: str, length: int = 32) -> Enum:
    """A column of fixed choices: non-native, a VARCHAR with a CHECK, the same on SQLite and PostgreSQL."""
    return Enum(*values, name=name, native_enum=False, create_constraint=True, length=length)
