"""retention and the deletion log (placeholder: filled by the retention domain)

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-04
"""

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
