"""daily figures: attempts, decisions and outcomes per institution, local day, organisation, collector and channel,
and denials per rule, maintained by the gate in the same transaction as the decisions (work in progress)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04
"""

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
