"""retention: each institution's retention period, purge runs, the deletion log, agencies' destruction requests

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

import collectguard.db.base

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('retention_policies',
    sa.Column('institution_id', sa.String(length=64), nullable=False),
    sa.Column('years', sa.Integer(), nullable=False),
    sa.Column('set_at', collectguard.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('set_by', sa.String(length=200), nullable=True),
    sa.Column('ledger_seq', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_retention_policies_institution_id_institutions')),
    sa.PrimaryKeyConstraint('institution_id', name=op.f('pk_retention_policies'))
    )
    op.create_table('retention_runs',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('institution_id', sa.String(length=64), nullable=False),
    sa.Column('at', collectguard.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('approved_by', sa.String(length=200), nullable=False),
    sa.Column('years', sa.Integer(), nullable=False),
    sa.Column('debtors', sa.Integer(), nullable=False),
    sa.Column('entries', sa.Integer(), nullable=False),
    sa.Column('ledger_seq', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_retention_runs_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_retention_runs'))
    )
    with op.batch_alter_table('retention_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_retention_runs_institution_id'), ['institution_id'], unique=False)

    op.create_table('deletion_log',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('institution_id', sa.String(length=64), nullable=False),
    sa.Column('subject_kind', sa.String(length=16), nullable=False),
    sa.Column('subject_id', sa.String(length=64), nullable=False),
    sa.Column('kinds', sa.JSON(), nullable=False),
    sa.Column('at', collectguard.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('approved_by', sa.String(length=200), nullable=False),
    sa.Column('run_id', sa.String(length=64), nullable=True),
    sa.Column('request_id', sa.String(length=64), nullable=True),
    sa.Column('ledger_seq', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_deletion_log_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deletion_log'))
    )
    with op.batch_alter_table('deletion_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deletion_log_subject_id'), ['subject_id'], unique=False)
        batch_op.create_index('ix_deletion_log_institution_at', ['institution_id', 'at'], unique=False)

    op.create_table('destruction_requests',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('institution_id', sa.String(length=64), nullable=False),
    sa.Column('agency_id', sa.String(length=64), nullable=False),
    sa.Column('agreement_id', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('requested_at', collectguard.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('requested_by', sa.String(length=200), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('ledger_seq', sa.Integer(), nullable=False),
    sa.Column('decided_at', collectguard.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.String(length=200), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=True),
    sa.Column('decided_seq', sa.Integer(), nullable=True),
    sa.Column('outcome', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_destruction_requests_agency_id_agencies')),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreements.id'], name=op.f('fk_destruction_requests_agreement_id_agreements')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_destruction_requests_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_destruction_requests'))
    )
    with op.batch_alter_table('destruction_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_destruction_requests_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_destruction_requests_institution_id'), ['institution_id'], unique=False)


def downgrade() -> None:
    op.drop_table('destruction_requests')
    op.drop_table('deletion_log')
    op.drop_table('retention_runs')
    op.drop_table('retention_policies')
