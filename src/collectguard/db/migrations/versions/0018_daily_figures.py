"""daily figures: attempts, decisions and outcomes per institution, local day, organisation, collector and
channel (daily_figures), and denials per failing rule (daily_denials), maintained by the gate in the same
transaction as its decisions and outcomes; backfilled here from the attempts already recorded

The backfill counts with the gate's own function (collectguard.gate.daily), reading the attempts, their
collectors' organisations and the institutions' zones as they stand at this revision.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04
"""

from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

import collectguard.db.base

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

COUNTERS = ('attempts', 'allowed', 'denied', 'outcomes', 'connected', 'against_deny')
CHUNK = 20_000


def _key() -> list[sa.Column]:
    return [
        sa.Column('institution_id', sa.String(length=64), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('org_id', sa.String(length=64), nullable=False),
        sa.Column('collector_id', sa.String(length=64), nullable=False),
        sa.Column('channel', sa.String(length=16), nullable=False),
    ]


def upgrade() -> None:
    figures = op.create_table('daily_figures',
    *_key(),
    *(sa.Column(name, sa.Integer(), server_default='0', nullable=False) for name in COUNTERS),
    sa.PrimaryKeyConstraint('institution_id', 'day', 'org_id', 'collector_id', 'channel', name=op.f('pk_daily_figures'))
    )
    denials = op.create_table('daily_denials',
    *_key(),
    sa.Column('rule', sa.String(length=64), nullable=False),
    sa.Column('n', sa.Integer(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('institution_id', 'day', 'org_id', 'collector_id', 'channel', 'rule',
                            name=op.f('pk_daily_denials'))
    )
    _backfill(figures, denials)


def _backfill(figures: sa.Table, denials: sa.Table) -> None:
    from collectguard.gate.daily import Tally, count_attempts, write

    conn = op.get_bind()
    attempts = sa.table(
        'attempts', sa.column('institution_id', sa.String()), sa.column('collector_id', sa.String()),
        sa.column('channel', sa.String()), sa.column('at', collectguard.db.base.UTCDateTime(timezone=True)),
        sa.column('allowed', sa.Boolean()), sa.column('failing', sa.JSON()), sa.column('connected', sa.Boolean()),
        sa.column('against_deny', sa.Boolean()),
        sa.column('outcome_at', collectguard.db.base.UTCDateTime(timezone=True)))
    collectors = sa.table('collectors', sa.column('id', sa.String()), sa.column('org_id', sa.String()))
    institutions = sa.table('institutions', sa.column('id', sa.String()), sa.column('timezone', sa.String()))
    zones = {i: ZoneInfo(tz or 'Asia/Shanghai')
             for i, tz in conn.execute(sa.select(institutions.c.id, institutions.c.timezone))}

    def zone_of(institution_id: str) -> ZoneInfo:
        return zones.get(institution_id) or ZoneInfo('Asia/Shanghai')

    stmt = sa.select(attempts.c.institution_id, attempts.c.collector_id, attempts.c.channel, attempts.c.at,
                     attempts.c.allowed, attempts.c.failing, attempts.c.connected, attempts.c.against_deny,
                     attempts.c.outcome_at, collectors.c.org_id) \
        .select_from(attempts.outerjoin(collectors, collectors.c.id == attempts.c.collector_id))
    tally = Tally()
    for chunk in conn.execute(stmt.execution_options(yield_per=CHUNK)).partitions():
        count_attempts(chunk, zone_of, tally)
    write(conn, tally, tables=(figures, denials))


def downgrade() -> None:
    op.drop_table('daily_denials')
    op.drop_table('daily_figures')
