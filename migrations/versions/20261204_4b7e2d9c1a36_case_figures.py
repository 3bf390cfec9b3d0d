"""what each case adds to the dashboard's and insight's figures, kept with the case

Revision ID: 4b7e2d9c1a36
Revises: 8e3b6d0f4a15
Create Date: 2026-12-04 09:00:00
"""
import sqlalchemy as sa
from alembic import op

from workflow import case_figures

revision = '4b7e2d9c1a36'
down_revision = '8e3b6d0f4a15'
branch_labels = None
depends_on = None

UNBOUND = sa.text("closed AND NOT binding")
BOUND = sa.text("bound_since IS NOT NULL")


def upgrade() -> None:
    op.create_table('case_figures',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=True),
    sa.Column('responsible_party', sa.String(length=300), nullable=True),
    sa.Column('binding', sa.Boolean(), nullable=False),
    sa.Column('closed', sa.Boolean(), nullable=False),
    sa.Column('repeat_use', sa.String(length=16), nullable=True),
    sa.Column('occurred_on', sa.Date(), nullable=True),
    sa.Column('bound_since', sa.Date(), nullable=True),
    sa.Column('counts', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_figures_case_id_cases'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_case_figures'))
    )
    op.create_index('ix_case_figures_party_occurred', 'case_figures', ['party_id', 'occurred_on'],
                    unique=False)
    op.create_index('ix_case_figures_party_bound', 'case_figures', ['party_id', 'bound_since'],
                    unique=False, sqlite_where=BOUND, postgresql_where=BOUND)
    op.create_index('ix_case_figures_unbound', 'case_figures', ['occurred_on', 'case_id'], unique=False,
                    sqlite_where=UNBOUND, postgresql_where=UNBOUND)
    with op.batch_alter_table('figure_counts') as batch:
        batch.alter_column('key', existing_type=sa.String(length=100), type_=sa.Text(),
                           existing_nullable=False)
    # The cases already recorded are counted by the latest migration that changes the table
    # (5d1c7e3a9b20), with the code that writes the table as it then stands.


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM figure_counts WHERE figure IN ("
                       + ", ".join(f"'{figure}'" for figure in case_figures.FIGURES) + ")"))
    with op.batch_alter_table('figure_counts') as batch:
        batch.alter_column('key', existing_type=sa.Text(), type_=sa.String(length=100),
                           existing_nullable=False)
    op.drop_index('ix_case_figures_unbound', table_name='case_figures',
                  sqlite_where=UNBOUND, postgresql_where=UNBOUND)
    op.drop_index('ix_case_figures_party_bound', table_name='case_figures',
                  sqlite_where=BOUND, postgresql_where=BOUND)
    op.drop_index('ix_case_figures_party_occurred', table_name='case_figures')
    op.drop_table('case_figures')
