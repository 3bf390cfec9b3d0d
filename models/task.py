"""Tasks: the work of each stage, queued by role and claimed or assigned."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, choice
from models.case import Case
from models.user import User
from vocabulary import OPEN_TASK_STATUSES, ROLES, STAGES, TASK_STATUSES
from workflow.clock import utcnow



class Task(Base):
    """A piece of work on a case, in a stage, for a role."""

    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_case_stage", "case_id", "stage"),
        Index("ix_tasks_queue", "role", "status"),
        # A user's tasks. Most tasks wait unassigned in a queue: over every task, SQLite's
        # ANALYZE would count them as one assignee matching nearly all rows, and scan the table.
        Index("ix_tasks_assignee_status", "assignee_id", "status",
              sqlite_where=text("assignee_id IS NOT NULL"),
              postgresql_where=text("assignee_id IS NOT NULL")),
        CheckConstraint("status <> 'done' OR (completed_by_id IS NOT NULL AND completed_at IS NOT NULL)",
                        name="done_has_completer"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    stage: Mapped[str] = mapped_column(choice(*STAGES, name="task_stage"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    #: A gate leaving the stage waits for every required task of it.
    required: Mapped[bool] = mapped_column(default=False)
    #: The queue: any holder of this role may claim the task.
    role: Mapped[str] = mapped_column(choice(*ROLES, name="task_role"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(choice(*TASK_STATUSES, name="task_status"), default="open")
    due_on: Mapped[date | None] = mapped_column(Date)
    #: The stage template it came from, if any.
    template: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    completed_at: Mapped[datetime | None]
    note: Mapped[str] = mapped_column(Text, default="")

    case: Mapped[Case] = relationship()
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id], lazy="joined")
    completed_by: Mapped[User | None] = relationship(foreign_keys=[completed_by_id], lazy="joined")

    def overdue(self, today: date) -> bool:
        return self.status in OPEN_TASK_STATUSES and self.due_on is not None and self.due_on < today
