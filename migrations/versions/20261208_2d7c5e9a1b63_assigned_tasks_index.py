"""The index of a user's tasks holds only assigned tasks

Most tasks wait unassigned in a queue. Over every task, SQLite's ANALYZE counts the unassigned
ones as one assignee that matches nearly all rows, and the navigation's count of a user's
tasks (run on every page) then scans the table. Holding only assigned tasks, the index keeps
true figures, and it is smaller.

Revision ID: 2d7c5e9a1b63
Revises: 6f3b8a1d2c47
Create Date: 2026-12-08 09:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '2d7c5e9a1b63'
down_revision = '6f3b8a1d2c47'
branch_labels = None
depends_on = None

ASSIGNED = sa.text("assignee_id IS NOT NULL")


def upgrade() -> None:
    op.drop_index("ix_tasks_assignee_status", table_name="tasks")
    op.create_index("ix_tasks_assignee_status", "tasks", ["assignee_id", "status"],
                    sqlite_where=ASSIGNED, postgresql_where=ASSIGNED)


def downgrade() -> None:
    op.drop_index("ix_tasks_assignee_status", table_name="tasks")
    op.create_index("ix_tasks_assignee_status", "tasks", ["assignee_id", "status"])
