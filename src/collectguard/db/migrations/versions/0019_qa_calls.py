"""qa calls: each inspected call's turns and findings (personal data masked by shape), shown by the console's QA page

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('qa_calls',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('attempt_id', sa.String(length=140), nullable=False),
    sa.Column('call_id', sa.String(length=200), nullable=False),
    sa.Column('institution_id', sa.String(length=64), nullable=False),
    sa.Column('audience', sa.String(length=16), nullable=True),
    sa.Column('turns', sa.JSON(), nullable=False),
    sa.Column('findings', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['attempt_id'], ['attempts.id'], name=op.f('fk_qa_calls_attempt_id_attempts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qa_calls')),
    sa.UniqueConstraint('attempt_id', 'call_id', name=op.f('uq_qa_calls_attempt_id'))
    )
    with op.batch_alter_table('qa_calls', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_qa_calls_attempt_id'), ['attempt_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_qa_calls_institution_id'), ['institution_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('qa_calls', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_qa_calls_institution_id'))
        batch_op.drop_index(batch_op.f('ix_qa_calls_attempt_id'))
    op.drop_table('qa_calls')
