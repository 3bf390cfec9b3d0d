"""finding and gate request rules: CHECKs, and citations only of the finding's own case

Findings: each kind reaches only its conclusions; a use determination that finds use names
a known agent; only an attribution that attributes names a responsible party, its type and
the standard of proof. Gate requests lead elsewhere than their source, and a rejection says
why. A citation carries its case, and two composite keys tie it to the finding and to the
evidence item of that same case.

The upgrade refuses, changing nothing, while rows already in the database break a rule.

Revision ID: d41c7e9a2b56
Revises: 747c0d859474
Create Date: 2026-11-27 22:40:00
"""
import sqlalchemy as sa
from alembic import op

from models.migrate import refuse_rows

revision = 'd41c7e9a2b56'
down_revision = '747c0d859474'
branch_labels = None
depends_on = None

AGENTS = "'chlorine', 'sarin', 'sulfur_mustard', 'vx', 'novichok', 'other', 'unknown'"
FINDING_RULES = {
    "ck_findings_kind_conclusion":
        "(kind = 'use_determination' AND conclusion IN ('confirmed', 'likely', 'not_confirmed')) "
        "OR (kind = 'attribution' AND conclusion IN ('attributed', 'inconclusive'))",
    "ck_findings_agent":
        "CASE WHEN kind = 'use_determination' AND conclusion IN ('confirmed', 'likely') "
        f"THEN agent IN ({AGENTS}) ELSE agent = '' END",
    "ck_findings_attributed_has_party":
        "CASE WHEN conclusion = 'attributed' THEN trim(responsible_party) <> '' "
        "ELSE responsible_party = '' END",
    "ck_findings_party_type":
        "CASE WHEN conclusion = 'attributed' "
        "THEN party_type IN ('state', 'non_state_group', 'individual') ELSE party_type = '' END",
    "ck_findings_standard_of_proof":
        "CASE WHEN conclusion = 'attributed' THEN standard_of_proof IN "
        "('reasonable_grounds', 'clear_and_convincing', 'beyond_reasonable_doubt') "
        "ELSE standard_of_proof = '' END",
}
GATE_REQUEST_RULES = {
    "ck_gate_requests_target_not_source": "target <> from_state",
    "ck_gate_requests_rejected_has_reason": "decision <> 'rejected' OR trim(reason) <> ''",
}
CITATION_FKS = ("fk_finding_citations_finding_id_findings",
                "fk_finding_citations_evidence_id_evidence_items")
CROSS_CASE_CITATION = ("EXISTS (SELECT 1 FROM findings f, evidence_items e "
                       "WHERE f.id = finding_citations.finding_id "
                       "AND e.id = finding_citations.evidence_id AND f.case_id <> e.case_id)")
KEPT = "citations_kept_during_migration"


def _refuse_broken_rows(connection) -> None:
    for name, rule in FINDING_RULES.items():
        refuse_rows(connection, "findings", name, f"NOT ({rule})")
    for name, rule in GATE_REQUEST_RULES.items():
        refuse_rows(connection, "gate_requests", name, f"NOT ({rule})")
    refuse_rows(connection, "finding_citations", "that a finding cites evidence of its own case only",
                CROSS_CASE_CITATION)


def _set_citations_aside(connection) -> None:
    """SQLite rebuilds `findings` to add its CHECKs; dropping the old table would orphan the
    citations (foreign keys are on, and cannot be turned off inside the migration's
    transaction), so they wait in a temporary table meanwhile."""
    connection.execute(sa.text(
        f"CREATE TEMPORARY TABLE {KEPT} AS SELECT c.finding_id, c.evidence_id, f.case_id "
        f"FROM finding_citations c JOIN findings f ON f.id = c.finding_id"))
    connection.execute(sa.text("DELETE FROM finding_citations"))


def _put_citations_back(connection, with_case: bool) -> None:
    columns = "finding_id, evidence_id, case_id" if with_case else "finding_id, evidence_id"
    connection.execute(sa.text(
        f"INSERT INTO finding_citations ({columns}) SELECT {columns} FROM {KEPT}"))
    connection.execute(sa.text(f"DROP TABLE {KEPT}"))


def upgrade() -> None:
    connection = op.get_bind()
    _refuse_broken_rows(connection)
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        _set_citations_aside(connection)

    op.create_index('uq_findings_id_case_id', 'findings', ['id', 'case_id'], unique=True)
    op.create_index('uq_evidence_items_id_case_id', 'evidence_items', ['id', 'case_id'], unique=True)
    with op.batch_alter_table('findings', schema=None) as batch_op:
        for name, rule in FINDING_RULES.items():
            batch_op.create_check_constraint(batch_op.f(name), rule)
    with op.batch_alter_table('gate_requests', schema=None) as batch_op:
        for name, rule in GATE_REQUEST_RULES.items():
            batch_op.create_check_constraint(batch_op.f(name), rule)

    with op.batch_alter_table('finding_citations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('case_id', sa.Integer(), nullable=True))
    if not sqlite:
        op.execute("UPDATE finding_citations SET case_id = (SELECT case_id FROM findings "
                   "WHERE findings.id = finding_citations.finding_id)")
    with op.batch_alter_table('finding_citations', schema=None) as batch_op:
        batch_op.alter_column('case_id', existing_type=sa.Integer(), nullable=False)
        for name in CITATION_FKS:
            batch_op.drop_constraint(batch_op.f(name), type_='foreignkey')
        batch_op.create_foreign_key(batch_op.f(CITATION_FKS[0]), 'findings',
                                    ['finding_id', 'case_id'], ['id', 'case_id'])
        batch_op.create_foreign_key(batch_op.f(CITATION_FKS[1]), 'evidence_items',
                                    ['evidence_id', 'case_id'], ['id', 'case_id'])

    if sqlite:
        _put_citations_back(connection, with_case=True)


def downgrade() -> None:
    connection = op.get_bind()
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        _set_citations_aside(connection)

    with op.batch_alter_table('finding_citations', schema=None) as batch_op:
        for name in CITATION_FKS:
            batch_op.drop_constraint(batch_op.f(name), type_='foreignkey')
        batch_op.drop_column('case_id')
        batch_op.create_foreign_key(batch_op.f(CITATION_FKS[0]), 'findings', ['finding_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f(CITATION_FKS[1]), 'evidence_items',
                                    ['evidence_id'], ['id'])
    with op.batch_alter_table('gate_requests', schema=None) as batch_op:
        for name in GATE_REQUEST_RULES:
            batch_op.drop_constraint(batch_op.f(name), type_='check')
    with op.batch_alter_table('findings', schema=None) as batch_op:
        for name in FINDING_RULES:
            batch_op.drop_constraint(batch_op.f(name), type_='check')
    op.drop_index('uq_evidence_items_id_case_id', table_name='evidence_items')
    op.drop_index('uq_findings_id_case_id', table_name='findings')

    if sqlite:
        _put_citations_back(connection, with_case=False)
