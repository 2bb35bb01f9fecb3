"""qa findings: a partial index of the findings (seq > 0, not the clean-call markers) by institution and day, covering
the columns the console's QA page filters and counts by

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

COLUMNS = ['institution_id', 'day', 'org_id', 'collector_id', 'rule', 'category', 'severity']


def upgrade() -> None:
    with op.batch_alter_table('qa_findings', schema=None) as batch_op:
        batch_op.create_index('ix_qa_findings_found', COLUMNS, unique=False,
                              sqlite_where=sa.text('seq > 0'), postgresql_where=sa.text('seq > 0'))


def downgrade() -> None:
    with op.batch_alter_table('qa_findings', schema=None) as batch_op:
        batch_op.drop_index('ix_qa_findings_found')
