"""complaint signals (art. 27): each examined complaint's keyed MinHash signature and its LSH band keys, and the
anti-collection flags raised for a person to review (open → confirmed / dismissed)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

import collectguard.db.base

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('complaint_signatures',
    sa.Column('complaint_id', sa.String(length=64), nullable=False),
    sa.Column('institution_id', sa.String(length=64), nullable=False),
    sa.Column('signature', sa.LargeBinary(), nullable=True),
    sa.Column('shingles', sa.Integer(), nullable=False),
    sa.Column('phrases', sa.JSON(), nullable=False),
    sa.Column('examined_at', collectguard.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'],
                            name=op.f('fk_complaint_signatures_complaint_id_complaints')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'],
                            name=op.f('fk_complaint_signatures_institution_id_institutions')),
    sa.PrimaryKeyConstraint('complaint_id', name=op.f('pk_complaint_signatures'))
    )
    op.create_table('complaint_text_bands',
    sa.Column('institution_id', sa.String(length=64), nullable=False),
    sa.Column('band_key', sa.String(length=16), nullable=False),
    sa.Column('complaint_id', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'],
                            name=op.f('fk_complaint_text_bands_complaint_id_complaints')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'],
                            name=op.f('fk_complaint_text_bands_institution_id_institutions')),
    sa.PrimaryKeyConstraint('institution_id', 'band_key', 'complaint_id', name=op.f('pk_complaint_text_bands'))
    )
    op.create_index(op.f('ix_complaint_text_bands_complaint_id'), 'complaint_text_bands', ['complaint_id'],
                    unique=False)
    op.create_table('complaint_signals',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('institution_id', sa.String(length=64), nullable=False),
    sa.Column('complaint_id', sa.String(length=64), nullable=False),
    sa.Column('signal', sa.String(length=32), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=True),
    sa.Column('shared_with', sa.JSON(), nullable=False),
    sa.Column('debtors', sa.Integer(), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('raised_at', collectguard.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ledger_seq', sa.Integer(), nullable=False),
    sa.Column('reviewed_by', sa.String(length=64), nullable=True),
    sa.Column('reviewed_at', collectguard.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('review_reason', sa.Text(), nullable=True),
    sa.Column('review_seq', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'],
                            name=op.f('fk_complaint_signals_complaint_id_complaints')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'],
                            name=op.f('fk_complaint_signals_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint_signals'))
    )
    op.create_index(op.f('ix_complaint_signals_complaint_id'), 'complaint_signals', ['complaint_id'], unique=False)
    op.create_index('ix_complaint_signals_institution_status', 'complaint_signals',
                    ['institution_id', 'status', 'raised_at'], unique=False)
    op.create_table('complaint_signal_members',
    sa.Column('signal_id', sa.Integer(), nullable=False),
    sa.Column('complaint_id', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'],
                            name=op.f('fk_complaint_signal_members_complaint_id_complaints')),
    sa.ForeignKeyConstraint(['signal_id'], ['complaint_signals.id'],
                            name=op.f('fk_complaint_signal_members_signal_id_complaint_signals')),
    sa.PrimaryKeyConstraint('signal_id', 'complaint_id', name=op.f('pk_complaint_signal_members'))
    )
    op.create_index(op.f('ix_complaint_signal_members_complaint_id'), 'complaint_signal_members', ['complaint_id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_complaint_signal_members_complaint_id'), table_name='complaint_signal_members')
    op.drop_table('complaint_signal_members')
    op.drop_index('ix_complaint_signals_institution_status', table_name='complaint_signals')
    op.drop_index(op.f('ix_complaint_signals_complaint_id'), table_name='complaint_signals')
    op.drop_table('complaint_signals')
    op.drop_index(op.f('ix_complaint_text_bands_complaint_id'), table_name='complaint_text_bands')
    op.drop_table('complaint_text_bands')
    op.drop_table('complaint_signatures')
