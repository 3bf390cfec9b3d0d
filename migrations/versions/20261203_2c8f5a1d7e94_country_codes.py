"""a case's country is its ISO 3166-1 alpha-2 code: the names written so far become codes where
they name a country ("Syria", "سوريا" → SY); the others are kept as written, and the case's first
gate says they name no country until someone corrects them

Revision ID: 2c8f5a1d7e94
Revises: 6a1e0b8c3d57
Create Date: 2026-12-03 09:00:00
"""
import sqlalchemy as sa
from alembic import op

from workflow import countries

revision = '2c8f5a1d7e94'
down_revision = '6a1e0b8c3d57'
branch_labels = None
depends_on = None

CASES = sa.table("cases", sa.column("country", sa.String))


def _rename(names) -> None:
    """Each stored value in `names` (value → new value) rewritten, one statement per value."""
    connection = op.get_bind()
    for before, after in names.items():
        if after != before:
            connection.execute(CASES.update().where(CASES.c.country == before).values(country=after))


def _stored() -> list[str]:
    return list(op.get_bind().scalars(sa.select(CASES.c.country).distinct()))


def upgrade() -> None:
    _rename({value: countries.resolve(value) or value for value in _stored()})


def downgrade() -> None:
    # Codes back to names (in English): the spellings they were resolved from are not kept.
    _rename({value: countries.name(value) if countries.is_code(value) else value
             for value in _stored()})
