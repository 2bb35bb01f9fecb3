"""32 workers race to reach one debtor with connected outcomes: exactly the cap per day, on each backend.

With the debtor lock taken out this test fails on PostgreSQL (measured: 4–6 connected calls a day instead of
3, in 5 runs out of 5); its former single-process form passed without the lock.

The workers are split over two processes, each with its own gate (as `serve` runs several workers on
PostgreSQL): inside one process the gate's writer thread already serialises every batch, so only two
gates make two transactions meet on the debtor's row lock (PostgreSQL `FOR UPDATE`, SQLite `BEGIN
IMMEDIATE`) — the path that keeps a cap under concurrency is the one tested.
"""

from __future__ import annotations

import multiprocessing
import threading
from datetime import timedelta
from typing import Any

from collectguard.db.store import Store
from collectguard.gate.schemas import AttemptIn, OutcomeIn
from collectguard.gate.service import Gate
from collectguard.ledger.service import verify
from tests.factories import at, build

PROCESSES = 2
THREADS = 16  # per process
DAYS = 2
ROUNDS = 3  # asks per thread and day: more chances for two batches to meet


def race(db_url: str, process: int, start: Any, results: Any) -> None:
    """One worker process: its own store and gate, THREADS threads asking ROUNDS times for one debtor on each
    of DAYS days and reporting a connected outcome for every allowed call. Puts (allowed ids, errors, batches)
    on `results`."""
    store = Store(db_url)
    gate = Gate(store)
    allowed: list[str] = []
    errors: list[str] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        try:
            start.wait(60)
            for day, r in ((day, r) for day in range(DAYS) for r in range(ROUNDS)):
                when = at("2026-05-20 10:00") + timedelta(days=day, seconds=n, milliseconds=r)
                attempt = AttemptIn(id=f"p{process}w{n}r{r}-d{day}", collector="bot1" if n % 2 else "c1", debt="loan1",
                                    party="d1", channel="voice", mode="notification", tool="tel", template="t-voice")
                decision = gate.decide(attempt, when)
                if decision.allowed:
                    gate.record_outcome(OutcomeIn(attempt=attempt.id, connected=True, duration_s=30),
                                        when + timedelta(seconds=40))
                    with lock:
                        allowed.append(attempt.id)
        except BaseException as exc:  # noqa: BLE001 - reported to the parent
            with lock:
                errors.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    gate.close()
    store.dispose()
    results.put((allowed, errors, gate.committer.batches))


def test_racing_workers_in_two_processes_never_exceed_the_daily_cap(db_url):
    setup = Store(db_url)
    build(setup)
    setup.dispose()
    ctx = multiprocessing.get_context("spawn")  # a fresh interpreter, as a server's worker is
    start = ctx.Barrier(PROCESSES * THREADS)
    results = ctx.Queue()
    procs = [ctx.Process(target=race, args=(db_url, p, start, results)) for p in range(PROCESSES)]
    for proc in procs:
        proc.start()
    try:
        reports = [results.get(timeout=180) for _ in procs]
    finally:
        for proc in procs:
            proc.join(30)
            if proc.is_alive():
                proc.kill()
    allowed = [a for ids, _, _ in reports for a in ids]
    errors = [e for _, errs, _ in reports for e in errs]
    assert not errors, errors[:3]
    assert all(batches > 0 for _, _, batches in reports)  # both gates decided
    per_day = {day: sum(1 for a in allowed if a.endswith(f"-d{day}")) for day in range(DAYS)}
    assert per_day == {0: 3, 1: 3}
    store = Store(db_url)
    try:
        with store.read() as session:
            result = verify(session)
    finally:
        store.dispose()
    assert result.ok, result
    # setup records + 192 decisions + 6 outcomes
    assert result.count >= PROCESSES * THREADS * DAYS * ROUNDS + 6
