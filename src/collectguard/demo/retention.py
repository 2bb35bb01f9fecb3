"""Demo retention for `make run` and the console's test world, through the services: the lender keeps personal data
5 years; a dozen former debtors whose loans were settled six to eight years before the world's day (registered then,
with synthetic data) are purged by a run approved by `demo-compliance`, each with its deletion-log entry; and
北辰 (beichen), an agency whose one-year agreement with the lender ended two months ago, asks to destroy its copies —
a request waiting for the lender's decision on /console/deletions."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from collectguard.config import Settings
from collectguard.db.store import Store
from collectguard.demo.identities import (
    UniqueDraw,
    synthetic_address,
    synthetic_id_number,
    synthetic_name,
    synthetic_phone,
)
from collectguard.demo.organisations import LENDER
from collectguard.registry import schemas as s
from collectguard.registry.service import Registry
from collectguard.registry.unit import Units
from collectguard.retention import service
from collectguard.retention.schemas import DestructionRequestIn, RetentionPolicyIn

FORMER = 12  # debtors settled long ago
YEARS = 5
APPROVER = "demo-compliance"
ENDED_AGENCY = "beichen"
ENDED_AGENCY_NAME = "北辰商务服务有限公司"


def record(store: Store, at: datetime, *, seed: int = 2026) -> int:
    """Record the demo's retention as of `at` (the world's load time); returns the deletion-log entries written."""
    rng = random.Random(f"{seed}-retention")
    units = Units(store, Settings.from_env().ledger_hash)
    phones, ids = UniqueDraw(), UniqueDraw()
    for n in range(FORMER):
        settled = at - timedelta(days=365 * 6 + rng.randrange(0, 730))
        debtor, debt = f"{LENDER}-former-{n + 1:03d}", f"{LENDER}-former-loan-{n + 1:03d}"
        with units.write(settled) as unit:
            Registry(unit.session, at=settled, algorithm=units.algorithm).load_world(s.World.model_validate({
                "debtors": [{"id": debtor, "name": synthetic_name(rng), "phone": phones(synthetic_phone, rng),
                             "id_number": ids(synthetic_id_number, rng), "address": synthetic_address(rng)}],
                "contacts": [{"id": f"{debtor}-k1", "debtor": debtor, "relation": "family",
                              "name": synthetic_name(rng), "phone": phones(synthetic_phone, rng)}],
                "debts": [{"id": debt, "institution": LENDER, "debtor": debtor, "product": "cash-loan",
                           "overdue_amount": f"{rng.randrange(800, 9000)}.00", "status": "settled"}],
            }))
    with units.write(at) as unit:
        service.set_policy(unit, LENDER, RetentionPolicyIn(years=YEARS, set_by=APPROVER))
    # The agency whose agreement ended: registered with its agreement a year and two months ago (ended two months
    # ago), and now asks to destroy what it holds.
    begun = at - timedelta(days=425)
    ended: date = (at - timedelta(days=60)).date()
    with units.write(begun) as unit:
        Registry(unit.session, at=begun, algorithm=units.algorithm).load_world(s.World.model_validate({
            "agencies": [{"id": ENDED_AGENCY, "name": ENDED_AGENCY_NAME}],
            "agreements": [{"id": f"{ENDED_AGENCY}-agreement", "institution": LENDER, "agency": ENDED_AGENCY,
                            "from": begun.date(), "to": ended}],
        }))
    out = service.run(units, LENDER, approved_by=APPROVER, at=at)
    with units.write(at) as unit:
        service.request_destruction(unit, LENDER, ENDED_AGENCY, DestructionRequestIn(
            requested_by="北辰 数据安全岗", note=f"委托协议已于 {ended} 到期，申请销毁所持债务人及联系人信息"))
    return out.entries
