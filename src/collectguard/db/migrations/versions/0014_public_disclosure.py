"""public disclosure: institutions' complaint channels and process (art. 23), agencies' public contacts (art. 13)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

import collectguard.db.base

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('public_complaint_channels',
    sa.Column('institution_id', sa.String(length=64), nullable=False),
    sa.Column('phones', sa.JSON(), nullable=False),
    sa.Column('emails', sa.JSON(), nullable=False),
    sa.Column('address', sa.String(length=500), nullable=True),
    sa.Column('web_form_url', sa.String(length=500), nullable=True),
    sa.Column('service_hours', sa.String(length=200), nullable=True),
    sa.Column('process', sa.JSON(), nullable=False),
    sa.Column('response_days', sa.Integer(), nullable=False),
    sa.Column('updated_at', collectguard.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'],
                            name=op.f('fk_public_complaint_channels_institution_id_institutions')),
    sa.PrimaryKeyConstraint('institution_id', name=op.f('pk_public_complaint_channels'))
    )
    op.create_table('public_agency_contacts',
    sa.Column('agency_id', sa.String(length=64), nullable=False),
    sa.Column('phone', sa.String(length=64), nullable=True),
    sa.Column('address', sa.String(length=500), nullable=True),
    sa.Column('updated_at', collectguard.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_public_agency_contacts_agency_id_agencies')),
    sa.PrimaryKeyConstraint('agency_id', name=op.f('pk_public_agency_contacts'))
    )


def downgrade() -> None:
    op.drop_table('public_agency_contacts')
    op.drop_table('public_complaint_channels')
