"""cases, teams and gate requests

Revision ID: 42b3192be9c5
Revises: 7f14f82a93ff
Create Date: 2026-11-27 07:00:00.237401
"""
import sqlalchemy as sa
from alembic import op

revision = '42b3192be9c5'
down_revision = '7f14f82a93ff'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('case_counters',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_case_counters'))
    )
    op.create_table('cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=True),
    sa.Column('occurred_precision', sa.Enum('day', 'month', 'year', name='precision', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('country', sa.String(length=100), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('latitude', sa.Numeric(precision=9, scale=6), nullable=True),
    sa.Column('longitude', sa.Numeric(precision=9, scale=6), nullable=True),
    sa.Column('suspected_agent', sa.Enum('chlorine', 'sarin', 'sulfur_mustard', 'vx', 'novichok', 'other', 'unknown', name='agent', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('delivery_means', sa.String(length=200), nullable=False),
    sa.Column('deaths', sa.Integer(), nullable=True),
    sa.Column('injured', sa.Integer(), nullable=True),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('state', sa.Enum('reported', 'investigation', 'attribution', 'legal_consequence', 'implementation', 'evaluation', 'closed', name='stage', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('outcome', sa.String(length=64), nullable=True),
    sa.Column('source_id', sa.String(length=100), nullable=True),
    sa.Column('history_imported', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('opened_by_id', sa.Integer(), nullable=True),
    sa.Column('opened_at', sa.DateTime(), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("state <> 'closed' OR (outcome IS NOT NULL AND closed_at IS NOT NULL)", name=op.f('ck_cases_closed_has_outcome')),
    sa.CheckConstraint('deaths IS NULL OR deaths >= 0', name=op.f('ck_cases_deaths_not_negative')),
    sa.CheckConstraint('injured IS NULL OR injured >= 0', name=op.f('ck_cases_injured_not_negative')),
    sa.CheckConstraint('latitude IS NULL OR (latitude >= -90 AND latitude <= 90)', name=op.f('ck_cases_latitude_range')),
    sa.CheckConstraint('longitude IS NULL OR (longitude >= -180 AND longitude <= 180)', name=op.f('ck_cases_longitude_range')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_cases_version_positive')),
    sa.ForeignKeyConstraint(['opened_by_id'], ['users.id'], name=op.f('fk_cases_opened_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cases')),
    sa.UniqueConstraint('reference', name=op.f('uq_cases_reference')),
    sa.UniqueConstraint('source_id', name=op.f('uq_cases_source_id'))
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_occurred_on', ['occurred_on'], unique=False)
        batch_op.create_index('ix_cases_state', ['state'], unique=False)

    op.create_table('case_members',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('case_role', sa.Enum('lead_investigator', 'investigator', 'analyst', 'legal_officer', name='case_role', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('added_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_members_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_case_members_user_id_users')),
    sa.PrimaryKeyConstraint('case_id', 'user_id', name=op.f('pk_case_members'))
    )
    with op.batch_alter_table('case_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_members_user_id'), ['user_id'], unique=False)
        batch_op.create_index('uq_case_members_one_lead', ['case_id'], unique=True, sqlite_where=sa.text("case_role = 'lead_investigator'"), postgresql_where=sa.text("case_role = 'lead_investigator'"))

    op.create_table('gate_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('from_state', sa.Enum('reported', 'investigation', 'attribution', 'legal_consequence', 'implementation', 'evaluation', 'closed', name='from_stage', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('target', sa.Enum('reported', 'investigation', 'attribution', 'legal_consequence', 'implementation', 'evaluation', 'closed', name='target_stage', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('requested_at', sa.DateTime(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('checklist', sa.Text(), nullable=False),
    sa.Column('decision', sa.Enum('pending', 'approved', 'rejected', 'withdrawn', name='decision', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.CheckConstraint("decision = 'pending' OR (decided_by_id IS NOT NULL AND decided_at IS NOT NULL)", name=op.f('ck_gate_requests_decided_has_decider')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_gate_requests_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_gate_requests_decided_by_id_users')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_gate_requests_requested_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gate_requests'))
    )
    with op.batch_alter_table('gate_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gate_requests_case_id'), ['case_id'], unique=False)
        batch_op.create_index('uq_gate_requests_one_pending', ['case_id'], unique=True, sqlite_where=sa.text("decision = 'pending'"), postgresql_where=sa.text("decision = 'pending'"))



def downgrade() -> None:
    with op.batch_alter_table('gate_requests', schema=None) as batch_op:
        batch_op.drop_index('uq_gate_requests_one_pending', sqlite_where=sa.text("decision = 'pending'"), postgresql_where=sa.text("decision = 'pending'"))
        batch_op.drop_index(batch_op.f('ix_gate_requests_case_id'))

    op.drop_table('gate_requests')
    with op.batch_alter_table('case_members', schema=None) as batch_op:
        batch_op.drop_index('uq_case_members_one_lead', sqlite_where=sa.text("case_role = 'lead_investigator'"), postgresql_where=sa.text("case_role = 'lead_investigator'"))
        batch_op.drop_index(batch_op.f('ix_case_members_user_id'))

    op.drop_table('case_members')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_state')
        batch_op.drop_index('ix_cases_occurred_on')

    op.drop_table('cases')
    op.drop_table('case_counters')
