"""responses name actors, instruments and a forum from the registers, who blocked them, the
factors they reinforce; evaluations rate the erosion pressures

Revision ID: 7c2d9e4b1a58
Revises: 3b8e6f1a4c27
Create Date: 2026-11-30 09:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '7c2d9e4b1a58'
down_revision = '3b8e6f1a4c27'
branch_labels = None
depends_on = None

FACTORS = ('taboo', 'norms', 'lack_of_benefit', 'deterrence')
PRESSURES = ('repeated_violation', 'perceived_utility', 'ease_of_access', 'diminished_attention')


def _choice(*values, name, length=32):
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=length)


def upgrade() -> None:
    op.create_table('response_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('register', _choice('actor', 'instrument', 'forum', name='response_register', length=16), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_response_entries_case_id_cases')),
    sa.ForeignKeyConstraint(['response_id'], ['responses.id'], name=op.f('fk_response_entries_response_id_responses')),
    sa.ForeignKeyConstraint(['entry_id', 'register'], ['register_entries.id', 'register_entries.register'], name='fk_response_entries_entry_id_register_entries'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_response_entries')),
    sa.UniqueConstraint('response_id', 'entry_id', name='uq_response_entries_response_id')
    )
    with op.batch_alter_table('response_entries', schema=None) as batch_op:
        batch_op.create_index('ix_response_entries_entry_id', ['entry_id'], unique=False)
        batch_op.create_index('uq_response_entries_forum', ['response_id'], unique=True,
                              sqlite_where=sa.text("register = 'forum'"),
                              postgresql_where=sa.text("register = 'forum'"))
    op.create_table('response_factors',
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('factor', _choice(*FACTORS, name='response_factor'), nullable=False),
    sa.ForeignKeyConstraint(['response_id'], ['responses.id'], name=op.f('fk_response_factors_response_id_responses')),
    sa.PrimaryKeyConstraint('response_id', 'factor', name=op.f('pk_response_factors'))
    )
    op.create_table('response_blocks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('blocked_by_id', sa.Integer(), nullable=False),
    sa.Column('forum_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.CheckConstraint("trim(reason) <> ''", name=op.f('ck_response_blocks_has_reason')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_response_blocks_case_id_cases')),
    sa.ForeignKeyConstraint(['response_id'], ['responses.id'], name=op.f('fk_response_blocks_response_id_responses')),
    sa.ForeignKeyConstraint(['blocked_by_id'], ['register_entries.id'], name=op.f('fk_response_blocks_blocked_by_id_register_entries')),
    sa.ForeignKeyConstraint(['forum_id'], ['register_entries.id'], name=op.f('fk_response_blocks_forum_id_register_entries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_response_blocks')),
    sa.UniqueConstraint('response_id', name=op.f('uq_response_blocks_response_id'))
    )
    with op.batch_alter_table('response_blocks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_response_blocks_blocked_by_id'), ['blocked_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_response_blocks_forum_id'), ['forum_id'], unique=False)
    op.create_table('evaluation_pressures',
    sa.Column('evaluation_id', sa.Integer(), nullable=False),
    sa.Column('pressure', _choice(*PRESSURES, name='pressure'), nullable=False),
    sa.Column('rating', _choice('receding', 'unchanged', 'rising', name='pressure_rating', length=16), nullable=False),
    sa.Column('rationale', sa.Text(), nullable=False),
    sa.CheckConstraint("trim(rationale) <> ''", name=op.f('ck_evaluation_pressures_has_rationale')),
    sa.ForeignKeyConstraint(['evaluation_id'], ['evaluations.id'], name=op.f('fk_evaluation_pressures_evaluation_id_evaluations')),
    sa.PrimaryKeyConstraint('evaluation_id', 'pressure', name=op.f('pk_evaluation_pressures'))
    )


def downgrade() -> None:
    op.drop_table('evaluation_pressures')
    with op.batch_alter_table('response_blocks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_response_blocks_forum_id'))
        batch_op.drop_index(batch_op.f('ix_response_blocks_blocked_by_id'))
    op.drop_table('response_blocks')
    op.drop_table('response_factors')
    with op.batch_alter_table('response_entries', schema=None) as batch_op:
        batch_op.drop_index('uq_response_entries_forum',
                            sqlite_where=sa.text("register = 'forum'"),
                            postgresql_where=sa.text("register = 'forum'"))
        batch_op.drop_index('ix_response_entries_entry_id')
    op.drop_table('response_entries')
