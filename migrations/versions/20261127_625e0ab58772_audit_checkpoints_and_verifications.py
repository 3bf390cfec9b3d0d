"""audit checkpoints and verifications

Revision ID: 625e0ab58772
Revises: fa77edef31e1
Create Date: 2026-11-27 07:58:38.011364
"""
from alembic import op
import sqlalchemy as sa

from models.audit_schema import refuse_audit_loss


revision = '625e0ab58772'
down_revision = 'fa77edef31e1'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_checkpoints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('head', sa.String(length=64), nullable=False),
    sa.Column('at', sa.String(length=32), nullable=False),
    sa.Column('key_id', sa.String(length=16), nullable=False),
    sa.Column('signature', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_checkpoints')),
    sa.UniqueConstraint('seq', name=op.f('uq_audit_checkpoints_seq'))
    )
    op.create_table('audit_verifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('by_username', sa.String(length=64), nullable=False),
    sa.Column('ok', sa.Boolean(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('head', sa.String(length=64), nullable=False),
    sa.Column('bad_seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_verifications'))
    )


def refuse_loss(connection) -> None:
    """Refuse, before anything is dropped, if this downgrade would lose audit rows."""
    refuse_audit_loss(connection, "audit_checkpoints", "audit_verifications")


def downgrade() -> None:
    refuse_loss(op.get_bind())
    op.drop_table('audit_verifications')
    op.drop_table('audit_checkpoints')
