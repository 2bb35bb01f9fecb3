"""outcomes: the call's end time as reported, and contacts made against a deny

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

import collectguard.db.base

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ended_at', collectguard.db.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('against_deny', sa.Boolean(), server_default=sa.false(), nullable=False))
    # Outcomes already reported for denied attempts: a connected one was a contact made against the deny.
    op.execute("UPDATE attempts SET against_deny = TRUE WHERE allowed = FALSE AND connected = TRUE")


def downgrade() -> None:
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.drop_column('against_deny')
        batch_op.drop_column('ended_at')
