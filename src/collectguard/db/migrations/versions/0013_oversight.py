"""oversight: staff, agency evaluations and commitments, inspections, rectification orders, evidence files; institutions since and timezone

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

import collectguard.db.base

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('staff',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('org_id', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff'))
    )
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_org_id'), ['org_id'], unique=False)

    op.create_table('evidence_files',
    sa.Column('hash', sa.String(length=80), nullable=False),
    sa.Column('institution_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('media_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('stored_at', collectguard.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_evidence_files_institution_id_institutions')),
    sa.PrimaryKeyConstraint('hash', 'institution_id', name=op.f('pk_evidence_files'))
    )
    op.create_table('inspections',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('institution_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('org_id', sa.String(length=64), nullable=False),
    sa.Column('inspector', sa.String(length=200), nullable=True),
    sa.Column('period_from', sa.Date(), nullable=True),
    sa.Column('period_to', sa.Date(), nullable=True),
    sa.Column('seed', sa.String(length=64), nullable=True),
    sa.Column('sample_size', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('at', collectguard.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('ledger_seq', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_inspections_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspections'))
    )
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspections_institution_id'), ['institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspections_org_id'), ['org_id'], unique=False)

    op.create_table('agency_commitments',
    sa.Column('institution_id', sa.String(length=64), nullable=False),
    sa.Column('agency_id', sa.String(length=64), nullable=False),
    sa.Column('item', sa.String(length=32), nullable=False),
    sa.Column('document_hash', sa.String(length=80), nullable=True),
    sa.Column('at', collectguard.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ledger_seq', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_agency_commitments_agency_id_agencies')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_agency_commitments_institution_id_institutions')),
    sa.PrimaryKeyConstraint('institution_id', 'agency_id', 'item', name=op.f('pk_agency_commitments'))
    )
    op.create_table('inspection_findings',
    sa.Column('inspection_id', sa.String(length=64), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.Column('rule', sa.String(length=64), nullable=False),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('order_id', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['inspection_id'], ['inspections.id'], name=op.f('fk_inspection_findings_inspection_id_inspections')),
    sa.PrimaryKeyConstraint('inspection_id', 'n', name=op.f('pk_inspection_findings'))
    )
    op.create_table('rectification_orders',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('institution_id', sa.String(length=64), nullable=False),
    sa.Column('agency_id', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('due', sa.Date(), nullable=False),
    sa.Column('stop_collection', sa.Boolean(), nullable=False),
    sa.Column('inspection_id', sa.String(length=64), nullable=True),
    sa.Column('finding_n', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('opened_at', collectguard.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ledger_seq', sa.Integer(), nullable=False),
    sa.Column('done_at', collectguard.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('done_day', sa.Date(), nullable=True),
    sa.Column('done_note', sa.Text(), nullable=True),
    sa.Column('done_seq', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_rectification_orders_agency_id_agencies')),
    sa.ForeignKeyConstraint(['inspection_id'], ['inspections.id'], name=op.f('fk_rectification_orders_inspection_id_inspections')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_rectification_orders_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rectification_orders'))
    )
    with op.batch_alter_table('rectification_orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rectification_orders_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rectification_orders_institution_id'), ['institution_id'], unique=False)

    op.create_table('agency_evaluations',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('institution_id', sa.String(length=64), nullable=False),
    sa.Column('agency_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('agreement_id', sa.String(length=64), nullable=True),
    sa.Column('scores', sa.JSON(), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.Column('evaluator', sa.String(length=200), nullable=True),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('suggested', sa.JSON(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('at', collectguard.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('ledger_seq', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_agency_evaluations_agency_id_agencies')),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreements.id'], name=op.f('fk_agency_evaluations_agreement_id_agreements')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_agency_evaluations_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agency_evaluations'))
    )
    with op.batch_alter_table('agency_evaluations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agency_evaluations_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agency_evaluations_institution_id'), ['institution_id'], unique=False)

    with op.batch_alter_table('institutions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('since', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('timezone', sa.String(length=64), server_default='Asia/Shanghai', nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('institutions', schema=None) as batch_op:
        batch_op.drop_column('timezone')
        batch_op.drop_column('since')

    with op.batch_alter_table('agency_evaluations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agency_evaluations_institution_id'))
        batch_op.drop_index(batch_op.f('ix_agency_evaluations_agency_id'))

    op.drop_table('agency_evaluations')
    with op.batch_alter_table('rectification_orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rectification_orders_institution_id'))
        batch_op.drop_index(batch_op.f('ix_rectification_orders_agency_id'))

    op.drop_table('rectification_orders')
    op.drop_table('inspection_findings')
    op.drop_table('agency_commitments')
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspections_org_id'))
        batch_op.drop_index(batch_op.f('ix_inspections_institution_id'))

    op.drop_table('inspections')
    op.drop_table('evidence_files')
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_org_id'))

    op.drop_table('staff')
