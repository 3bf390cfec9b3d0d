"""a user chooses the language and the time zone the interface speaks and shows times in

Revision ID: 4f2a8c6e1b93
Revises: 7c2d9e4b1a58
Create Date: 2026-12-01 09:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '4f2a8c6e1b93'
down_revision = '7c2d9e4b1a58'
branch_labels = None
depends_on = None


# Plain ALTER TABLE on both databases: SQLite's batch mode would copy `users`, whose rows many
# tables refer to.
def upgrade() -> None:
    op.add_column('users', sa.Column('locale', sa.String(length=8), nullable=True))
    op.add_column('users', sa.Column('time_zone', sa.String(length=64), nullable=True))


def downgrade() -> None:
    op.drop_column('users', 'time_zone')
    op.drop_column('users', 'locale')
