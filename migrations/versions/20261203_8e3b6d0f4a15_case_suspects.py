"""a case names its suspected perpetrators from reporting on: entries of the party register

Revision ID: 8e3b6d0f4a15
Revises: 2c8f5a1d7e94
Create Date: 2026-12-03 10:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '8e3b6d0f4a15'
down_revision = '2c8f5a1d7e94'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('case_suspects',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_suspects_case_id_cases'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['entry_id'], ['register_entries.id'],
                            name=op.f('fk_case_suspects_entry_id_register_entries')),
    sa.PrimaryKeyConstraint('case_id', 'entry_id', name=op.f('pk_case_suspects'))
    )
    op.create_index('ix_case_suspects_entry_id', 'case_suspects', ['entry_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_case_suspects_entry_id', table_name='case_suspects')
    op.drop_table('case_suspects')
