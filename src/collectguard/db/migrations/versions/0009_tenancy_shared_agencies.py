"""tenancy: per-institution recognition of trainings and collectors, tenants' own references, agency keys

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

import collectguard.db.base

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('trainings') as batch:
        batch.add_column(sa.Column('institution_id', sa.String(length=64), nullable=True))
        batch.create_foreign_key(batch.f('fk_trainings_institution_id_institutions'), 'institutions', ['institution_id'], ['id'])
        batch.create_index(batch.f('ix_trainings_institution_id'), ['institution_id'], unique=False)
    op.create_table(
        'collector_acceptances',
        sa.Column('institution_id', sa.String(length=64), nullable=False),
        sa.Column('collector_id', sa.String(length=64), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('since', collectguard.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['collector_id'], ['collectors.id'], name=op.f('fk_collector_acceptances_collector_id_collectors')),
        sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_collector_acceptances_institution_id_institutions')),
        sa.PrimaryKeyConstraint('institution_id', 'collector_id', name=op.f('pk_collector_acceptances')),
    )
    op.create_table(
        'external_refs',
        sa.Column('institution_id', sa.String(length=64), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('ref', sa.String(length=64), nullable=False),
        sa.Column('object_id', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_external_refs_institution_id_institutions')),
        sa.PrimaryKeyConstraint('institution_id', 'kind', 'ref', name=op.f('pk_external_refs')),
    )
    op.create_index(op.f('ix_external_refs_object_id'), 'external_refs', ['object_id'], unique=False)
    with op.batch_alter_table('api_keys') as batch:
        batch.alter_column('institution_id', existing_type=sa.String(length=64), nullable=True)
    with op.batch_alter_table('agencies') as batch:
        batch.add_column(sa.Column('registered_by', sa.String(length=64), nullable=True))
        batch.create_foreign_key(batch.f('fk_agencies_registered_by_institutions'), 'institutions',
                                 ['registered_by'], ['id'])
    # An attempt id reused by a second institution is kept as "<institution>/<id>" (api/attempt_ids.py).
    for table, column in (('attempts', 'id'), ('qa_findings', 'attempt_id')):
        with op.batch_alter_table(table) as batch:
            batch.alter_column(column, existing_type=sa.String(length=64), type_=sa.String(length=140),
                               existing_nullable=False)


def downgrade() -> None:
    for table, column in (('qa_findings', 'attempt_id'), ('attempts', 'id')):
        with op.batch_alter_table(table) as batch:
            batch.alter_column(column, existing_type=sa.String(length=140), type_=sa.String(length=64),
                               existing_nullable=False)
    with op.batch_alter_table('agencies') as batch:
        batch.drop_constraint(batch.f('fk_agencies_registered_by_institutions'), type_='foreignkey')
        batch.drop_column('registered_by')
    with op.batch_alter_table('api_keys') as batch:
        batch.alter_column('institution_id', existing_type=sa.String(length=64), nullable=False)
    op.drop_index(op.f('ix_external_refs_object_id'), table_name='external_refs')
    op.drop_table('external_refs')
    op.drop_table('collector_acceptances')
    with op.batch_alter_table('trainings') as batch:
        batch.drop_index(batch.f('ix_trainings_institution_id'))
        batch.drop_constraint(batch.f('fk_trainings_institution_id_institutions'), type_='foreignkey')
        batch.drop_column('institution_id')
