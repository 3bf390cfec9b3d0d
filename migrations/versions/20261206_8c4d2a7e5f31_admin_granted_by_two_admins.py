"""The admin role granted only when a second admin approves

An admin who could make a second admin account at once could approve their own proposals
with it: the two-admin rule held only while admins were made by two.

Revision ID: 8c4d2a7e5f31
Revises: 3e9a6c2f8d14
Create Date: 2026-12-06 11:00:00
"""
from alembic import op

revision = '8c4d2a7e5f31'
down_revision = '3e9a6c2f8d14'
branch_labels = None
depends_on = None


def _roles(roles: str) -> None:
    with op.batch_alter_table('role_grants', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_role_grants_two_admin_role'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_role_grants_two_admin_role'), f"role IN ({roles})")


def upgrade() -> None:
    _roles("'supervisor', 'auditor', 'admin'")


def downgrade() -> None:
    op.execute("DELETE FROM role_grants WHERE role = 'admin'")
    _roles("'supervisor', 'auditor'")
