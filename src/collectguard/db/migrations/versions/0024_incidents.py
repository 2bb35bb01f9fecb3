"""incidents: personal-information incidents (art. 21(二)) and major risks (art. 24), and the notices given about
them (to the institution, the written report to the SRO with its four parts)

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

import collectguard.db.base

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('incidents',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('institution_id', sa.String(length=64), nullable=False),
    sa.Column('agency_id', sa.String(length=64), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=True),
    sa.Column('summary', sa.Text(), nullable=True),
    sa.Column('discovered_at', collectguard.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('discovered_day', sa.Date(), nullable=False),
    sa.Column('reported_at', collectguard.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reported_by', sa.String(length=200), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('ledger_seq', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_incidents_agency_id_agencies')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'],
                            name=op.f('fk_incidents_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incidents'))
    )
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incidents_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_incidents_institution_id'), ['institution_id'], unique=False)

    op.create_table('incident_notifications',
    sa.Column('incident_id', sa.String(length=64), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.Column('to', sa.String(length=16), nullable=False),
    sa.Column('at', collectguard.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('due_at', collectguard.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('late', sa.Boolean(), nullable=False),
    sa.Column('late_seconds', sa.Integer(), nullable=False),
    sa.Column('cause', sa.Text(), nullable=True),
    sa.Column('state', sa.Text(), nullable=True),
    sa.Column('impact', sa.Text(), nullable=True),
    sa.Column('measures', sa.Text(), nullable=True),
    sa.Column('by', sa.String(length=200), nullable=True),
    sa.Column('ledger_seq', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'],
                            name=op.f('fk_incident_notifications_incident_id_incidents')),
    sa.PrimaryKeyConstraint('incident_id', 'n', name=op.f('pk_incident_notifications'))
    )


def downgrade() -> None:
    op.drop_table('incident_notifications')
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incidents_institution_id'))
        batch_op.drop_index(batch_op.f('ix_incidents_agency_id'))
    op.drop_table('incidents')
