"""search index: one entry per searchable record, SQLite FTS5 or a PostgreSQL tsvector + GIN

Indexes the records already in the database, so an upgraded database finds them too.

Revision ID: 5e4c1d2a9f70
Revises: 08c55fecfd42
Create Date: 2026-11-28 09:00:00
"""
import sqlalchemy as sa
from alembic import op

from models.search import (DOCUMENT, POSTGRESQL_INDEX, POSTGRESQL_STATEMENTS,
                           drop_sqlite_statements, sqlite_statements)
from workflow import search

revision = '5e4c1d2a9f70'
down_revision = '08c55fecfd42'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('search_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_type', sa.String(length=32), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('terms', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_search_entries_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_entries')),
    sa.UniqueConstraint('record_type', 'record_id', name=op.f('uq_search_entries_record_type'))
    )
    op.create_index('ix_search_entries_case_id', 'search_entries', ['case_id'], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRESQL_STATEMENTS:
            op.execute(statement)
    else:
        for statement in sqlite_statements():
            op.execute(statement)
    search.rebuild(op.get_bind())


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index(POSTGRESQL_INDEX, table_name='search_entries')
        op.drop_column('search_entries', DOCUMENT)
    else:
        for statement in drop_sqlite_statements():
            op.execute(statement)
    op.drop_index('ix_search_entries_case_id', table_name='search_entries')
    op.drop_table('search_entries')
