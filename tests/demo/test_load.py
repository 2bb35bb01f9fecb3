"""`load_demo` migrates, loads the world through the registry, and the ledger verifies."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from collectguard.db.store import Store
from collectguard.demo.retention import FORMER
from collectguard.demo.world import DemoSummary
from collectguard.gate.schemas import AttemptIn
from collectguard.gate.service import Gate
from collectguard.ledger.models import LedgerRecord
from collectguard.ledger.service import verify
from collectguard.registry import models as m

from .conftest import SMALL

LEDGERED = ("institutions", "agencies", "agreements", "collectors", "tools", "templates", "debtors", "contacts",
            "debts", "placements", "debtor_agreements")


def test_load_demo_counts_and_ledger(loaded: tuple[str, DemoSummary], demo_store: Store) -> None:
    _, summary = loaded
    assert summary.counts["debtors"] == SMALL and summary.load_seconds > 0
    with demo_store.transaction() as session:
        # the world's debtors, and the former debtors the retention demo registered years ago and purged
        assert session.scalar(select(func.count()).select_from(m.Debtor)) == SMALL + FORMER
        assert session.scalar(select(func.count()).select_from(m.Contact)) == summary.counts["contacts"] + FORMER
        assert session.scalar(select(func.count()).select_from(m.Placement)) == summary.counts["placements"]
        registered = session.scalar(
            select(func.count()).select_from(LedgerRecord).where(LedgerRecord.kind.like("registry:%"))
        )
        result = verify(session)
    assert result.ok, result.reason
    # One ledger record per registered entity (other tests may have added gate decisions since); the retention demo
    # registered a debtor, a contact and a debt per former debtor, and the agency whose agreement ended with it.
    assert registered == sum(summary.counts[k] for k in LEDGERED) + 3 * FORMER + 2


def test_summary_ids_exist_and_example_is_allowed(loaded: tuple[str, DemoSummary], demo_store: Store) -> None:
    _, summary = loaded
    with demo_store.transaction() as session:
        assert session.get(m.Debtor, summary.debtor) is not None
        assert session.get(m.Debt, summary.debt) is not None
        assert session.get(m.Contact, summary.contact) is not None
        assert session.get(m.Collector, summary.collector) is not None
        assert session.get(m.Collector, summary.agency_collector) is not None
        assert session.get(m.Tool, summary.tool) is not None
        assert session.get(m.Template, summary.template) is not None
    example = AttemptIn.model_validate({**summary.example_attempt, "id": "load-example"})
    at = datetime(2026, 5, 6, 10, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    decision = Gate(demo_store).decide(example, at)
    assert decision.allowed, decision.failing_rules


def test_the_demo_has_a_year_of_oversight_with_overdue_items(loaded: tuple[str, DemoSummary],
                                                                            demo_store: Store) -> None:
    from collectguard.demo.organisations import LENDER
    from collectguard.demo.world import loaded_at
    from collectguard.oversight.calendar import calendar

    _, summary = loaded
    with demo_store.transaction() as session:
        found = calendar(session, LENDER, loaded_at(summary.start), pressing=True)
    overdue = {i.obligation for i in found.items if i.status == "overdue"}
    # ... and the complaint the demo left unanswered past its 15 days (demo/complaints.py)
    assert overdue == {"art12-self-inspection", "art18-rectification", "art6-annual-training",
                       "art22-complaint-response"}
    assert "art18-rectification:rect-hengyuan-1" in {i.key for i in found.items}
    assert found.counts["met"] > 10  # inspections, the rectification done on time, trainings in date
