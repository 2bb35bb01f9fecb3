"""attempts: by institution, collector and time (an agency's evidence counts its collectors' attempts of a period
along index ranges), and a partial index of the contacts made against a deny by the time they ended (those asked
before a period that ended in it)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.create_index('ix_attempts_collector_at', ['institution_id', 'collector_id', 'at'], unique=False)
        batch_op.create_index('ix_attempts_against_deny', ['institution_id', 'ended_at'], unique=False,
                              sqlite_where=sa.text('against_deny = 1'), postgresql_where=sa.text('against_deny'))


def downgrade() -> None:
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_attempts_against_deny')
        batch_op.drop_index('ix_attempts_collector_at')
