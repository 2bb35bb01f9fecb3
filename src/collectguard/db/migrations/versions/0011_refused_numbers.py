"""refused numbers: a contact's refusal follows its phone number within each institution it concerns

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

import collectguard.db.base

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('refused_numbers',
    sa.Column('institution_id', sa.String(length=64), nullable=False),
    sa.Column('phone_index', sa.String(length=64), nullable=False),
    sa.Column('contact_id', sa.String(length=64), nullable=False),
    sa.Column('at', collectguard.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_refused_numbers_contact_id_contacts')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'],
                            name=op.f('fk_refused_numbers_institution_id_institutions')),
    sa.PrimaryKeyConstraint('institution_id', 'phone_index', 'contact_id', name=op.f('pk_refused_numbers'))
    )
    # The gate looks numbers up by their keyed hash alone (every institution at once, one query per batch).
    op.create_index('ix_refused_numbers_phone_index', 'refused_numbers', ['phone_index'], unique=False)
    # Contacts registered as already refused before this revision: their numbers, for the institutions their
    # debtors concern (owner, debts owed, debts guaranteed).
    op.execute("""
        INSERT INTO refused_numbers (institution_id, phone_index, contact_id, at)
        SELECT DISTINCT i.institution_id, c.phone_index, c.id, COALESCE(c.refused_at, CURRENT_TIMESTAMP)
        FROM contacts c
        JOIN (
            SELECT id AS debtor_id, institution_id FROM debtors WHERE institution_id IS NOT NULL
            UNION SELECT debtor_id, institution_id FROM debts
            UNION SELECT g.debtor_id, d.institution_id FROM debt_guarantors g JOIN debts d ON d.id = g.debt_id
        ) i ON i.debtor_id = c.debtor_id
        WHERE c.refused AND c.phone_index IS NOT NULL
    """)


def downgrade() -> None:
    op.drop_index('ix_refused_numbers_phone_index', table_name='refused_numbers')
    op.drop_table('refused_numbers')
