"""a case records who its attack was aimed at and the strategies its pathway follows

Revision ID: 6a1e0b8c3d57
Revises: 9d4c1f7a2e60
Create Date: 2026-12-02 10:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '6a1e0b8c3d57'
down_revision = '9d4c1f7a2e60'
branch_labels = None
depends_on = None

TARGETED = "targeted IN ('civilians', 'combatants', 'political_opponents', 'mixed', 'unknown')"


# Plain ALTER TABLE on both databases: SQLite's batch mode would copy `cases`, whose rows many
# tables refer to.
def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE cases ADD COLUMN targeted VARCHAR(32) DEFAULT 'unknown' NOT NULL "
                   f"CONSTRAINT ck_cases_targeted CHECK ({TARGETED})")
    else:
        op.add_column('cases', sa.Column('targeted', sa.String(length=32), server_default='unknown',
                                         nullable=False))
        op.create_check_constraint(op.f('ck_cases_targeted'), 'cases', TARGETED)
    op.add_column('cases', sa.Column('strategies', sa.String(length=200), server_default='',
                                     nullable=False))


def downgrade() -> None:
    op.drop_column('cases', 'strategies')
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f('ck_cases_targeted'), 'cases', type_='check')
    op.drop_column('cases', 'targeted')
