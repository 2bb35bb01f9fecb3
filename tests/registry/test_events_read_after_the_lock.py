"""A repayment reads the debt's running total after it locks the debtor. Over HTTP one transaction first finds the
debt (is it the caller's?), then locks; on PostgreSQL a repayment committed in between was invisible to the
session's already-loaded row, and the total lost it (100 + 50 recorded as 50). Moving the events out of the gate
(issue 10, restructure 2) put the scope check in the same transaction, so the service reads the row again after
the lock (`Unit.fresh`)."""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

from sqlalchemy import update

from collectguard.auth.roles import Principal, Role
from collectguard.db.store import Store
from collectguard.debts import repository, service
from collectguard.debts.schemas import RepaymentIn
from collectguard.registry import models as m
from collectguard.registry.unit import Units
from tests.factories import at, build
from tests.waiting import WAIT_S, until_waiting

ADMIN = Principal(key_id="k", role=Role.INSTITUTION_ADMIN, institution_id="bank", agency_id=None)


def _repay_as_the_endpoint_does(store: Store, amount: str) -> Any:
    """What POST /v1/repayments does: the scope check loads the debt, then the service locks and adds."""
    when = at("2026-05-20 10:00")
    with Units(store, "sm3").write(when) as unit:
        repository.debt(unit.session, ADMIN, "loan1", when)
        return service.repayment(unit, RepaymentIn(debt="loan1", amount=Decimal(amount), settled=False))


def test_a_repayment_committed_while_another_waits_for_the_lock_is_added_not_lost(store):
    build(store)
    blocker = Store(store.url, keyring=store.keyring)
    box: dict[str, Any] = {}
    try:
        with blocker.transaction() as session:
            blocker.lock(session, m.Debtor.id, "d1")  # another repayment of the same debtor, in flight
            session.execute(update(m.Debt).where(m.Debt.id == "loan1").values(repaid_total=Decimal("100.00")))

            def run() -> None:
                try:
                    box["event"] = _repay_as_the_endpoint_does(store, "50.00")
                except BaseException as exc:  # noqa: BLE001 - handed to the test
                    box["error"] = exc

            thread = threading.Thread(target=run)
            thread.start()
            until_waiting(blocker, 1)
        thread.join(WAIT_S * 2)
        assert not thread.is_alive() and "error" not in box, box
    finally:
        blocker.dispose()
    with store.read() as session:
        assert session.get(m.Debt, "loan1").repaid_total == Decimal("150.00")
