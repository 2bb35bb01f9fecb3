"""Group commit: one writer thread per gate drains every queued decision and outcome into one transaction.

Concurrent callers (HTTP worker threads, a dialer's threads) each put an item on the queue and wait. The
writer takes whatever has queued up (at most `max_batch` items), runs it as one batch (gate/batch.py) and
commits; only then does each caller get its answer. Under load the cost of a transaction, the locks and
the reads is shared by the whole batch; a lone caller pays for a batch of one.

If a batch fails as a whole — the database is down, the disk is full — every caller in it gets that
error (HTTP 503) and nothing of the batch is written. If it fails for any other reason (a bug, or an id
inserted by another process at the same moment), its items are retried one by one so that only the
item at fault fails.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from collectguard.errors import Unavailable

log = logging.getLogger(__name__)

Batch = Callable[[list[tuple[Any, datetime]], list[tuple[Any, datetime]]], tuple[list[Any], list[Any]]]


@dataclass
class _Item:
    kind: str  # "decide" or "outcome"
    body: Any
    at: datetime
    future: Future[Any] = field(default_factory=Future)


class GroupCommitter:
    def __init__(self, run: Batch, *, max_batch: int = 256, name: str = "collectguard-gate-writer") -> None:
        self._run = run
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._name = name
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self.batches = 0  # committed batches and the items in them, for benchmarks and monitoring
        self.items = 0

    def submit(self, kind: str, body: Any, at: datetime) -> Any:
        """Queue one item and wait for its committed result (or its error, raised here)."""
        item = _Item(kind, body, at)
        self._ensure_started()
        self._queue.put(item)
        return item.future.result()

    def submit_many(self, kind: str, items: list[tuple[Any, datetime]]) -> list[Any]:
        """Queue many items at once; returns each one's result or error (not raised), in order."""
        queued = [_Item(kind, body, at) for body, at in items]
        self._ensure_started()
        for item in queued:
            self._queue.put(item)
        return [item.future.exception() or item.future.result() for item in queued]

    def close(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=10)
            self._thread = None

    def _ensure_started(self) -> None:
        if self._thread is None:
            with self._start_lock:
                if self._thread is None:
                    thread = threading.Thread(target=self._loop, name=self._name, daemon=True)
                    thread.start()
                    self._thread = thread

    def _loop(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
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
            self._commit(batch)

    def _commit(self, batch: list[_Item]) -> None:
        try:
            self._deliver(batch)
        except Unavailable as exc:
            for item in batch:
                item.future.set_exception(exc)
        except Exception as exc:  # noqa: BLE001 - isolate the item at fault
            if len(batch) == 1:
                batch[0].future.set_exception(exc)
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

