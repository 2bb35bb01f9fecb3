"""Races between a batch's first reads and its debtor locks, on both backends.

A third connection holds the debtors' locks (PostgreSQL: `FOR UPDATE` on their rows; SQLite: a `BEGIN
IMMEDIATE` transaction) while gates start deciding; only once they wait on those locks does it commit. On
PostgreSQL that is the moment where a batch has already read what it read before locking, so anything it
read then and a rule depends on is stale; on SQLite the whole transaction waits at BEGIN, so these tests
pass there whatever the order of reads (they run on both so the answers are the same on both).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from collectguard.db.store import Store
from collectguard.debts.schemas import DebtorStatusIn
from collectguard.errors import Conflict
from collectguard.gate.models import AttemptRow
from collectguard.gate.service import Gate
from collectguard.registry import models as m
from collectguard.registry import schemas as s
from collectguard.registry.events import Events
from tests.factories import at, build, voice_call, world
from tests.waiting import WAIT_S, until_waiting


@contextmanager
def holding(store: Store, debtor_ids: list[str]) -> Iterator[tuple[Session, Callable[[int], None]]]:
    """A transaction on `store` that holds these debtors' locks until the block ends (then commits).
    Yields the session and `until_waiting(n)`: returns once `n` other transactions wait on a lock."""
    with store.transaction() as session:
        for debtor in debtor_ids:
            store.lock(session, m.Debtor.id, debtor)
        session.flush()
        yield session, lambda n: until_waiting(store, n)


def _in_thread(fn: Callable[[], Any]) -> tuple[threading.Thread, dict[str, Any]]:
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            box["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    return thread, box


def _result(thread: threading.Thread, box: dict[str, Any]) -> Any:
    thread.join(WAIT_S * 2)
    assert not thread.is_alive(), "the gate never answered"
    return box.get("error", box.get("value"))


def _two_debtor_world() -> s.World:
    w = world()
    return w.model_copy(update={
        "debtors": [*w.debtors, s.DebtorIn(id="d2", name="李四")],
        "debts": [*w.debts, s.DebtIn(id="loan2", institution="bank", debtor="d2", product="card")],
    })


@pytest.fixture
def two_stores(store: Store, db_url: str) -> Iterator[tuple[Store, Store]]:
    """The test's store and a second one on the same database (another worker process's engine)."""
    other = Store(db_url, keyring=store.keyring)
    yield store, other
    other.dispose()


def test_the_same_attempt_id_from_two_workers_gets_the_first_answer_twice(two_stores):
    """Issue 10, item 5: both workers read "no such attempt" before they lock the debtor; the second to
    get the lock inserted the same id and its caller got a 500 (unique violation)."""
    store, other = two_stores
    build(store)
    here, there = Gate(store), Gate(other)
    blocker = Store(store.url, keyring=store.keyring)
    try:
        with holding(blocker, ["d1"]) as (_, until_waiting):
            a = _in_thread(lambda: here.decide(voice_call("dial-7"), at("2026-05-20 09:00")))
            b = _in_thread(lambda: there.decide(voice_call("dial-7"), at("2026-05-20 09:00")))
            until_waiting(2)
        first, second = _result(*a), _result(*b)
    finally:
        here.close(), there.close(), blocker.dispose()
    assert not isinstance(first, BaseException), first
    assert not isinstance(second, BaseException), second
    assert first == second and first.allowed
    with store.read() as session:
        assert session.execute(select(func.count()).select_from(AttemptRow)).scalar_one() == 1


def test_the_same_attempt_id_for_two_debtors_at_once_is_a_conflict_never_a_500(two_stores):
    """Two workers, the same new id, different content on different debtors (so no shared lock): one wins,
    the other is told the id is taken (409 attempt-id-reused), whichever inserts first."""
    store, other = two_stores
    build(store, _two_debtor_world())
    here, there = Gate(store), Gate(other)
    blocker = Store(store.url, keyring=store.keyring)
    try:
        with holding(blocker, ["d1", "d2"]) as (_, until_waiting):
            a = _in_thread(lambda: here.decide(voice_call("dial-8"), at("2026-05-20 09:00")))
            b = _in_thread(lambda: there.decide(voice_call("dial-8", debt="loan2", party="d2"), at("2026-05-20 09:00")))
            until_waiting(2)
        results = [_result(*a), _result(*b)]
    finally:
        here.close(), there.close(), blocker.dispose()
    conflicts = [r for r in results if isinstance(r, Conflict)]
    assert len(conflicts) == 1 and conflicts[0].code == "attempt-id-reused", results
    assert [r.allowed for r in results if not isinstance(r, BaseException)] == [True]


def test_a_refusal_committed_while_the_batch_waits_for_the_lock_is_seen(store):
    """Issue 10, item 9: the batch read the contact's `refused` before it locked the debtor, so a refusal
    committed in between was ignored (allowed, then denied on the next ask)."""
    build(store)
    gate = Gate(store)
    Events(store).debtor_status(DebtorStatusIn(debtor="d1", status="unreachable"), at("2026-05-20 08:30"))
    ask = voice_call("ask-k1", party="k1", mode="interactive", purpose="locate", recording=True, template=None)
    blocker = Store(store.url, keyring=store.keyring)
    try:
        with holding(blocker, ["d1"]) as (session, until_waiting):
            session.execute(update(m.Contact).where(m.Contact.id == "k1").values(refused=True,
                                                                                    refused_at=at("2026-05-20 08:59")))
            decided = _in_thread(lambda: gate.decide(ask, at("2026-05-20 09:00")))
            until_waiting(1)
        decision = _result(*decided)
    finally:
        gate.close(), blocker.dispose()
    assert not isinstance(decision, BaseException), decision
    assert decision.failing_rules == ["art8-contact-refused"]


def test_an_offer_to_repay_committed_while_the_batch_waits_is_seen(store):
    """The other contact fact a rule reads (art. 8(三): a contact who offers to repay may hear the debt)."""
    build(store)
    gate = Gate(store)
    Events(store).debtor_status(DebtorStatusIn(debtor="d1", status="unreachable"), at("2026-05-20 08:30"))
    ask = voice_call("ask-k1", party="k1", mode="interactive", purpose="repayment_info", recording=True,
                     template=None)
    blocker = Store(store.url, keyring=store.keyring)
    try:
        with holding(blocker, ["d1"]) as (session, until_waiting):
            session.execute(update(m.Contact).where(m.Contact.id == "k1").values(offers_to_repay=True))
            decided = _in_thread(lambda: gate.decide(ask, at("2026-05-20 09:00")))
            until_waiting(1)
        decision = _result(*decided)
    finally:
        gate.close(), blocker.dispose()
    assert not isinstance(decision, BaseException), decision
    assert decision.allowed, decision.failing_rules
