"""evidence, custody, laboratory analyses and findings

Revision ID: 0062f720cbd6
Revises: 42b3192be9c5
Create Date: 2026-11-27 07:17:34.347253
"""
import sqlalchemy as sa
from alembic import op

revision = '0062f720cbd6'
down_revision = '42b3192be9c5'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('evidence_objects',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('detected_type', sa.String(length=100), nullable=True),
    sa.Column('stored_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('sha256', name=op.f('pk_evidence_objects'))
    )
    op.create_table('evidence_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('environmental_sample', 'biomedical_sample', 'munition_remnant', 'witness_interview', 'medical_record', 'open_source_media', 'imagery', 'lab_report', 'document', 'other', name='evidence_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.Column('collected_at', sa.DateTime(), nullable=True),
    sa.Column('collected_by', sa.String(length=200), nullable=False),
    sa.Column('source_grade', sa.Enum('A', 'B', 'C', 'D', 'E', 'F', name='source_grade', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('information_grade', sa.Enum('1', '2', '3', '4', '5', '6', name='information_grade', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('stage_added', sa.Enum('reported', 'investigation', 'attribution', 'legal_consequence', 'implementation', 'evaluation', 'closed', name='evidence_stage', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('status', sa.Enum('active', 'withdrawn', name='evidence_status', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('withdrawn_reason', sa.Text(), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('original_filename', sa.String(length=255), nullable=False),
    sa.Column('claimed_type', sa.String(length=100), nullable=False),
    sa.Column('added_by_id', sa.Integer(), nullable=False),
    sa.Column('added_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("status = 'active' OR withdrawn_reason <> ''", name=op.f('ck_evidence_items_withdrawn_has_reason')),
    sa.ForeignKeyConstraint(['added_by_id'], ['users.id'], name=op.f('fk_evidence_items_added_by_id_users')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_evidence_items_case_id_cases')),
    sa.ForeignKeyConstraint(['sha256'], ['evidence_objects.sha256'], name=op.f('fk_evidence_items_sha256_evidence_objects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence_items'))
    )
    with op.batch_alter_table('evidence_items', schema=None) as batch_op:
        batch_op.create_index('ix_evidence_items_case_id', ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evidence_items_sha256'), ['sha256'], unique=False)

    op.create_table('findings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('use_determination', 'attribution', name='finding_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('conclusion', sa.Enum('confirmed', 'likely', 'not_confirmed', 'attributed', 'inconclusive', name='conclusion', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('agent', sa.String(length=32), nullable=False),
    sa.Column('responsible_party', sa.String(length=300), nullable=False),
    sa.Column('party_type', sa.String(length=32), nullable=False),
    sa.Column('standard_of_proof', sa.String(length=32), nullable=False),
    sa.Column('rationale', sa.Text(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_findings_author_id_users')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_findings_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_findings'))
    )
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.create_index('ix_findings_case_kind', ['case_id', 'kind', 'id'], unique=False)

    op.create_table('custody_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('evidence_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.Enum('collected', 'sealed', 'transferred', 'received', 'analysed', 'stored', 'returned', name='custody_action', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('from_holder', sa.String(length=200), nullable=False),
    sa.Column('to_holder', sa.String(length=200), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('seal_id', sa.String(length=100), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['evidence_id'], ['evidence_items.id'], name=op.f('fk_custody_events_evidence_id_evidence_items')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_custody_events_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_custody_events'))
    )
    with op.batch_alter_table('custody_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_custody_events_evidence_id'), ['evidence_id'], unique=False)

    op.create_table('finding_citations',
    sa.Column('finding_id', sa.Integer(), nullable=False),
    sa.Column('evidence_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['evidence_id'], ['evidence_items.id'], name=op.f('fk_finding_citations_evidence_id_evidence_items')),
    sa.ForeignKeyConstraint(['finding_id'], ['findings.id'], name=op.f('fk_finding_citations_finding_id_findings')),
    sa.PrimaryKeyConstraint('finding_id', 'evidence_id', name=op.f('pk_finding_citations'))
    )
    op.create_table('lab_analyses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('evidence_id', sa.Integer(), nullable=False),
    sa.Column('laboratory', sa.String(length=200), nullable=False),
    sa.Column('designated', sa.Boolean(), nullable=False),
    sa.Column('method', sa.String(length=300), nullable=False),
    sa.Column('result', sa.Text(), nullable=False),
    sa.Column('report_ref', sa.String(length=200), nullable=False),
    sa.Column('analysed_on', sa.Date(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['evidence_id'], ['evidence_items.id'], name=op.f('fk_lab_analyses_evidence_id_evidence_items')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_lab_analyses_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lab_analyses'))
    )
    with op.batch_alter_table('lab_analyses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lab_analyses_evidence_id'), ['evidence_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('lab_analyses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lab_analyses_evidence_id'))

    op.drop_table('lab_analyses')
    op.drop_table('finding_citations')
    with op.batch_alter_table('custody_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_custody_events_evidence_id'))

    op.drop_table('custody_events')
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.drop_index('ix_findings_case_kind')

    op.drop_table('findings')
    with op.batch_alter_table('evidence_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evidence_items_sha256'))
        batch_op.drop_index('ix_evidence_items_case_id')

    op.drop_table('evidence_items')
    op.drop_table('evidence_objects')
