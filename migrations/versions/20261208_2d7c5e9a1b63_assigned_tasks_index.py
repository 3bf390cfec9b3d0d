"""The index of a user's tasks holds only assigned tasks

Most tasks wait unassigned in a queue. Over every task, SQLite's ANALYZE counts the unassigned
ones as one assignee that matches nearly all rows, and the navigation's count of a user's
tasks (run on every page) then scans the table. Holding only assigned tasks, the index keeps
true figures, and it is smaller. Dropping the index drops its row of SQLite's statistics
(7a2f4c8e1b63): the new index gets one of its own.

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
#: Its row of sqlite_stat1, as 7a2f4c8e1b63 wrote them: of 100,000 tasks, 20,000 assigned, a
#: user holding 200 of them, 100 in one status. The former index's row, for the downgrade.
STATISTICS = "20000 200 100"
FORMER_STATISTICS = "100000 20000 10000"


def upgrade() -> None:
    op.drop_index("ix_tasks_assignee_status", table_name="tasks")
    op.create_index("ix_tasks_assignee_status", "tasks", ["assignee_id", "status"],
                    sqlite_where=ASSIGNED, postgresql_where=ASSIGNED)
    _statistics(STATISTICS)


def downgrade() -> None:
    op.drop_index("ix_tasks_assignee_status", table_name="tasks")
    op.create_index("ix_tasks_assignee_status", "tasks", ["assignee_id", "status"])
    _statistics(FORMER_STATISTICS)


def _statistics(stat: str) -> None:
    """The index's row of SQLite's statistics (dropping the index dropped the one it had)."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(sa.text("INSERT INTO sqlite_stat1 (tbl, idx, stat) "
                           "VALUES ('tasks', 'ix_tasks_assignee_status', :stat)").bindparams(stat=stat))
