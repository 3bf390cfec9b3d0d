"""the kind of party each case's attribution names, kept with its figures

Revision ID: 5d1c7e3a9b20
Revises: 4b7e2d9c1a36
Create Date: 2026-12-05 09:00:00
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

from workflow import case_figures

revision = '5d1c7e3a9b20'
down_revision = '4b7e2d9c1a36'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('case_figures') as batch:
        batch.add_column(sa.Column('party_type', sa.String(length=32), nullable=True))
    # The cases already recorded are counted now, by the code that writes the table as it
    # stands here; from then on each change counts its case. A later migration that changes
    # the table moves this call to itself.
    case_figures.rebuild(Session(bind=op.get_bind()))


def downgrade() -> None:
    with op.batch_alter_table('case_figures') as batch:
        batch.drop_column('party_type')
