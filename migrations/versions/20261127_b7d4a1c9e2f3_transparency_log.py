"""transparency log: Merkle tree, signed-note checkpoints, cosignatures, append-only checkpoints

Revision ID: b7d4a1c9e2f3
Revises: 625e0ab58772
Create Date: 2026-11-27 21:30:00

Builds the tree over the events already in the log, so old logs get proofs too.
"""
import sqlalchemy as sa
from alembic import op

from models.audit_schema import (POSTGRESQL_FUNCTION, append_only, drop_append_only,
                                 refuse_audit_loss)
from workflow.merkle import Frontier, leaf_hash

revision = 'b7d4a1c9e2f3'
down_revision = '625e0ab58772'
branch_labels = None
depends_on = None

SEQ = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
APPEND_ONLY = ("audit_tree", "audit_checkpoints", "audit_cosignatures", "audit_verifications")
BATCH = 10_000


def _build_tree(connection) -> None:
    """One tree row per existing event, in seq order."""
    tree, frontier, rows = sa.table("audit_tree", sa.column("seq"), sa.column("nodes")), Frontier(), []
    result = connection.execute(
        sa.text("SELECT seq, hash FROM audit_events ORDER BY seq").execution_options(yield_per=BATCH))
    for seq, hash_ in result:
        rows.append({"seq": seq, "nodes": b"".join(frontier.append(leaf_hash(bytes.fromhex(hash_))))})
        if len(rows) == BATCH:
            connection.execute(tree.insert(), rows)
            rows = []
    if rows:
        connection.execute(tree.insert(), rows)


def upgrade() -> None:
    op.create_table('audit_tree',
    sa.Column('seq', SEQ, autoincrement=False, nullable=False),
    sa.Column('nodes', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_tree'))
    )
    with op.batch_alter_table('audit_checkpoints', schema=None) as batch_op:
        batch_op.add_column(sa.Column('root', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('note', sa.Text(), nullable=True))
    op.create_table('audit_cosignatures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('checkpoint_id', sa.Integer(), nullable=False),
    sa.Column('witness', sa.String(length=200), nullable=False),
    sa.Column('key_hash', sa.String(length=8), nullable=False),
    sa.Column('timestamp', sa.BigInteger(), nullable=False),
    sa.Column('line', sa.Text(), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['checkpoint_id'], ['audit_checkpoints.id'], name=op.f('fk_audit_cosignatures_checkpoint_id_audit_checkpoints')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_cosignatures')),
    sa.UniqueConstraint('checkpoint_id', 'witness', 'key_hash', name=op.f('uq_audit_cosignatures_checkpoint_id'))
    )
    _build_tree(op.get_bind())
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(POSTGRESQL_FUNCTION)
    for table in APPEND_ONLY:
        for statement in append_only(dialect, table):
            op.execute(statement)


def refuse_loss(connection) -> None:
    """Refuse, before anything is dropped, if this downgrade would lose audit rows."""
    refuse_audit_loss(connection, "audit_tree", "audit_cosignatures")
    # Signed notes would go with their columns.
    refuse_audit_loss(connection, "audit_checkpoints", where="note IS NOT NULL")


def downgrade() -> None:
    refuse_loss(op.get_bind())
    dialect = op.get_bind().dialect.name
    for table in APPEND_ONLY:
        for statement in drop_append_only(dialect, table):
            op.execute(statement)
    if dialect == "postgresql":
        op.execute("DROP FUNCTION audit_refuse_change()")
    op.drop_table('audit_cosignatures')
    with op.batch_alter_table('audit_checkpoints', schema=None) as batch_op:
        batch_op.drop_column('note')
        batch_op.drop_column('root')
    op.drop_table('audit_tree')
