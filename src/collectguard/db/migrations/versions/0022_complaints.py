"""complaints: one row per complaint (channel, parties, workflow state, the answer's due date, encrypted
complainant data with keyed hashes, root cause) and the timeline of its steps

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

import collectguard.db.base

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('complaints',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('institution_id', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('debtor_id', sa.String(length=64), nullable=True),
    sa.Column('agency_id', sa.String(length=64), nullable=True),
    sa.Column('collector_id', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('received_at', collectguard.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('extended_due_date', sa.Date(), nullable=True),
    sa.Column('extension_reason', sa.Text(), nullable=True),
    sa.Column('handled_by_institution', sa.Boolean(), nullable=False),
    sa.Column('investigator', sa.String(length=64), nullable=True),
    sa.Column('investigator_kind', sa.String(length=16), nullable=True),
    sa.Column('assigned_at', collectguard.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('verified_at', collectguard.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('proxy_name', sa.Text(), nullable=True),
    sa.Column('proxy_key', sa.String(length=64), nullable=True),
    sa.Column('proxy_authorised', sa.Boolean(), nullable=True),
    sa.Column('proxy_warning', sa.Boolean(), nullable=False),
    sa.Column('complainant_name', sa.Text(), nullable=True),
    sa.Column('complainant_phone', sa.Text(), nullable=True),
    sa.Column('complainant_email', sa.Text(), nullable=True),
    sa.Column('payment_account', sa.Text(), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('phone_key', sa.String(length=64), nullable=True),
    sa.Column('email_key', sa.String(length=64), nullable=True),
    sa.Column('account_key', sa.String(length=64), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('root_cause', sa.Text(), nullable=True),
    sa.Column('root_cause_rules', sa.JSON(), nullable=False),
    sa.Column('result', sa.Text(), nullable=True),
    sa.Column('resolved_at', collectguard.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolved_day', sa.Date(), nullable=True),
    sa.Column('erased_at', collectguard.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ledger_seq', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_complaints_agency_id_agencies')),
    sa.ForeignKeyConstraint(['collector_id'], ['collectors.id'], name=op.f('fk_complaints_collector_id_collectors')),
    sa.ForeignKeyConstraint(['debtor_id'], ['debtors.id'], name=op.f('fk_complaints_debtor_id_debtors')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'],
                            name=op.f('fk_complaints_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaints'))
    )
    op.create_index('ix_complaints_institution_day', 'complaints', ['institution_id', 'day'], unique=False)
    op.create_index('ix_complaints_institution_status', 'complaints', ['institution_id', 'status'], unique=False)
    op.create_index('ix_complaints_institution_due', 'complaints', ['institution_id', 'due_date'], unique=False)
    op.create_index('ix_complaints_agency_day', 'complaints', ['agency_id', 'day'], unique=False)
    op.create_index('ix_complaints_collector_day', 'complaints', ['collector_id', 'day'], unique=False)
    op.create_index(op.f('ix_complaints_debtor_id'), 'complaints', ['debtor_id'], unique=False)
    op.create_index(op.f('ix_complaints_phone_key'), 'complaints', ['phone_key'], unique=False)
    op.create_index(op.f('ix_complaints_email_key'), 'complaints', ['email_key'], unique=False)
    op.create_index(op.f('ix_complaints_account_key'), 'complaints', ['account_key'], unique=False)
    op.create_index(op.f('ix_complaints_proxy_key'), 'complaints', ['proxy_key'], unique=False)
    op.create_table('complaint_steps',
    sa.Column('complaint_id', sa.String(length=64), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.Column('step', sa.String(length=32), nullable=False),
    sa.Column('at', collectguard.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('ledger_seq', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'],
                            name=op.f('fk_complaint_steps_complaint_id_complaints')),
    sa.PrimaryKeyConstraint('complaint_id', 'n', name=op.f('pk_complaint_steps'))
    )


def downgrade() -> None:
    op.drop_table('complaint_steps')
    for name in ('proxy_key', 'account_key', 'email_key', 'phone_key', 'debtor_id'):
        op.drop_index(op.f(f'ix_complaints_{name}'), table_name='complaints')
    for name in ('collector_day', 'agency_day', 'institution_due', 'institution_status', 'institution_day'):
        op.drop_index(f'ix_complaints_{name}', table_name='complaints')
    op.drop_table('complaints')
