"""a finding names the body that made it: the investigating body of a use determination, the
attributing body of an attribution (the body register's entry)

Revision ID: 9d4c1f7a2e60
Revises: 4f2a8c6e1b93
Create Date: 2026-12-02 09:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '9d4c1f7a2e60'
down_revision = '4f2a8c6e1b93'
branch_labels = None
depends_on = None

KEPT = "citations_kept_during_migration"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column with its key in place: `findings`, which the citations point
        # to, is not rebuilt.
        op.execute("ALTER TABLE findings ADD COLUMN body_id INTEGER "
                   "CONSTRAINT fk_findings_body_id_register_entries REFERENCES register_entries (id)")
    else:
        op.add_column('findings', sa.Column('body_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_findings_body_id_register_entries'), 'findings',
                              'register_entries', ['body_id'], ['id'])
    op.create_index('ix_findings_body_id', 'findings', ['body_id'], unique=False)


def downgrade() -> None:
    connection = op.get_bind()
    op.drop_index('ix_findings_body_id', table_name='findings')
    if connection.dialect.name == "sqlite":
        # SQLite drops a column with a key only by rebuilding the table; the citations that
        # point to it wait aside meanwhile (foreign keys stay on).
        connection.execute(sa.text(f"CREATE TEMPORARY TABLE {KEPT} AS SELECT * FROM finding_citations"))
        connection.execute(sa.text("DELETE FROM finding_citations"))
    with op.batch_alter_table('findings', schema=None) as batch_op:
        if connection.dialect.name != "sqlite":  # there the key goes with its column
            batch_op.drop_constraint(batch_op.f('fk_findings_body_id_register_entries'),
                                     type_='foreignkey')
        batch_op.drop_column('body_id')
    if connection.dialect.name == "sqlite":
        connection.execute(sa.text(f"INSERT INTO finding_citations SELECT * FROM {KEPT}"))
        connection.execute(sa.text(f"DROP TABLE {KEPT}"))
