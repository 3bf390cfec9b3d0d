"""The audit log's indexes, one for each query that reads it

Two indexes served reads that now come from the case stays (when a case entered its stage,
the dashboard's moves), and the one on the actor's id served no query: the log is filtered by
the actor's username. Every event wrote all three (a commit of a gate approval wrote five
pages for them); the username filter gets the index it lacked.

Revision ID: 6f3b8a1d2c47
Revises: 8c4d2a7e5f31
Create Date: 2026-12-07 09:00:00
"""
from alembic import op

revision = '6f3b8a1d2c47'
down_revision = '8c4d2a7e5f31'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_audit_events_case_to_state_at", table_name="audit_events")
    op.drop_index("ix_audit_events_moves", table_name="audit_events")
    op.drop_index("ix_audit_events_actor_seq", table_name="audit_events")
    op.create_index("ix_audit_events_actor_username_seq", "audit_events", ["actor_username", "seq"])


def downgrade() -> None:
    op.drop_index("ix_audit_events_actor_username_seq", table_name="audit_events")
    op.create_index("ix_audit_events_actor_seq", "audit_events", ["actor_id", "seq"])
    op.create_index("ix_audit_events_moves", "audit_events",
                    ["event_type", "case_id", "seq", "to_state", "at"])
    op.create_index("ix_audit_events_case_to_state_at", "audit_events",
                    ["case_id", "to_state", "at"])
