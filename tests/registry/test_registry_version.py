"""The gate's registry snapshot is invalidated by a listener on the rows it caches (db/registry_version.py),
not by the kind of ledger record a change happens to append: any path that changes such a row moves the
version, once per transaction; a change to anything else does not."""

from __future__ import annotations

from sqlalchemy import select

from collectguard.db.base import Base
from collectguard.db.registry_version import GateCached
from collectguard.gate.service import Gate
from collectguard.registry import models as m
from tests.factories import at, build, voice_call

# What the gate's snapshot is built from (gate/snapshot.py), and so what must move the version.
CACHED = {
    m.Institution, m.Agency, m.AgencyListing, m.SubcontractorApproval, m.Agreement, m.Collector, m.Training,
    m.CollectorAcceptance, m.Tool, m.Template, m.TemplateVersion,
}


def _version(store) -> int:
    with store.read() as session:
        return session.execute(select(m.RegistryState.version).where(m.RegistryState.id == 1)).scalar_one()


def test_the_cached_models_are_exactly_those_the_snapshot_reads():
    mapped = {mapper.class_ for mapper in Base.registry.mappers}
    assert {cls for cls in mapped if issubclass(cls, GateCached)} == CACHED


def test_a_change_made_without_any_ledger_record_reaches_the_gate(store):
    """A collector suspended straight through the ORM (an operator's script, a future domain that forgets to
    record): the next decision sees it. Matching ledger kinds, as before, left the gate on its stale snapshot."""
    build(store)
    gate = Gate(store)
    try:
        assert gate.decide(voice_call("a1"), at("2026-05-20 09:00")).allowed  # the snapshot is cached now
        with store.transaction() as session:
            session.get(m.Collector, "bot1").status = "suspended"
        decision = gate.decide(voice_call("a2"), at("2026-05-20 09:01"))
        assert decision.failing_rules == ["art6-collector-qualified"]
    finally:
        gate.close()


def test_one_move_per_transaction_whatever_it_changes(store):
    build(store)
    before = _version(store)
    with store.transaction() as session:
        session.get(m.Collector, "bot1").approved = False
        session.flush()
        session.get(m.Tool, "tel").filed = True
        session.get(m.Institution, "bank").name = "另一个名字"
    assert _version(store) == before + 1
    with store.transaction() as session:
        session.add(m.Training(collector_id="c1", day=at("2026-05-02 09:00").date()))
    assert _version(store) == before + 2


def test_changes_the_gate_does_not_cache_leave_the_version_alone(store):
    build(store)
    before = _version(store)
    with store.transaction() as session:
        session.get(m.Debtor, "d1").status = "deceased"
        session.get(m.Contact, "k1").offers_to_repay = True
        session.get(m.Collector, "bot1")  # read, not changed
        session.get(m.Tool, "tel").official = True  # set to the value it has: not a change
    assert _version(store) == before
