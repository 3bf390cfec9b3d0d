"""tasks

Revision ID: fa77edef31e1
Revises: 09fc34d0c0f0
Create Date: 2026-11-27 07:54:03.096475
"""
from alembic import op
import sqlalchemy as sa


revision = 'fa77edef31e1'
down_revision = '09fc34d0c0f0'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('tasks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('stage', sa.Enum('reported', 'investigation', 'attribution', 'legal_consequence', 'implementation', 'evaluation', 'closed', name='task_stage', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('role', sa.Enum('investigator', 'analyst', 'legal_officer', 'supervisor', 'auditor', 'admin', name='task_role', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('open', 'in_progress', 'done', 'cancelled', name='task_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('template', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('completed_by_id', sa.Integer(), nullable=True),
    sa.Column('completed_at', sa.DateTime(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.CheckConstraint("status <> 'done' OR (completed_by_id IS NOT NULL AND completed_at IS NOT NULL)", name=op.f('ck_tasks_done_has_completer')),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_tasks_assignee_id_users')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_tasks_case_id_cases')),
    sa.ForeignKeyConstraint(['completed_by_id'], ['users.id'], name=op.f('fk_tasks_completed_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tasks'))
    )
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.create_index('ix_tasks_assignee_status', ['assignee_id', 'status'], unique=False)
        batch_op.create_index('ix_tasks_case_stage', ['case_id', 'stage'], unique=False)
        batch_op.create_index('ix_tasks_queue', ['role', 'status'], unique=False)

    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index('ix_audit_events_case_to_state_at', ['case_id', 'to_state', 'at'], unique=False)
        batch_op.create_index('ix_audit_events_moves', ['event_type', 'case_id', 'seq', 'to_state', 'at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_moves')
        batch_op.drop_index('ix_audit_events_case_to_state_at')

    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_tasks_queue')
        batch_op.drop_index('ix_tasks_case_stage')
        batch_op.drop_index('ix_tasks_assignee_status')

    op.drop_table('tasks')
