"""responses, milestones, deterrence messages and evaluations

Revision ID: 09fc34d0c0f0
Revises: 0062f720cbd6
Create Date: 2026-11-27 07:32:01.169768
"""
import sqlalchemy as sa
from alembic import op

revision = '09fc34d0c0f0'
down_revision = '0062f720cbd6'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('deterrence_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('stage', sa.Enum('reported', 'investigation', 'attribution', 'legal_consequence', 'implementation', 'evaluation', 'closed', name='message_stage', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('said_on', sa.Date(), nullable=False),
    sa.Column('audience', sa.String(length=300), nullable=False),
    sa.Column('channel', sa.String(length=200), nullable=False),
    sa.Column('speaker', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_deterrence_messages_case_id_cases')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_deterrence_messages_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deterrence_messages'))
    )
    with op.batch_alter_table('deterrence_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deterrence_messages_case_id'), ['case_id'], unique=False)

    op.create_table('evaluations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('taboo', sa.Enum('weakened', 'unchanged', 'strengthened', name='taboo_rating', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('taboo_rationale', sa.Text(), nullable=False),
    sa.Column('norms', sa.Enum('weakened', 'unchanged', 'strengthened', name='norms_rating', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('norms_rationale', sa.Text(), nullable=False),
    sa.Column('lack_of_benefit', sa.Enum('weakened', 'unchanged', 'strengthened', name='benefit_rating', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('lack_of_benefit_rationale', sa.Text(), nullable=False),
    sa.Column('deterrence', sa.Enum('weakened', 'unchanged', 'strengthened', name='deterrence_rating', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('deterrence_rationale', sa.Text(), nullable=False),
    sa.Column('repeat_use', sa.Enum('yes', 'no', 'unknown', name='repeat_use', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('lessons', sa.Text(), nullable=False),
    sa.Column('recommendation', sa.Enum('close', 'escalate', 'continue', name='recommendation', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('outcome', sa.String(length=64), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_evaluations_author_id_users')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_evaluations_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluations'))
    )
    with op.batch_alter_table('evaluations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluations_case_id'), ['case_id'], unique=False)

    op.create_table('responses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.Enum('national', 'multilateral', 'international', name='response_level', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('tool', sa.Enum('military', 'legal', 'political', 'diplomatic', 'economic', 'education_outreach', name='response_tool', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('actor', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('legally_binding', sa.Boolean(), nullable=False),
    sa.Column('legal_basis', sa.String(length=300), nullable=False),
    sa.Column('strategies', sa.String(length=200), nullable=False),
    sa.Column('target', sa.String(length=300), nullable=False),
    sa.Column('decided_on', sa.Date(), nullable=True),
    sa.Column('status', sa.Enum('proposed', 'adopted', 'blocked', 'withdrawn', 'implemented', 'lapsed', name='response_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('catalog_key', sa.String(length=64), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_responses_case_id_cases')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_responses_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_responses'))
    )
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.create_index('ix_responses_case_id', ['case_id'], unique=False)

    op.create_table('milestones',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('done_on', sa.Date(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['response_id'], ['responses.id'], name=op.f('fk_milestones_response_id_responses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_milestones'))
    )
    with op.batch_alter_table('milestones', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_milestones_response_id'), ['response_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('milestones', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_milestones_response_id'))

    op.drop_table('milestones')
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_index('ix_responses_case_id')

    op.drop_table('responses')
    with op.batch_alter_table('evaluations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evaluations_case_id'))

    op.drop_table('evaluations')
    with op.batch_alter_table('deterrence_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deterrence_messages_case_id'))

    op.drop_table('deterrence_messages')
