"""The outbox and its sender on SQLite and PostgreSQL: signed delivery, back-off, give-up, leases."""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from collectguard.db.store import Store
from collectguard.ledger.models import LedgerRecord
from collectguard.ledger.service import verify
from collectguard.notices import signing
from collectguard.notices.models import NO_ENDPOINT, NoticeStatus, OutboxRow
from collectguard.notices.outbox import enqueue
from collectguard.notices.sender import Outcome, Policy, Sender
from collectguard.registry.service import Registry
from tests.notices.conftest import SECRET, T0, Tick, set_endpoint

URL = "https://agency.example/hooks/stop"
Handler = Callable[[httpx.Request], httpx.Response]


def queue(store: Store, n: int = 1, *, agency: str = "agA", reason: str = "settled") -> list[str]:
    with store.transaction() as session:
        return [enqueue(session, institution_id="bank", agency_id=agency, debt_id="loan1", reason=reason,
                        payload={"agency": agency, "reason": reason}, at=T0) for _ in range(n)]


def sender(store: Store, tick: Tick, handler: Handler, **policy: float) -> Sender:
    return Sender(store, client=httpx.Client(transport=httpx.MockTransport(handler)), clock=tick,
                  policy=Policy(**policy), rng=random.Random(7))  # type: ignore[arg-type]


def row(store: Store, notice_id: str) -> OutboxRow:
    with store.transaction() as session:
        found = session.get(OutboxRow, notice_id)
        assert found is not None
        return found


def ledger_kinds(store: Store, subject: str) -> list[str]:
    with store.transaction() as session:
        return list(session.execute(select(LedgerRecord.kind).where(LedgerRecord.subject == subject)
                                    .order_by(LedgerRecord.seq)).scalars())


def test_a_notice_is_posted_signed_and_marked_delivered_once(world_store, tick):
    set_endpoint(world_store, URL)
    (nid,) = queue(world_store)
    seen: list[httpx.Request] = []

    def agency(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    s = sender(world_store, tick, agency)
    assert [r.outcome for r in s.run_once()] == [Outcome.DELIVERED]
    request = seen[0]
    assert str(request.url) == URL and request.headers[signing.DELIVERY] == nid
    assert request.headers[signing.TIMESTAMP] == str(int(T0.timestamp()))
    assert signing.verify(SECRET, dict(request.headers), request.content, now=T0.timestamp())
    body = json.loads(request.content)
    assert body["id"] == nid and body["debt"] == "loan1" and body["type"] == "stop-notice"
    assert "停止" in body["message_zh"] and "Stop" in body["message_en"]
    done = row(world_store, nid)
    assert done.status == NoticeStatus.DELIVERED and done.delivered_at == T0 and done.attempts == 1
    tick.advance(7200)
    assert s.run_once() == [] and len(seen) == 1  # never re-sent once delivered
    assert ledger_kinds(world_store, nid) == ["notice:notice:delivered"]
    with world_store.transaction() as session:
        assert verify(session).ok


def test_a_500_and_a_timeout_are_retried_with_back_off_then_delivered(world_store, tick):
    set_endpoint(world_store, URL)
    (nid,) = queue(world_store)
    script: list[Callable[[], httpx.Response]] = [
        lambda: httpx.Response(500, text="busy"),
        lambda: (_ for _ in ()).throw(httpx.ReadTimeout("slow")),
        lambda: httpx.Response(200),
    ]
    s = sender(world_store, tick, lambda request: script.pop(0)(), base_delay_s=30)

    first = s.run_once()[0]
    assert first.outcome is Outcome.RETRY and "HTTP 500" in (first.error or "")
    assert first.next_attempt_at is not None
    assert timedelta(seconds=15) <= first.next_attempt_at - T0 <= timedelta(seconds=30)
    assert s.run_once() == []  # not due yet
    tick.now = first.next_attempt_at
    second = s.run_once()[0]
    assert second.outcome is Outcome.RETRY and "超时 timeout" in (second.error or "")
    assert second.next_attempt_at is not None
    assert timedelta(seconds=30) <= second.next_attempt_at - tick.now <= timedelta(seconds=60)  # doubled
    assert row(world_store, nid).last_error == second.error
    tick.now = second.next_attempt_at
    assert s.run_once()[0].outcome is Outcome.DELIVERED
    done = row(world_store, nid)
    assert done.status == NoticeStatus.DELIVERED and done.attempts == 3 and done.last_error is None
    assert script == []


def test_it_gives_up_after_max_attempts_and_says_so(world_store, tick):
    set_endpoint(world_store, URL)
    (nid,) = queue(world_store)
    calls: list[int] = []

    def down(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(503)

    s = sender(world_store, tick, down, max_attempts=3, base_delay_s=1)
    outcomes = []
    for _ in range(5):
        outcomes += [r.outcome for r in s.run_once()]
        tick.advance(3600)
    assert outcomes == [Outcome.RETRY, Outcome.RETRY, Outcome.FAILED] and len(calls) == 3
    failed = row(world_store, nid)
    assert failed.status == NoticeStatus.FAILED and failed.next_attempt_at is None
    assert failed.last_error and "503" in failed.last_error
    assert ledger_kinds(world_store, nid) == ["notice:notice:failed"]


def test_an_agency_answer_echoing_personal_data_is_kept_masked(world_store, tick):
    set_endpoint(world_store, URL)
    (nid,) = queue(world_store)
    echo = "unknown debtor 10012345678 / 990101199001011234"

    s = sender(world_store, tick, lambda request: httpx.Response(422, text=echo), max_attempts=1)
    assert [r.outcome for r in s.run_once()] == [Outcome.FAILED]
    assert row(world_store, nid).last_error == "HTTP 422: unknown debtor 100****5678 / 990***********1234"
    with world_store.transaction() as session:
        (failed,) = session.execute(select(LedgerRecord).where(LedgerRecord.subject == nid)).scalars()
        assert "10012345678" not in failed.body and "990101199001011234" not in failed.body
        assert "100****5678" in failed.body


def test_back_off_is_capped_and_jittered():
    policy = Policy(base_delay_s=30, max_delay_s=3600)
    rng = random.Random(1)
    delays = [policy.delay(n, rng).total_seconds() for n in range(1, 20)]
    assert all(d <= 3600 for d in delays) and max(delays) > 1800
    assert all(30 * 2 ** (n - 1) / 2 <= d for n, d in enumerate(delays[:7], 1))
    assert len({policy.delay(3, rng) for _ in range(5)}) > 1  # jitter spreads retries


def test_without_an_endpoint_a_notice_waits_and_goes_out_once_one_is_set(world_store, tick):
    (nid,) = queue(world_store)
    sent: list[str] = []
    s = sender(world_store, tick, lambda request: (sent.append(request.headers[signing.DELIVERY]), httpx.Response(200))[1])
    assert [(r.outcome, r.error) for r in s.run_once()] == [(Outcome.RETRY, NO_ENDPOINT)]
    assert s.run_once() == []
    tick.advance(1)
    set_endpoint(world_store, URL, at=tick.now)  # makes the waiting notice due now
    assert [r.outcome for r in s.run_once()] == [Outcome.DELIVERED] and sent == [nid]


def test_a_late_result_after_the_lease_ran_out_records_nothing_twice(world_store, tick):
    """Sender A claims and stalls past its lease; B claims, sends and records the delivery. A's late
    answers (success or failure) change nothing: one delivery is recorded."""
    set_endpoint(world_store, URL)
    (nid,) = queue(world_store)
    a = sender(world_store, tick, lambda request: httpx.Response(200), timeout_s=5, lease_s=10)
    b = sender(world_store, tick, lambda request: httpx.Response(200), timeout_s=5, lease_s=10)
    _, (claim_a,) = a.claim(10)
    assert b.claim(10) == ([], [])  # leased to A
    tick.advance(11)
    _, (claim_b,) = b.claim(10)
    assert claim_b.attempt == 2
    assert a.record(claim_a, "超时 timeout").outcome is Outcome.STALE  # A's failure does not reschedule B's
    assert b.deliver(claim_b).outcome is Outcome.DELIVERED
    assert a.record(claim_a, None).outcome is Outcome.STALE
    assert ledger_kinds(world_store, nid) == ["notice:notice:delivered"]
    assert row(world_store, nid).delivered_at == tick.now


def test_a_notice_exists_only_if_its_transaction_commits(world_store):
    with pytest.raises(RuntimeError), world_store.transaction() as session:
        Registry(session, at=T0).record("debt:repayment:recorded", "loan1", {"settled": True}, "bank")
        enqueue(session, institution_id="bank", agency_id="agA", debt_id="loan1", reason="settled", payload={}, at=T0)
        raise RuntimeError("crash before commit")
    with world_store.transaction() as session:
        assert session.execute(select(OutboxRow)).scalars().all() == []


def test_over_real_http_the_receiver_verifies_the_signature(world_store, receiver):
    set_endpoint(world_store, receiver.url)
    ids = queue(world_store, 3)
    s = Sender(world_store, policy=Policy(timeout_s=5))
    try:
        assert [r.outcome for r in s.run_once()] == [Outcome.DELIVERED] * 3
    finally:
        s.close()
    assert sorted(receiver.ids) == sorted(ids)
    assert all(d.verified and d.attempt == 1 for d in receiver.deliveries)


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_concurrent_senders_skip_rows_another_has_locked(world_store, tick):
    """PostgreSQL: a claim skips rows locked by another transaction instead of waiting for them."""
    ids = queue(world_store, 2)
    set_endpoint(world_store, URL)
    s = sender(world_store, tick, lambda request: httpx.Response(200))
    with world_store.transaction() as session:
        session.execute(select(OutboxRow).where(OutboxRow.id == ids[0]).with_for_update())
        started = time.monotonic()
        _, claims = s.claim(10)
        assert time.monotonic() - started < 5
    assert [c.id for c in claims] == [ids[1]]


def test_run_forever_sends_until_stopped(world_store, tick):
    set_endpoint(world_store, URL)
    ids = queue(world_store, 3)
    sent: list[str] = []
    s = sender(world_store, tick, lambda request: (sent.append(request.headers[signing.DELIVERY]), httpx.Response(200))[1])
    stop = threading.Event()
    counts: list[Counter[str]] = []
    worker = threading.Thread(target=lambda: counts.append(s.run_forever(stop, interval=0.05, limit=2)))
    worker.start()
    deadline = time.monotonic() + 10
    while len(sent) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    stop.set()
    worker.join(5)
    assert not worker.is_alive() and sorted(sent) == sorted(ids) and counts == [Counter(delivered=3)]
