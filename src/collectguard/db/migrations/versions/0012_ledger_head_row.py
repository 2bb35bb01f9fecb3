"""ledger head row: created here, never by the first append (two first appenders raced to insert it)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04
"""

from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

GENESIS = "0" * 64  # collectguard.ledger.chain.GENESIS, fixed here as this revision wrote it


def upgrade() -> None:
    # Appenders lock this one row (SELECT … FOR UPDATE) to serialise; a row that does not exist cannot be
    # locked, so it must exist before the first append. A ledger that already has its head keeps it.
    op.execute(f"INSERT INTO ledger_head (id, seq, hash) SELECT 1, 0, '{GENESIS}' "
               "WHERE NOT EXISTS (SELECT 1 FROM ledger_head WHERE id = 1)")


def downgrade() -> None:
    # Before this revision the first append made the head: take away only the head of an empty ledger.
    op.execute(f"DELETE FROM ledger_head WHERE id = 1 AND seq = 0 AND hash = '{GENESIS}'")
