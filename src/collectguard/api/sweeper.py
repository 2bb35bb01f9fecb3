"""The server's lease sweeper: every few seconds, leases whose outcome never came are marked expired and
recorded in the ledger as missing outcomes (`Gate.expire_leases`), so a dialer that stopped reporting is seen
(GET /v1/attempts/missing-outcomes). Caps hold without it (an overdue lease already counts as consumed); it
is what makes the missing outcome a recorded fact.

It runs as a task of the application's lifespan: once at start (catching up after a restart), then every
`interval_s`; on shutdown it finishes the batch in hand and stops. Several workers or servers may sweep the
same database: each lease is expired once, under its debtor's lock. A failed sweep (database down) is
logged, without its message (it may quote data), and tried again at the next interval.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime

from starlette.concurrency import run_in_threadpool

from collectguard.gate.service import Gate

log = logging.getLogger("collectguard.leases")
BATCH = 500  # leases expired per transaction


class LeaseSweeper:
    def __init__(self, gate: Gate, clock: Callable[[], datetime], interval_s: float, *, batch: int = BATCH) -> None:
        self.gate, self.clock, self.interval_s, self.batch = gate, clock, interval_s, batch
        self.sweeps = 0  # completed sweeps (for tests and diagnostics)
        self.expired = 0  # leases this sweeper expired
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def running(self) -> int:
        """How many lifespans are sweeping now (a test may run two clients on one app, each on its own loop)."""
        return len(self._tasks)

    @asynccontextmanager
    async def during(self) -> AsyncIterator[None]:
        """Sweep on the running event loop while the body runs; on exit, finish the sweep in hand and stop."""
        if self.interval_s <= 0:
            yield
            return
        stop = asyncio.Event()
        task = asyncio.create_task(self._run(stop), name="collectguard-lease-sweeper")
        self._tasks.add(task)
        try:
            yield
        finally:
            stop.set()
            await task
            self._tasks.discard(task)

    async def _run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await self.sweep(stop)
            try:
                await asyncio.wait_for(stop.wait(), timeout=self.interval_s)
            except TimeoutError:
                continue

    async def sweep(self, stop: asyncio.Event | None = None) -> int:
        """One sweep, in the thread pool: every overdue lease, `batch` per transaction. Never raises."""
        try:
            count = await run_in_threadpool(self._expire_all, stop)
        except Exception as exc:  # the sweeper must outlive a database outage
            log.warning("租约到期处理失败，稍后重试 lease expiry failed (%s); retrying in %ss",
                        type(exc).__name__, self.interval_s)
            return 0
        self.sweeps += 1
        self.expired += count
        if count:
            log.info("%d 个租约到期未报结果 leases expired without an outcome", count)
        return count

    def _expire_all(self, stop: asyncio.Event | None) -> int:
        total = 0
        while True:
            expired = self.gate.expire_leases(self.clock(), limit=self.batch)
            total += len(expired)
            if len(expired) < self.batch or (stop is not None and stop.is_set()):
                return total
