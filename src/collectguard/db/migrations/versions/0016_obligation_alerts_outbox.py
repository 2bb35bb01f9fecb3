"""obligation alerts through the outbox: kind, nullable agency and debt, a unique dedupe key; institutions' own
alert endpoints

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

import collectguard.db.base

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('institution_endpoints',
    sa.Column('institution_id', sa.String(length=64), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('secret', sa.String(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('updated_at', collectguard.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'],
                            name=op.f('fk_institution_endpoints_institution_id_institutions')),
    sa.PrimaryKeyConstraint('institution_id', name=op.f('pk_institution_endpoints'))
    )
    # Every row written before this revision is a stop notice.
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=32), server_default=sa.text("'stop_notice'"),
                                      nullable=False))
        batch_op.add_column(sa.Column('dedupe_key', sa.String(length=255), nullable=True))
        batch_op.alter_column('agency_id', existing_type=sa.String(length=64), nullable=True)
        batch_op.alter_column('debt_id', existing_type=sa.String(length=64), nullable=True)
        # Unique where set; stop notices (NULL) are not deduplicated (NULLs are distinct on both backends).
        batch_op.create_index('ux_outbox_dedupe_key', ['dedupe_key'], unique=True)


def downgrade() -> None:
    # Alerts have no agency or debt: they leave with the columns that describe them.
    op.execute("DELETE FROM outbox WHERE kind <> 'stop_notice'")
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ux_outbox_dedupe_key')
        batch_op.alter_column('debt_id', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('agency_id', existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_column('dedupe_key')
        batch_op.drop_column('kind')
    op.drop_table('institution_endpoints')
