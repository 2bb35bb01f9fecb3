"""Leases whose outcome never came: expired in batches, each a ledger record with its institution, and listed
as missing outcomes per collector until a late outcome settles them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from collectguard.errors import InvalidInput
from collectguard.gate.leases import missing_outcomes, period
from collectguard.gate.models import AttemptRow
from collectguard.gate.schemas import OutcomeIn
from collectguard.gate.service import Gate
from collectguard.ledger.models import LedgerRecord
from collectguard.ledger.service import verify
from tests.factories import at, build, voice_call


@pytest.fixture
def gate(store):
    build(store)
    return Gate(store)


def _calls(gate: Gate) -> None:
    """bot1 calls d1 three times at 09:00 (leases until 09:10), a1 is not connected (released); c1 (agA's)
    calls at 09:05 (lease until 09:15)."""
    for i in range(3):
        assert gate.decide(voice_call(f"a{i}"), at("2026-05-20 09:00") + timedelta(seconds=i)).allowed
    gate.record_outcome(OutcomeIn(attempt="a1", connected=False), at("2026-05-20 09:03"))
    assert gate.decide(voice_call("v1", collector="c1"), at("2026-05-20 09:05")).allowed


def test_each_expiry_is_a_ledger_record_with_the_institution_oldest_first_in_batches(gate, store):
    _calls(gate)
    assert gate.expire_leases(at("2026-05-20 09:09")) == []  # nothing due yet
    assert gate.expire_leases(at("2026-05-20 10:00"), limit=1) == ["a0"]
    assert gate.expire_leases(at("2026-05-20 10:00"), limit=10) == ["a2", "v1"]
    assert gate.expire_leases(at("2026-05-20 10:00")) == []  # each lease expires once
    with store.transaction() as session:
        records = session.execute(select(LedgerRecord).where(LedgerRecord.kind == "gate:lease:expired")
                                  .order_by(LedgerRecord.seq)).scalars().all()
        states = dict(session.execute(select(AttemptRow.id, AttemptRow.lease_state)).all())
        assert verify(session).ok
    assert [(r.subject, r.institution_id) for r in records] == [("a0", "bank"), ("a2", "bank"), ("v1", "bank")]
    assert '"missing_outcome":true' in records[0].body
    assert states == {"a0": "expired", "a1": "released", "a2": "expired", "v1": "expired"}


def test_missing_outcomes_per_collector_until_a_late_outcome_settles_one(gate, store):
    _calls(gate)
    now = at("2026-05-20 09:30")
    gate.expire_leases(at("2026-05-20 09:12"))  # a0 and a2 swept; v1 (until 09:15) is overdue, not swept yet
    with store.read() as session:
        result = missing_outcomes(session, "bank", at("2026-05-20 00:00"), now, now)
        assert missing_outcomes(session, "bank2", at("2026-05-20 00:00"), now, now).total == 0
        agency = missing_outcomes(session, "bank", at("2026-05-20 00:00"), now, now, orgs={"agA"})
    assert result.total == 3
    assert [(c.collector, c.count, c.attempts) for c in result.collectors] == [
        ("bot1", 2, ["a0", "a2"]), ("c1", 1, ["v1"])]
    assert [(c.collector, c.attempts) for c in agency.collectors] == [("c1", ["v1"])]
    late = gate.record_outcome(OutcomeIn(attempt="a2", connected=False), at("2026-05-20 09:40"))
    assert late.late and late.lease_state == "released"
    with store.read() as session:
        after = missing_outcomes(session, "bank", at("2026-05-20 00:00"), now, now)
        # a window that ends before the leases expired shows none of them
        before = missing_outcomes(session, "bank", at("2026-05-20 00:00"), at("2026-05-20 09:10"), now)
    assert [(c.collector, c.attempts) for c in after.collectors] == [("bot1", ["a0"]), ("c1", ["v1"])]
    assert before.total == 0


def test_the_period_defaults_to_the_last_day_and_refuses_bad_bounds():
    now = at("2026-05-20 12:00")
    assert period(None, None, now) == (now - timedelta(days=1), now)
    with pytest.raises(InvalidInput) as err:
        period(now, now, now)
    assert err.value.field == "since"
    with pytest.raises(InvalidInput) as err:
        period(now - timedelta(days=40), now, now)
    assert err.value.field == "since"
    with pytest.raises(InvalidInput) as err:
        period(None, now.replace(tzinfo=None), now)
    assert err.value.field == "until"
