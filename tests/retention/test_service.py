"""The purge's choice of debtors through the services (SQLite and PostgreSQL): a guarantor of an open debt, an
open hold and an unresolved complaint keep a debtor whatever the date; a shorter policy purges sooner; and an
agency terminated by the institution may ask to destroy its copies before its agreement's end date."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from collectguard.agencies.schemas import AgencyStatusIn
from collectguard.complaints.schemas import ComplaintIn
from collectguard.config import Settings
from collectguard.errors import Conflict
from collectguard.holds.schemas import HoldIn
from collectguard.registry import schemas as s
from collectguard.registry.events import Events
from collectguard.registry.unit import Units
from collectguard.retention import service
from collectguard.retention.models import DeletionLogEntry
from collectguard.retention.schemas import DestructionDecisionIn, DestructionRequestIn, RetentionPolicyIn
from tests.factories import at, build, world


@pytest.fixture
def units(store):
    w = world()
    build(store, w.model_copy(update={
        "debtors": [s.DebtorIn(id=f"d{i}", name=f"测试{i}", phone=f"1390000000{i}") for i in range(1, 6)],
        "contacts": [],
        "debts": [s.DebtIn(id=f"loan{i}", institution="bank", debtor=f"d{i}", product="card", status="settled")
                  for i in (1, 2, 4, 5)]
        + [s.DebtIn(id="loan3", institution="bank", debtor="d3", product="card", guarantors=["d2"])],
        "placements": [],
    }), when=at("2026-01-10 09:00"))
    events = Events(store)
    events.place_hold(HoldIn(id="h4", institution="bank", debtor="d4", reason="dispute"), at("2026-01-11 09:00"))
    events.complaint(ComplaintIn(id="cp5", institution="bank", debtor="d5", channel="phone"), at("2026-01-11 09:00"))
    return Units(store, Settings().ledger_hash)


def test_only_a_debtor_nothing_keeps_is_purged(units):
    with units.read() as session:
        assert service.plan(session, "bank", at("2040-01-01 00:00")) == ["d1"]  # d2 guarantees loan3, d3 owes it
    out = service.run(units, "bank", approved_by="合规 钱", at=at("2040-01-01 00:00"), vacuum="none")
    assert out.debtors == ["d1"] and out.entries == 1


def test_a_shorter_policy_purges_sooner_and_the_change_is_ledgered(units):
    when = at("2028-01-10 09:00")  # two years after d1's debt was settled
    with units.read() as session:
        assert service.plan(session, "bank", when) == []
    with units.write(at("2026-02-01 09:00")) as unit:
        with pytest.raises(Conflict) as refused:
            service.set_policy(unit, "bank", RetentionPolicyIn(years=1))
        assert refused.value.code == "art12-retention"
        assert service.set_policy(unit, "bank", RetentionPolicyIn(years=2)).years == 2
    with units.read() as session:
        assert service.plan(session, "bank", when) == ["d1"]
        assert service.plan(session, "bank", at("2028-01-10 08:59")) == []


def test_a_terminated_agency_may_ask_before_its_agreement_ends(units, store):
    with units.write(at("2026-03-01 09:00")) as unit:
        with pytest.raises(Conflict) as early:
            service.request_destruction(unit, "bank", "agA", DestructionRequestIn())
        assert early.value.code == "agreement-not-ended"
    Events(store).agency_status(AgencyStatusIn(institution="bank", agency="agA", status="terminated"),
                                at("2026-03-02 09:00"))
    with units.write(at("2026-03-03 09:00")) as unit:
        row = service.request_destruction(unit, "bank", "agA", DestructionRequestIn(note="终止合作"))
        assert row.status == "requested" and row.agreement_id == "ag1"
    with units.write(at("2026-03-04 09:00")) as unit:
        done = service.approve(unit, "bank", row.id, DestructionDecisionIn(decided_by="合规 钱"))
        assert done.outcome is not None and done.outcome["placements_ended"] == 0
    with units.read() as session:
        entry = session.execute(select(DeletionLogEntry)).scalar_one()
        assert (entry.subject_kind, entry.subject_id, entry.reason) == ("agency-copy", "agA", "agreement_ended")
        assert entry.at.date() == date(2026, 3, 4)
