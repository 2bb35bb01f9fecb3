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
from collections.abc import Callable
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
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start sweeping on the running event loop (each lifespan of the app has its own)."""
        if self.interval_s > 0 and self._task is None:
            self._stop = asyncio.Event()
            self._task = asyncio.create_task(self._run(), name="collectguard-lease-sweeper")

    async def stop(self) -> None:
        """Stop after the sweep in hand (if any) commits or fails."""
        self._stop.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def _run(self) -> None:
        while not self._stop.is_set():
            await self.sweep()
            try:
                await asyncio.wait_for(self._stop.wait(), timeout=self.interval_s)
            except TimeoutError:
                continue

    async def sweep(self) -> int:
        """One sweep, in the thread pool: every overdue lease, `batch` per transaction. Never raises."""
        try:
            count = await run_in_threadpool(self._expire_all)
        except Exception as exc:  # the sweeper must outlive a database outage
            log.warning("租约到期处理失败，稍后重试 lease expiry failed (%s); retrying in %ss",
                        type(exc).__name__, self.interval_s)
            return 0
        self.sweeps += 1
        self.expired += count
        if count:
            log.info("%d 个租约到期未报结果 leases expired without an outcome", count)
        return count

    def _expire_all(self) -> int:
        total = 0
        while True:
            expired = self.gate.expire_leases(self.clock(), limit=self.batch)
            total += len(expired)
            if len(expired) < self.batch or self._stop.is_set():
                return total
