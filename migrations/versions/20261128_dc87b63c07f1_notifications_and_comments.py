"""notifications (the mail outbox too), email preferences, and append-only comments

Notifications are what a person is told of; their email columns make the table the outbox
the mail worker sends from. Comments are notes on a case, an evidence item or a response:
triggers refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL), as on the audit tables.

Revision ID: dc87b63c07f1
Revises: 5e1a7c3d9b20
Create Date: 2026-11-28 00:55:51.335595
"""
from alembic import op
import sqlalchemy as sa

from models.audit_schema import append_only, drop_append_only


revision = 'dc87b63c07f1'
down_revision = '5e1a7c3d9b20'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('notification_preferences',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('gate_requested', 'gate_decided', 'task_assigned', 'task_queued', 'mentioned', 'team_added', 'task_overdue', 'milestone_overdue', 'stage_overdue', name='preference_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('email', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notification_preferences_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'kind', name=op.f('pk_notification_preferences'))
    )
    op.create_table('comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.Enum('case', 'evidence', 'response', name='comment_subject', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('corrects_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("(subject = 'case') = (subject_id IS NULL)", name=op.f('ck_comments_subject_id_matches')),
    sa.CheckConstraint("trim(body) <> ''", name=op.f('ck_comments_body_not_blank')),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_comments_author_id_users')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_comments_case_id_cases')),
    sa.ForeignKeyConstraint(['corrects_id'], ['comments.id'], name=op.f('fk_comments_corrects_id_comments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comments'))
    )
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.create_index('ix_comments_subject', ['case_id', 'subject', 'subject_id'], unique=False)
    for statement in append_only(op.get_bind().dialect.name, 'comments'):
        op.execute(statement)

    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('gate_requested', 'gate_decided', 'task_assigned', 'task_queued', 'mentioned', 'team_added', 'task_overdue', 'milestone_overdue', 'stage_overdue', name='notification_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('entity_type', sa.String(length=64), nullable=True),
    sa.Column('entity_id', sa.String(length=64), nullable=True),
    sa.Column('actor_username', sa.String(length=64), nullable=True),
    sa.Column('details', sa.Text(), nullable=False),
    sa.Column('audit_seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('dedupe_key', sa.String(length=100), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('read_at', sa.DateTime(), nullable=True),
    sa.Column('email_state', sa.Enum('pending', 'sent', 'skipped', name='email_state', native_enum=False, create_constraint=True, length=16), nullable=True),
    sa.Column('email_attempts', sa.Integer(), nullable=False),
    sa.Column('email_next_at', sa.DateTime(), nullable=True),
    sa.Column('email_lease_until', sa.DateTime(), nullable=True),
    sa.Column('email_sent_at', sa.DateTime(), nullable=True),
    sa.Column('email_error', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_notifications_case_id_cases')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
    sa.UniqueConstraint('user_id', 'dedupe_key', name='uq_notifications_user_dedupe')
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_email_due', ['email_next_at'], unique=False, sqlite_where=sa.text("email_state = 'pending'"), postgresql_where=sa.text("email_state = 'pending'"))
        batch_op.create_index('ix_notifications_user_read', ['user_id', 'read_at', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_user_read')
        batch_op.drop_index('ix_notifications_email_due', sqlite_where=sa.text("email_state = 'pending'"), postgresql_where=sa.text("email_state = 'pending'"))

    op.drop_table('notifications')
    for statement in drop_append_only(op.get_bind().dialect.name, 'comments'):
        op.execute(statement)
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_index('ix_comments_subject')

    op.drop_table('comments')
    op.drop_table('notification_preferences')
