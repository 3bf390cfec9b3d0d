"""case links, and why no sample exists

Cases link to one another as related incidents or as duplicates of the same incident. A
supervisor may record why a case that names an agent has no sample.

Revision ID: 08c55fecfd42
Revises: dc87b63c07f1
Create Date: 2026-11-28 09:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '08c55fecfd42'
down_revision = 'dc87b63c07f1'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN on both databases: SQLite need not rebuild the table others point to.
    op.add_column('cases', sa.Column('no_sample_reason', sa.Text(), server_default='',
                                     nullable=False))
    op.create_table('case_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('linked_case_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('related', 'duplicate', name='link_kind', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('case_id <> linked_case_id', name=op.f('ck_case_links_not_itself')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_links_case_id_cases')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_case_links_created_by_id_users')),
    sa.ForeignKeyConstraint(['linked_case_id'], ['cases.id'], name=op.f('fk_case_links_linked_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_links'))
    )
    with op.batch_alter_table('case_links', schema=None) as batch_op:
        batch_op.create_index('ix_case_links_linked_case_id', ['linked_case_id'], unique=False)
        batch_op.create_index('uq_case_links_pair', ['case_id', 'linked_case_id'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('case_links', schema=None) as batch_op:
        batch_op.drop_index('uq_case_links_pair')
        batch_op.drop_index('ix_case_links_linked_case_id')
    op.drop_table('case_links')
    op.drop_column('cases', 'no_sample_reason')
