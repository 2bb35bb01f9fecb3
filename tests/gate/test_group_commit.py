"""Group commit: many callers' items decided in one transaction, each with its own answer or error."""

from __future__ import annotations

import threading
import time
from datetime import datetime

import pytest
from sqlalchemy import func, select

from collectguard.errors import Conflict, NotFound, Unavailable
from collectguard.gate.committer import GroupCommitter
from collectguard.gate.models import AttemptRow
from collectguard.gate.schemas import OutcomeIn
from collectguard.gate.service import Gate
from collectguard.ledger.models import LedgerRecord
from collectguard.ledger.service import verify
from tests.factories import at, build, voice_call

call = voice_call


@pytest.fixture
def gate(store):
    build(store)
    g = Gate(store)
    yield g
    g.close()


def _count(store, model) -> int:
    with store.read() as s:
        return s.execute(select(func.count()).select_from(model)).scalar_one()


def test_a_batch_answers_each_item_and_one_bad_item_fails_alone(gate, store):
    t = at("2026-05-20 09:00")
    results = gate.decide_many([(call("a1"), t), (call("a2", debt="no-such-debt"), t), (call("a3"), t),
                                (call("a4", party="nobody"), t), (call("a5"), t), (call("a6"), t)])
    assert [type(r).__name__ for r in results] == ["DecisionOut", "NotFound", "DecisionOut", "NotFound",
                                                   "DecisionOut", "DecisionOut"]
    # items are judged in order against what the batch already decided: the cap is 3 leases a day
    assert [r.allowed for r in results if not isinstance(r, NotFound)] == [True, True, True, False]
    assert results[5].failing_rules == ["art15-voice-cap"]
    assert _count(store, AttemptRow) == 4
    with store.read() as s:
        assert verify(s).ok


def test_the_same_attempt_twice_in_one_batch_gets_one_answer_and_one_lease(gate, store):
    t = at("2026-05-20 09:00")
    first, again, changed = gate.decide_many([(call("a1"), t), (call("a1"), t), (call("a1", channel="sms", tool="sms",
                                                                                        template="t-sms"), t)])
    assert again == first
    assert isinstance(changed, Conflict) and changed.code == "attempt-id-reused"
    assert _count(store, AttemptRow) == 1


def test_outcomes_and_decisions_share_a_batch(gate, store):
    t = at("2026-05-20 09:00")
    for i in range(3):
        assert gate.decide(call(f"a{i}"), t).allowed
    done = threading.Event()
    results: dict[str, object] = {}

    def release() -> None:
        results["out"] = gate.record_outcome(OutcomeIn(attempt="a0", connected=False), at("2026-05-20 09:01"))
        done.set()

    threading.Thread(target=release).start()
    assert done.wait(30)
    assert results["out"].lease_state == "released"
    assert gate.decide(call("a3"), at("2026-05-20 09:02")).allowed
    with pytest.raises(Conflict):
        gate.record_outcome(OutcomeIn(attempt="a0", connected=True), at("2026-05-20 09:03"))
    with pytest.raises(NotFound):
        gate.record_outcome(OutcomeIn(attempt="zz", connected=True), at("2026-05-20 09:03"))


def _items(n: int) -> list[tuple[object, datetime]]:
    return [(i, at("2026-05-20 09:00")) for i in range(n)]


def test_a_database_outage_fails_every_caller_in_the_batch():
    calls: list[int] = []

    def run(decides, outcomes):
        calls.append(len(decides))
        raise Unavailable("数据库暂不可用", "database unavailable", code="db-unavailable")

    committer = GroupCommitter(run)
    results = committer.submit_many("decide", _items(5))
    committer.close()
    assert all(isinstance(r, Unavailable) for r in results)
    assert sum(calls) == 5  # never retried one by one: the database is down for all of them


def test_any_other_batch_failure_is_retried_item_by_item_so_only_the_culprit_fails():
    def run(decides, outcomes):
        if any(body == 3 for body, _ in decides):
            raise RuntimeError("item 3 is broken")
        return [body * 10 for body, _ in decides], []

    committer = GroupCommitter(run)
    results = committer.submit_many("decide", _items(6))
    committer.close()
    assert [r if not isinstance(r, BaseException) else "error" for r in results] == [0, 10, 20, "error", 40, 50]


def test_concurrent_callers_are_batched_and_nothing_is_lost(gate, store):
    t = at("2026-05-20 09:00")
    errors: list[BaseException] = []

    def caller(k: int) -> None:
        for i in range(5):
            try:
                gate.decide(call(f"c{k}-{i}", channel="sms", tool="sms", template="t-sms"), t)
            except BaseException as exc:  # noqa: BLE001 - collected
                errors.append(exc)

    threads = [threading.Thread(target=caller, args=(k,)) for k in range(16)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert not errors
    assert _count(store, AttemptRow) == 80
    assert gate.committer.items == 80 and gate.committer.batches <= 80
    with store.read() as s:
        decided = s.execute(select(func.count()).select_from(LedgerRecord)
                            .where(LedgerRecord.kind == "gate:attempt:decided")).scalar_one()
        assert decided == 80 and verify(s).ok


def test_a_repeated_identical_outcome_gets_the_first_answer_and_settles_once(gate, store):
    assert gate.decide(call("a1"), at("2026-05-20 09:00")).allowed
    first = gate.record_outcome(OutcomeIn(attempt="a1", connected=True, duration_s=30), at("2026-05-20 09:20"))
    assert first.late and first.consumed and first.lease_state == "consumed"
    again = gate.record_outcome(OutcomeIn(attempt="a1", connected=True, duration_s="30.000"), at("2026-05-20 09:30"))
    assert again == first
    with pytest.raises(Conflict):
        gate.record_outcome(OutcomeIn(attempt="a1", connected=False), at("2026-05-20 09:31"))
    with store.read() as s:
        outcomes = s.execute(select(func.count()).select_from(LedgerRecord)
                             .where(LedgerRecord.kind == "gate:attempt:outcome")).scalar_one()
    assert outcomes == 1


# -- the writer thread: never wait for ever (issue 10, item 8) -----------------------------------------
def _answer_within(fn, seconds: float = 15.0):
    """Run `fn` in a thread; its result or error, or fail if it does not answer in time."""
    box: dict[str, object] = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            box["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "the caller is still waiting: nobody answers it"
    return box.get("error", box.get("value"))


class _Killed(BaseException):
    """Not an Exception: nothing in the batch path catches it, so it ends the writer thread."""


def test_a_writer_thread_that_dies_answers_503_and_the_next_caller_gets_a_new_one():
    calls: list[list[object]] = []

    def run(decides, outcomes):
        calls.append([body for body, _ in decides])
        if len(calls) == 1:
            raise _Killed("the writer dies in its first batch")
        return [body * 10 for body, _ in decides], []

    committer = GroupCommitter(run)
    committer.wait_s = 2.0
    try:
        died = _answer_within(lambda: committer.submit("decide", 1, at("2026-05-20 09:00")))
        assert isinstance(died, Unavailable) and died.status == 503, died
        assert died.code == "gate-writer-unavailable" and "重试" in died.message_zh and "retry" in died.message_en
        assert _answer_within(lambda: committer.submit("decide", 2, at("2026-05-20 09:00"))) == 20
        assert committer.restarts == 1
    finally:
        committer.close()


def test_a_writer_that_hangs_times_out_with_503_and_a_new_writer_serves_the_next_caller():
    release = threading.Event()

    def run(decides, outcomes):
        if "stuck" in [body for body, _ in decides]:
            release.wait(30)  # a database call that never returns
        return [f"{body}!" for body, _ in decides], []

    committer = GroupCommitter(run)
    committer.wait_s = 0.5
    try:
        hung = _answer_within(lambda: committer.submit("decide", "stuck", at("2026-05-20 09:00")))
        assert isinstance(hung, Unavailable) and hung.code == "gate-writer-unavailable", hung
        assert _answer_within(lambda: committer.submit("decide", "next", at("2026-05-20 09:00"))) == "next!"
        assert committer.restarts == 1
    finally:
        release.set()
        committer.close()


def test_a_caller_that_timed_out_while_queued_is_never_written():
    """Its caller was told 503: the item is withdrawn from the queue, so no decision is made behind its back."""
    release = threading.Event()
    ran: list[object] = []

    def run(decides, outcomes):
        ran.extend(body for body, _ in decides)
        if "first" in [body for body, _ in decides]:
            release.wait(30)
        return [body for body, _ in decides], []

    committer = GroupCommitter(run)
    try:
        first = threading.Thread(target=lambda: committer.submit("decide", "first", at("2026-05-20 09:00")),
                                 daemon=True)
        first.start()
        while "first" not in ran:
            time.sleep(0.01)
        queued = _answer_within(lambda: committer.submit("decide", "second", at("2026-05-20 09:00"), wait_s=0.3))
        assert isinstance(queued, Unavailable) and queued.code == "gate-writer-unavailable", queued
        release.set()
        first.join(5)
        assert _answer_within(lambda: committer.submit("decide", "third", at("2026-05-20 09:00"))) == "third"
        assert "second" not in ran and committer.restarts == 1
    finally:
        release.set()
        committer.close()
