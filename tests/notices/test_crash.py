"""Kill the sender (SIGKILL, a real child process) between commit and delivery; on restart every notice
is delivered, and exactly one delivery is recorded per notice. The receiver dedupes by notice id: only a
notice that was in flight when the sender died may reach it twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from collectguard.db.store import Store
from collectguard.ledger.models import LedgerRecord
from collectguard.ledger.service import verify
from collectguard.notices.models import NoticeStatus, OutboxRow
from collectguard.notices.outbox import enqueue
from collectguard.notices.sender import Policy, send_pending
from tests.notices.conftest import SECRET, set_endpoint
from tests.notices.receiver import Receiver

N = 5
CHILD = """
import pathlib, sys, time
import httpx
from collectguard.notices.sender import Policy, send_pending
url, mode, marker = sys.argv[1:4]
client = None
if mode == "stall":  # the network never carries the request: killed after the claim, before any send
    class Stall(httpx.BaseTransport):
        def handle_request(self, request):
            pathlib.Path(marker).write_text(request.headers["X-CollectGuard-Delivery"])
            time.sleep(3600)
    client = httpx.Client(transport=Stall())
send_pending(url, client=client, policy=Policy(timeout_s=60))
"""


def committed_notices(store: Store, receiver: Receiver) -> list[str]:
    """Notices committed in the events' transactions, before any sender ran."""
    now = datetime.now(UTC)
    set_endpoint(store, receiver.url, at=now)
    with store.transaction() as session:
        return [enqueue(session, institution_id="bank", agency_id="agA", debt_id="loan1", reason="settled",
                        payload={"agency": "agA", "reason": "settled", "n": i}, at=now - timedelta(seconds=N - i))
                for i in range(N)]


@contextmanager
def child_sender(db_url: str, mode: str, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    log = (tmp_path / f"child-{mode}.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-c", CHILD, db_url, mode, str(tmp_path / "claimed")],
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)
        log.close()


def sigkill(proc: subprocess.Popen[bytes]) -> None:
    assert proc.poll() is None, "the sender finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait(10) == -signal.SIGKILL


def restart(db_url: str) -> dict[str, int]:
    """A new sender, after the dead one's lease ran out (its clock moved past it)."""
    later = timedelta(seconds=Policy(timeout_s=60).lease.total_seconds() + 30)
    return send_pending(db_url, policy=Policy(timeout_s=5), clock=lambda: datetime.now(UTC) + later)


def states(store: Store) -> dict[str, tuple[str, int]]:
    with store.transaction() as session:
        return {r.id: (r.status, r.attempts) for r in session.execute(select(OutboxRow)).scalars()}


def assert_each_delivered_once(store: Store, ids: list[str]) -> None:
    with store.transaction() as session:
        rows = {r.id: r for r in session.execute(select(OutboxRow)).scalars()}
        assert set(rows) == set(ids)
        assert all(r.status == NoticeStatus.DELIVERED and r.delivered_at is not None for r in rows.values())
        recorded = dict(session.execute(
            select(LedgerRecord.subject, func.count()).where(LedgerRecord.kind == "notice:notice:delivered")
            .group_by(LedgerRecord.subject)).all())
        assert recorded == {i: 1 for i in ids}  # exactly one recorded delivery per notice
        assert verify(session).ok


def test_killed_after_the_claim_before_any_send(db_url, world_store, receiver, tmp_path):
    ids = committed_notices(world_store, receiver)
    marker = tmp_path / "claimed"
    with child_sender(db_url, "stall", tmp_path) as proc:
        deadline = time.monotonic() + 15
        while not marker.exists():
            assert proc.poll() is None and time.monotonic() < deadline, (tmp_path / "child-stall.log").read_text()
            time.sleep(0.05)
        sigkill(proc)
    assert receiver.ids == []
    assert states(world_store) == {i: (NoticeStatus.PENDING, 1) for i in ids}  # leased, never sent
    assert restart(db_url)["delivered"] == N
    assert Counter(receiver.ids) == {i: 1 for i in ids}
    assert all(d.verified for d in receiver.deliveries)
    assert_each_delivered_once(world_store, ids)


def test_killed_mid_delivery_after_the_agency_got_it(db_url, world_store, tmp_path):
    receiver = Receiver(SECRET, block=frozenset({3}))  # answers two, then holds the third response
    try:
        ids = committed_notices(world_store, receiver)
        with child_sender(db_url, "http", tmp_path) as proc:
            receiver.wait_for(3)
            sigkill(proc)
        in_flight = receiver.ids[2]
        before = states(world_store)
        assert [i for i in ids if before[i][0] == NoticeStatus.DELIVERED] == ids[:2] and in_flight == ids[2]
        assert restart(db_url) == {"delivered": N - 2, "retry": 0, "failed": 0, "stale": 0}
        seen = Counter(receiver.ids)
        assert set(seen) == set(ids)
        assert seen == {**{i: 1 for i in ids}, in_flight: 2}  # only the in-flight one twice; same id to dedupe
        assert all(d.verified for d in receiver.deliveries)
        assert_each_delivered_once(world_store, ids)
    finally:
        receiver.close()
