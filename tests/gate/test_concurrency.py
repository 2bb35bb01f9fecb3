"""32 workers race to reach one debtor with connected outcomes: exactly the cap per day, on each backend."""

from __future__ import annotations

import threading
from datetime import timedelta

from collectguard.db.store import Store
from collectguard.gate.schemas import AttemptIn, OutcomeIn
from collectguard.gate.service import Gate
from collectguard.ledger.service import verify
from tests.factories import at, build

WORKERS = 32


def test_racing_workers_never_exceed_the_daily_cap(db_url):
    setup = Store(db_url)
    build(setup)
    setup.dispose()
    store = Store(db_url)  # one engine, a connection per thread
    gate = Gate(store)
    start = threading.Barrier(WORKERS)
    allowed: list[str] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            start.wait()
            for day in range(2):
                when = at("2026-05-20 10:00") + timedelta(days=day, seconds=n)
                attempt = AttemptIn(id=f"w{n}-d{day}", collector="bot1" if n % 2 else "c1", debt="loan1", party="d1",
                                    channel="voice", mode="notification", tool="tel", template="t-voice")
                decision = gate.decide(attempt, when)
                if decision.allowed:
                    gate.record_outcome(OutcomeIn(attempt=attempt.id, connected=True, duration_s=30), when + timedelta(seconds=40))
                    with lock:
                        allowed.append(attempt.id)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:3]
    per_day = {day: sum(1 for a in allowed if a.endswith(f"-d{day}")) for day in range(2)}
    assert per_day == {0: 3, 1: 3}
    with store.transaction() as session:
        result = verify(session)
    assert result.ok, result
    # setup records + 64 decisions + 6 outcomes
    assert result.count >= 2 * WORKERS + 6
    store.dispose()
