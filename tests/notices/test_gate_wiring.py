"""A settlement or a hold queues its stop notice in the same transaction as the event (art. 11(五))."""

from __future__ import annotations

from sqlalchemy import select

from collectguard.debts.schemas import RepaymentIn
from collectguard.holds.schemas import HoldIn
from collectguard.ledger.models import LedgerRecord
from collectguard.notices.models import NoticeStatus, OutboxRow
from collectguard.registry.events import Events
from tests.factories import at


def outbox(store) -> list[OutboxRow]:
    with store.transaction() as session:
        return list(session.execute(select(OutboxRow).order_by(OutboxRow.created_at)).scalars())


def test_a_settlement_queues_one_notice_to_the_holding_agency(world_store):
    events = Events(world_store)
    when = at("2026-05-20 10:00")
    events.repayment(RepaymentIn(debt="loan1", amount="3200.00", settled=True), when)
    events.repayment(RepaymentIn(debt="loan1", amount="1.00", settled=True), when)  # already settled: no second
    (notice,) = outbox(world_store)
    assert (notice.institution_id, notice.agency_id, notice.debt_id, notice.reason) == ("bank", "agA", "loan1", "settled")
    assert notice.status == NoticeStatus.PENDING and notice.next_attempt_at == when and notice.attempts == 0
    with world_store.transaction() as session:
        queued = session.execute(select(LedgerRecord).where(LedgerRecord.kind == "gate:stop-notice:queued")).scalar_one()
    assert notice.id in queued.body  # the ledger names the notice the agency will deduplicate on


def test_a_hold_queues_a_notice(world_store):
    Events(world_store).place_hold(HoldIn(id="h1", institution="bank", debt="loan1", reason="dispute"),
                                 at("2026-05-20 10:00"))
    (notice,) = outbox(world_store)
    assert notice.reason == "hold:dispute" and notice.payload["hold"] == "h1" and notice.agency_id == "agA"
