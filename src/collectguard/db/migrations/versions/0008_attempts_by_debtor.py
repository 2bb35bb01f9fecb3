"""attempts by debtor: the gate reads a batch's debtors' recent attempts across institutions

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_attempts_debtor_at', 'attempts', ['debtor_id', 'at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_attempts_debtor_at', table_name='attempts')
