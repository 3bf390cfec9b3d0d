"""case stays, stay tallies and figure counts, filled from the log and the tables; list indexes

Each case's stays in the stages (entered, left, days) and, per stage, how many ended stays
lasted each whole number of days: the dashboard reads these instead of every move. They are
filled here from the moves already in the audit log (a stay an imported history ended has
no length). The cases per stage, the responses per cell and status of the menu and the gate
decisions are counted into figure_counts. The case list gets one index per sort and filter,
each ending in the id.

Revision ID: 5e7a1c3d9b24
Revises: d41c7e9a2b56
Create Date: 2026-11-28 09:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '5e7a1c3d9b24'
down_revision = 'd41c7e9a2b56'
branch_labels = None
depends_on = None

STAGES = ('reported', 'investigation', 'attribution', 'legal_consequence', 'implementation',
          'evaluation', 'closed')
OPEN = sa.text("left_at IS NULL")
STALLABLE = sa.text("left_at IS NULL AND stage <> 'closed'")
CASE_INDEXES = {
    "ix_cases_state_id": ["state", "id"],
    "ix_cases_occurred_on_id": ["occurred_on", "id"],
    "ix_cases_opened_at_id": ["opened_at", "id"],
    "ix_cases_title_id": ["title", "id"],
    "ix_cases_country_id": ["country", "id"],
    "ix_cases_suspected_agent_id": ["suspected_agent", "id"],
}
#: A stay's length in days, and its whole day in the tally, as each database computes them.
DAYS = {"postgresql": "EXTRACT(EPOCH FROM (next_at - at)) / 86400",
        "sqlite": "julianday(next_at) - julianday(at)"}
DAY = {"postgresql": "CASE WHEN days < 1 THEN 0 ELSE CAST(floor(days) AS INTEGER) END",
       "sqlite": "CASE WHEN days < 1 THEN 0 ELSE CAST(days AS INTEGER) END"}
#: The counts the dashboard shows for every case: figure, key, the rows counted.
COUNTED = (("stage", "state", "cases"),
           ("menu", "level || '/' || tool || '/' || status", "responses"),
           ("gate", "from_state || '/' || target || '/' || decision",
            "gate_requests WHERE decision IN ('approved', 'rejected')"))


def _stage(name: str) -> sa.Enum:
    return sa.Enum(*STAGES, name=name, native_enum=False, create_constraint=True, length=32)


def upgrade() -> None:
    op.create_table('case_stays',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('stage', _stage('stay_stage'), nullable=False),
    sa.Column('entered_at', sa.DateTime(), nullable=False),
    sa.Column('left_at', sa.DateTime(), nullable=True),
    sa.Column('days', sa.Float(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_stays'))
    )
    with op.batch_alter_table('case_stays', schema=None) as batch_op:
        batch_op.create_index('uq_case_stays_open', ['case_id'], unique=True,
                              sqlite_where=OPEN, postgresql_where=OPEN)
        batch_op.create_index('ix_case_stays_open_since', ['entered_at', 'case_id'], unique=False,
                              sqlite_where=STALLABLE, postgresql_where=STALLABLE)
        batch_op.create_index('ix_case_stays_stage_days', ['stage', 'days'], unique=False)
        batch_op.create_index('ix_case_stays_case_id', ['case_id'], unique=False)
    op.create_table('stay_tallies',
    sa.Column('stage', _stage('tally_stage'), nullable=False),
    sa.Column('day', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('stays', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('stage', 'day', name=op.f('pk_stay_tallies'))
    )
    op.create_table('figure_counts',
    sa.Column('figure', sa.String(length=16), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('figure', 'key', name=op.f('pk_figure_counts'))
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_state')
        batch_op.drop_index('ix_cases_occurred_on')
        for name, columns in CASE_INDEXES.items():
            batch_op.create_index(name, columns, unique=False)
    _fill()


def _fill() -> None:
    """Every case's stays from its moves in the audit log, in order; then the tallies."""
    dialect = op.get_bind().dialect.name
    op.execute(
        "INSERT INTO case_stays (case_id, stage, entered_at, left_at, days) "
        "SELECT case_id, to_state, at, next_at, "
        f"CASE WHEN next_type = 'history_imported' THEN NULL ELSE {DAYS[dialect]} END "
        "FROM (SELECT case_id, to_state, at, seq, "
        "LEAD(at) OVER (PARTITION BY case_id ORDER BY seq) AS next_at, "
        "LEAD(event_type) OVER (PARTITION BY case_id ORDER BY seq) AS next_type "
        "FROM audit_events WHERE to_state IS NOT NULL AND case_id IS NOT NULL) moves "
        "ORDER BY case_id, seq")
    op.execute(f"INSERT INTO stay_tallies (stage, day, stays) SELECT stage, day, count(*) "
               f"FROM (SELECT stage, {DAY[dialect]} AS day FROM case_stays "
               f"WHERE days IS NOT NULL) ended GROUP BY stage, day")
    for figure, key, rows in COUNTED:
        op.execute(f"INSERT INTO figure_counts (figure, key, count) SELECT '{figure}', {key}, "
                   f"count(*) FROM {rows} GROUP BY {key}")


def downgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        for name in CASE_INDEXES:
            batch_op.drop_index(name)
        batch_op.create_index('ix_cases_occurred_on', ['occurred_on'], unique=False)
        batch_op.create_index('ix_cases_state', ['state'], unique=False)
    op.drop_table('figure_counts')
    op.drop_table('stay_tallies')
    with op.batch_alter_table('case_stays', schema=None) as batch_op:
        batch_op.drop_index('ix_case_stays_case_id')
        batch_op.drop_index('ix_case_stays_stage_days')
        batch_op.drop_index('ix_case_stays_open_since', sqlite_where=STALLABLE,
                            postgresql_where=STALLABLE)
        batch_op.drop_index('uq_case_stays_open', sqlite_where=OPEN, postgresql_where=OPEN)
    op.drop_table('case_stays')
