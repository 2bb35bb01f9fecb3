"""monitoring: institutions' thresholds per collector and day, the flags raised against collectors, performance schemes

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

import collectguard.db.base

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('monitoring_thresholds',
    sa.Column('institution_id', sa.String(length=64), nullable=False),
    sa.Column('max_denials_per_day', sa.Integer(), nullable=True),
    sa.Column('max_after_deny_per_day', sa.Integer(), nullable=True),
    sa.Column('max_against_deny_per_day', sa.Integer(), nullable=True),
    sa.Column('max_qa_findings_per_day', sa.Integer(), nullable=True),
    sa.Column('auto_suspend', sa.Boolean(), nullable=False),
    sa.Column('changed_at', collectguard.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'],
                            name=op.f('fk_monitoring_thresholds_institution_id_institutions')),
    sa.PrimaryKeyConstraint('institution_id', name=op.f('pk_monitoring_thresholds'))
    )
    op.create_table('collector_flags',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('institution_id', sa.String(length=64), nullable=False),
    sa.Column('collector_id', sa.String(length=64), nullable=False),
    sa.Column('agency_id', sa.String(length=64), nullable=True),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('metric', sa.String(length=32), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.Column('threshold', sa.Integer(), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('note', sa.String(length=2000), nullable=True),
    sa.Column('raised_at', collectguard.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('changed_at', collectguard.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'],
                            name=op.f('fk_collector_flags_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_collector_flags')),
    sa.UniqueConstraint('institution_id', 'collector_id', 'day', 'metric',
                        name=op.f('uq_collector_flags_institution_id'))
    )
    op.create_index(op.f('ix_collector_flags_agency_id'), 'collector_flags', ['agency_id'], unique=False)
    op.create_index(op.f('ix_collector_flags_collector_id'), 'collector_flags', ['collector_id'], unique=False)
    op.create_index(op.f('ix_collector_flags_day'), 'collector_flags', ['day'], unique=False)
    op.create_index(op.f('ix_collector_flags_institution_id'), 'collector_flags', ['institution_id'], unique=False)
    op.create_table('performance_schemes',
    sa.Column('institution_id', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('collector', sa.JSON(), nullable=False),
    sa.Column('agency', sa.JSON(), nullable=False),
    sa.Column('adopted_at', collectguard.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ledger_seq', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'],
                            name=op.f('fk_performance_schemes_institution_id_institutions')),
    sa.PrimaryKeyConstraint('institution_id', 'version', name=op.f('pk_performance_schemes'))
    )


def downgrade() -> None:
    op.drop_table('performance_schemes')
    op.drop_index(op.f('ix_collector_flags_institution_id'), table_name='collector_flags')
    op.drop_index(op.f('ix_collector_flags_day'), table_name='collector_flags')
    op.drop_index(op.f('ix_collector_flags_collector_id'), table_name='collector_flags')
    op.drop_index(op.f('ix_collector_flags_agency_id'), table_name='collector_flags')
    op.drop_table('collector_flags')
    op.drop_table('monitoring_thresholds')
