"""Group commit: one writer thread per gate drains every queued decision and outcome into one transaction.

Concurrent callers (HTTP worker threads, a dialer's threads) each put an item on the queue and wait. The
writer takes whatever has queued up (at most `max_batch` items), runs it as one batch (gate/batch.py) and
commits; only then does each caller get its answer. Under load the cost of a transaction, the locks and
the reads is shared by the whole batch; a lone caller pays for a batch of one.

If a batch fails as a whole — the database is down, the disk is full — every caller in it gets that
error (HTTP 503) and nothing of the batch is written. If it fails for any other reason (a bug), its items
are retried one by one so that only the item at fault fails. (An id inserted by another process at the
same moment is retried by the gate itself: see `Gate._batch`.)

No caller waits for ever (issue 10, item 8). A caller waits at most `wait_s` for its answer; then its item
is withdrawn if no writer has taken it yet (it will never be written), the writer is restarted if it died
or has been stuck in one batch for that long, and the caller gets a 503 `gate-writer-unavailable`: retrying
with the same attempt id is safe, since a decision already made is answered as it was. A writer that dies
(anything that is not an `Exception` escaping a batch) answers its batch's callers with that 503 at once;
the next caller starts a new writer.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from collectguard.errors import Unavailable

log = logging.getLogger(__name__)

Batch = Callable[[list[tuple[Any, datetime]], list[tuple[Any, datetime]]], tuple[list[Any], list[Any]]]
# Longer than anything a healthy batch waits for: SQLite's busy timeout (60 s, another process writing) and
# PostgreSQL's connect timeout (10 s).
WAIT_S = 90.0


@dataclass
class _Item:
    kind: str  # "decide" or "outcome"
    body: Any
    at: datetime
    future: Future[Any] = field(default_factory=Future)


@dataclass
class _Writer:
    """One writer thread, and since when it has been running its current batch (None: waiting for work)."""

    thread: threading.Thread | None = None
    busy_since: float | None = None


def writer_unavailable(reason_zh: str, reason_en: str, *, restarted: bool = True) -> Unavailable:
    return Unavailable(
        f"网关写入线程{reason_zh}{'，已重启' if restarted else ''}；请用同一尝试编号重试（已作出的决定会原样返回）",
        f"the gate's writer {reason_en}{' and was restarted' if restarted else ''}; retry with the same attempt id "
        "(a decision already made is answered as it was)",
        code="gate-writer-unavailable",
    )


class GroupCommitter:
    def __init__(self, run: Batch, *, max_batch: int = 256, name: str = "collectguard-gate-writer",
                 wait_s: float = WAIT_S) -> None:
        self._run = run
        self.max_batch = max_batch
        self.wait_s = wait_s  # how long a caller waits for its answer before it gets a 503
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._name = name
        self._writer: _Writer | None = None
        self._start_lock = threading.Lock()
        self.batches = 0  # committed batches and the items in them, for benchmarks and monitoring
        self.items = 0
        self.restarts = 0  # writers started again after one died or got stuck

    def submit(self, kind: str, body: Any, at: datetime, *, wait_s: float | None = None) -> Any:
        """Queue one item and wait for its committed result (or its error, raised here); after `wait_s`
        (default: the committer's) a 503 `gate-writer-unavailable`."""
        item = self._enqueue(kind, body, at)
        return self._wait(item, self.wait_s if wait_s is None else wait_s)

    def submit_many(self, kind: str, items: list[tuple[Any, datetime]]) -> list[Any]:
        """Queue many items at once; returns each one's result or error (not raised), in order. Each item
        is waited for at most `wait_s` after the one before it was answered."""
        queued = [_Item(kind, body, at) for body, at in items]
        self._ensure_started()
        for item in queued:
            self._queue.put(item)
        out: list[Any] = []
        for item in queued:
            try:
                out.append(self._wait(item, self.wait_s))
            except Exception as exc:  # noqa: BLE001 - each item's own error, returned in its place
                out.append(exc)
        return out

    def close(self) -> None:
        writer = self._writer
        if writer is not None and writer.thread is not None:
            self._queue.put(None)
            writer.thread.join(timeout=10)
            self._writer = None

    def _enqueue(self, kind: str, body: Any, at: datetime) -> _Item:
        item = _Item(kind, body, at)
        self._ensure_started()
        self._queue.put(item)
        return item

    def _wait(self, item: _Item, wait_s: float) -> Any:
        try:
            return item.future.result(timeout=wait_s)
        except FutureTimeout:
            pass
        withdrawn = item.future.cancel()  # still queued: no writer will ever run it
        if not withdrawn and item.future.done():
            return item.future.result()  # answered in the meantime
        restarted = self._revive(wait_s, holding=not withdrawn)
        log.error("gate writer did not answer within %.1f s (%s); the caller gets a 503", wait_s,
                  "item withdrawn" if withdrawn else "item in a batch that may still commit")
        raise writer_unavailable(f"在 {wait_s:g} 秒内未作答", f"did not answer within {wait_s:g} s", restarted=restarted)

    def _ensure_started(self) -> None:
        writer = self._writer
        if writer is None or writer.thread is None or not writer.thread.is_alive():
            with self._start_lock:
                writer = self._writer
                if writer is None or writer.thread is None or not writer.thread.is_alive():
                    if writer is not None:
                        self.restarts += 1
                        log.error("gate writer thread had died; starting a new one")
                    self._start()

    def _revive(self, wait_s: float, *, holding: bool = False) -> bool:
        """After a caller waited `wait_s` in vain: start a new writer if this one died, has been in one batch at
        least that long, or (`holding`) holds the caller's item in the batch it is still running — the caller
        waited `wait_s` in all, of which the item sat in the queue a moment before the batch began, so the
        batch's own clock may read a little less (a stuck one finishes its batch, if ever, and then stops).
        True if a new writer was started."""
        with self._start_lock:
            writer = self._writer
            dead = writer is None or writer.thread is None or not writer.thread.is_alive()
            busy = None if writer is None else writer.busy_since
            stuck = busy is not None and (holding or time.monotonic() - busy >= wait_s)
            if dead or stuck:
                self.restarts += 1
                log.error("gate writer %s; starting a new one", "died" if dead else f"stuck for {wait_s:g} s")
                self._start()
            return dead or stuck

    def _start(self) -> None:
        """Start a writer (the caller holds `_start_lock`); a previous one stops after its current batch."""
        writer = _Writer()
        writer.thread = threading.Thread(target=self._loop, args=(writer,), name=self._name, daemon=True)
        self._writer = writer
        writer.thread.start()

    def _loop(self, writer: _Writer) -> None:
        while writer is self._writer:
            first = self._queue.get()
            if first is None:
                return
            if writer is not self._writer:  # replaced while it waited: the new writer takes this item
                self._queue.put(first)
                return
            batch = [first]
            while len(batch) < self.max_batch:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    self._queue.put(None)  # stop after this batch
                    break
                batch.append(nxt)
            batch = [item for item in batch if item.future.set_running_or_notify_cancel()]  # withdrawn: dropped
            if not batch:
                continue
            writer.busy_since = time.monotonic()
            try:
                self._commit(batch)
            except BaseException:
                # Not an Exception (those fail their own items in _commit): the batch's transaction was rolled
                # back on the way out; its callers are answered now, and the thread ends.
                log.critical("gate writer thread died in a batch of %d", len(batch), exc_info=True)
                error = writer_unavailable("意外终止", "thread died")
                for item in batch:
                    if not item.future.done():
                        item.future.set_exception(error)
                return
            finally:
                writer.busy_since = None

    def _commit(self, batch: list[_Item]) -> None:
        try:
            self._deliver(batch)
        except Unavailable as exc:
            for item in batch:
                _fail(item, exc)
        except Exception as exc:  # noqa: BLE001 - isolate the item at fault
            if len(batch) == 1:
                _fail(batch[0], exc)
                return
            log.warning("gate batch of %d failed; retrying its items one by one", len(batch))
            for item in batch:
                self._commit([item])

    def _deliver(self, batch: list[_Item]) -> None:
        decides = [it for it in batch if it.kind == "decide"]
        outcomes = [it for it in batch if it.kind == "outcome"]
        decided, settled = self._run([(it.body, it.at) for it in decides], [(it.body, it.at) for it in outcomes])
        self.batches += 1
        self.items += len(batch)
        for item, result in zip(decides + outcomes, decided + settled, strict=True):
            if isinstance(result, BaseException):
                item.future.set_exception(result)
            else:
                item.future.set_result(result)


def _fail(item: _Item, exc: BaseException) -> None:
    if not item.future.done():
        item.future.set_exception(exc)
