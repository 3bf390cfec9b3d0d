"""registers of parties, bodies, instruments, fora and actors, with aliases; findings link a party

Revision ID: 3b8e6f1a4c27
Revises: 5e4c1d2a9f70
Create Date: 2026-11-29 09:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '3b8e6f1a4c27'
down_revision = '5e4c1d2a9f70'
branch_labels = None
depends_on = None

REGISTER = sa.Enum('party', 'body', 'instrument', 'forum', 'actor', name='register_name',
                   native_enum=False, create_constraint=True, length=16)
KIND_RULE = (
    "(register = 'party' AND kind IN ('state', 'state_organ', 'non_state_group', 'individual')) "
    "OR (register = 'body' AND kind IN ('international', 'national', 'non_governmental')) "
    "OR (register = 'instrument' AND kind IN ('treaty', 'resolution', 'sanctions_regime', 'national_law')) "
    "OR (register = 'forum' AND kind IN ('international', 'national')) "
    "OR (register = 'actor' AND kind IN ('state', 'state_organ', 'organisation', 'non_governmental'))")
MERGED_RULE = ("CASE WHEN status = 'merged' THEN merged_into_id IS NOT NULL "
               "ELSE merged_into_id IS NULL END")
PARTY_LINK_RULE = "conclusion = 'attributed' OR party_id IS NULL"
KEPT = "citations_kept_during_migration"


def upgrade() -> None:
    op.create_table('register_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('register', REGISTER, nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('status', sa.Enum('accepted', 'proposed', 'merged', name='register_status', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint(KIND_RULE, name=op.f('ck_register_entries_kind_of_register')),
    sa.CheckConstraint(MERGED_RULE, name=op.f('ck_register_entries_merged_has_target')),
    sa.CheckConstraint('parent_id IS NULL OR parent_id <> id', name=op.f('ck_register_entries_not_own_parent')),
    sa.CheckConstraint('merged_into_id IS NULL OR merged_into_id <> id', name=op.f('ck_register_entries_not_merged_into_itself')),
    sa.CheckConstraint("trim(name) <> ''", name=op.f('ck_register_entries_has_name')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_register_entries_created_by_id_users')),
    sa.ForeignKeyConstraint(['parent_id', 'register'], ['register_entries.id', 'register_entries.register'], name='fk_register_entries_parent_id_register_entries'),
    sa.ForeignKeyConstraint(['merged_into_id', 'register'], ['register_entries.id', 'register_entries.register'], name='fk_register_entries_merged_into_id_register_entries'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_register_entries')),
    sa.UniqueConstraint('id', 'register', name='uq_register_entries_id_register')
    )
    with op.batch_alter_table('register_entries', schema=None) as batch_op:
        batch_op.create_index('ix_register_entries_register_status', ['register', 'status'], unique=False)
    op.create_table('register_aliases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('register', REGISTER, nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('key', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("trim(key) <> ''", name=op.f('ck_register_aliases_has_key')),
    sa.ForeignKeyConstraint(['entry_id', 'register'], ['register_entries.id', 'register_entries.register'], name='fk_register_aliases_entry_id_register_entries'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_register_aliases'))
    )
    with op.batch_alter_table('register_aliases', schema=None) as batch_op:
        batch_op.create_index('uq_register_aliases_register_key', ['register', 'key'], unique=True)
        batch_op.create_index('ix_register_aliases_entry_id', ['entry_id'], unique=False)

    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column with its key and CHECK in place: `findings`, which the citations
        # point to, is not rebuilt.
        op.execute("ALTER TABLE findings ADD COLUMN party_id INTEGER "
                   "CONSTRAINT fk_findings_party_id_register_entries REFERENCES register_entries (id) "
                   f"CONSTRAINT ck_findings_party_link CHECK ({PARTY_LINK_RULE})")
    else:
        op.add_column('findings', sa.Column('party_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_findings_party_id_register_entries'), 'findings',
                              'register_entries', ['party_id'], ['id'])
        op.create_check_constraint(op.f('ck_findings_party_link'), 'findings', PARTY_LINK_RULE)
    op.create_index('ix_findings_party_id', 'findings', ['party_id'], unique=False)


def downgrade() -> None:
    connection = op.get_bind()
    op.drop_index('ix_findings_party_id', table_name='findings')
    if connection.dialect.name == "sqlite":
        # SQLite drops a column with a key or a CHECK only by rebuilding the table; the
        # citations that point to it wait aside meanwhile (foreign keys stay on).
        connection.execute(sa.text(f"CREATE TEMPORARY TABLE {KEPT} AS SELECT * FROM finding_citations"))
        connection.execute(sa.text("DELETE FROM finding_citations"))
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_findings_party_link'), type_='check')
        if connection.dialect.name != "sqlite":  # there the key goes with its column
            batch_op.drop_constraint(batch_op.f('fk_findings_party_id_register_entries'),
                                     type_='foreignkey')
        batch_op.drop_column('party_id')
    if connection.dialect.name == "sqlite":
        connection.execute(sa.text(f"INSERT INTO finding_citations SELECT * FROM {KEPT}"))
        connection.execute(sa.text(f"DROP TABLE {KEPT}"))
    with op.batch_alter_table('register_aliases', schema=None) as batch_op:
        batch_op.drop_index('ix_register_aliases_entry_id')
        batch_op.drop_index('uq_register_aliases_register_key')
    op.drop_table('register_aliases')
    with op.batch_alter_table('register_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_register_entries_register_status')
    op.drop_table('register_entries')
