"""SQLite's planner told how selective the tasks' indexes are

SQLite keeps no statistics unless ANALYZE runs, and without them it takes a task's queue
(role, status), which nearly every open task shares, for the narrowest index: a team member's
queue then read every open task of the role (45 ms at 100,000 cases) instead of their cases'
few (under 1 ms). These rows say what ANALYZE would find; an ANALYZE replaces them with the
real figures. PostgreSQL analyses its tables by itself.

Revision ID: 7a2f4c8e1b63
Revises: 5d1c7e3a9b20
Create Date: 2026-12-05 10:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '7a2f4c8e1b63'
down_revision = '5d1c7e3a9b20'
branch_labels = None
depends_on = None

#: Rows of sqlite_stat1: of 100,000 tasks, how many share one value of each index's leading
#: columns (https://sqlite.org/fileformat2.html#stat1tab).
STATISTICS = {"ix_tasks_case_stage": "100000 5 2", "ix_tasks_queue": "100000 25000 10000",
              "ix_tasks_assignee_status": "100000 20000 10000"}


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("ANALYZE sqlite_schema")  # creates sqlite_stat1, and analyses no table of ours
    op.execute(sa.text("DELETE FROM sqlite_stat1 WHERE tbl = 'tasks'"))
    for index, stat in STATISTICS.items():
        op.execute(sa.text("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ('tasks', :idx, :stat)")
                   .bindparams(idx=index, stat=stat))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(sa.text("DELETE FROM sqlite_stat1 WHERE tbl = 'tasks'"))
