"""Taking and exporting checkpoints (检查点的签发与导出): on demand (`collectguard ledger checkpoint`) and on a
schedule while the server runs.

Each run reads the newest checkpoint (the directory's when one is configured, else the last this process
took), checks that the ledger still contains it, signs the head (`checkpoints.take`), writes the file once and
POSTs it to the institution's webhook, signed like the stop notices (HMAC-SHA256 over "<timestamp>.<body>",
`notices.signing`). Several workers or servers may run it on one database: they wake at the same multiples of
the interval, and a checkpoint of a head already written (same seq and hash, same file name) is neither
rewritten nor posted twice. A refusal (the ledger contradicts the newest checkpoint) is logged as an error
and repeated at every interval until someone looks: nothing signs over a rewritten ledger.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from collectguard.config import Settings
from collectguard.db.store import Store
from collectguard.ledger import checkpoints
from collectguard.ledger.checkpoints import Checkpoint, CheckpointError
from collectguard.ledger.signing import PublicKey, SigningKey, public_keys

log = logging.getLogger("collectguard.ledger.checkpoints")
EVENT = "X-CollectGuard-Event"


class DeliveryError(CheckpointError):
    code = "checkpoint-delivery"


@dataclass(frozen=True)
class CheckpointConfig:
    key: SigningKey
    directory: Path | None = None
    interval_s: float = 300.0
    webhook_url: str | None = None
    webhook_secret: str | None = None
    webhook_timeout_s: float = 10.0
    # Other public keys whose checkpoints count as the newest to continue from: the previous key, after rotating.
    trusted: tuple[PublicKey, ...] = ()

    def __post_init__(self) -> None:
        if self.directory is None and not self.webhook_url:
            raise CheckpointError(
                "已配置检查点密钥，但没有导出位置：请设置 COLLECTGUARD_CHECKPOINT_DIR 或 COLLECTGUARD_CHECKPOINT_WEBHOOK",
                "a checkpoint key is configured but nowhere to export to: set COLLECTGUARD_CHECKPOINT_DIR or "
                "COLLECTGUARD_CHECKPOINT_WEBHOOK", field="COLLECTGUARD_CHECKPOINT_DIR")
        if self.webhook_url and not self.webhook_secret:
            raise CheckpointError(
                "检查点 webhook 须签名：请设置 COLLECTGUARD_CHECKPOINT_WEBHOOK_SECRET",
                "the checkpoint webhook is signed: set COLLECTGUARD_CHECKPOINT_WEBHOOK_SECRET",
                field="COLLECTGUARD_CHECKPOINT_WEBHOOK_SECRET")
        if self.webhook_url and not self.webhook_url.startswith(("https://", "http://")):
            raise CheckpointError(f"检查点 webhook 地址 {self.webhook_url!r} 须以 https:// 或 http:// 开头",
                                  f"checkpoint webhook {self.webhook_url!r} must start with https:// or http://",
                                  field="COLLECTGUARD_CHECKPOINT_WEBHOOK")

    @classmethod
    def from_settings(cls, settings: Settings) -> CheckpointConfig | None:
        """None when no checkpoint key is configured (checkpoints off)."""
        if not settings.checkpoint_key:
            return None
        return cls(
            key=SigningKey.from_file(settings.checkpoint_key),
            directory=Path(settings.checkpoint_dir) if settings.checkpoint_dir else None,
            interval_s=settings.checkpoint_interval_s,
            webhook_url=settings.checkpoint_webhook or None,
            webhook_secret=settings.checkpoint_webhook_secret or None,
            trusted=tuple(public_keys(settings.checkpoint_public_key).values()),
        )


def post(url: str, secret: str, checkpoint: Checkpoint, *, client: Any = None, timeout_s: float = 10.0,
         now: float | None = None) -> None:
    """POST the checkpoint's JSON, signed; DeliveryError unless the receiver answers 2xx."""
    import httpx

    from collectguard.notices import signing

    body = checkpoint.to_json().encode("utf-8")
    timestamp = int(time.time() if now is None else now)
    headers = signing.headers(secret, timestamp, body, checkpoint.file_name.removesuffix(".json"), 1)
    headers[EVENT] = "ledger.checkpoint"
    try:
        response = (client or httpx).post(url, content=body, headers=headers, timeout=timeout_s)
    except httpx.HTTPError as exc:
        raise DeliveryError(f"检查点 webhook 发送失败（{type(exc).__name__}）",
                            f"checkpoint webhook failed ({type(exc).__name__})") from None
    if not 200 <= response.status_code < 300:
        raise DeliveryError(f"检查点 webhook 返回 HTTP {response.status_code}",
                            f"checkpoint webhook answered HTTP {response.status_code}")


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Taken:
    checkpoint: Checkpoint
    path: Path | None  # the file written; None when not written by this run (no directory, or already there)
    posted: bool


class Checkpointer:
    def __init__(self, store: Store, config: CheckpointConfig, *, clock: Callable[[], datetime] = _utcnow,
                 http: Any = None) -> None:
        self.store, self.config, self.clock, self.http = store, config, clock, http
        self._last: Checkpoint | None = None  # without a directory: the newest this process took
        self._unposted: Checkpoint | None = None  # written, webhook not yet answered 2xx

    @property
    def keys(self) -> dict[str, PublicKey]:
        return {**{k.key_id: k for k in self.config.trusted}, self.config.key.key_id: self.config.key.public}

    def previous(self) -> Checkpoint | None:
        if self.config.directory is not None:
            return checkpoints.newest(self.config.directory, self.keys)
        return self._last

    def run_once(self) -> Taken | None:
        """Take, write and post one checkpoint. None when the ledger is empty or unchanged (a checkpoint
        written whose webhook failed earlier is posted again). Raises CheckpointRefused when the ledger
        contradicts the newest checkpoint, DeliveryError when the webhook fails (the file is written)."""
        previous = self.previous()
        with self.store.read() as session:
            cp = checkpoints.take(session, self.config.key, previous=previous, now=self.clock())
        if cp is None:
            unposted = self._unposted
            if unposted is not None and unposted == previous:
                self._post(unposted)
                return Taken(unposted, None, True)
            return None
        path: Path | None = None
        if self.config.directory is not None:
            path = checkpoints.write(self.config.directory, cp)
            if path is None:  # a sibling wrote this very head: it posts it
                return Taken(cp, None, False)
        self._last = cp
        self._unposted = cp if self.config.webhook_url else None
        self._post(cp)
        return Taken(cp, path, bool(self.config.webhook_url))

    def _post(self, cp: Checkpoint) -> None:
        if not self.config.webhook_url or not self.config.webhook_secret:
            return
        post(self.config.webhook_url, self.config.webhook_secret, cp, client=self.http,
             timeout_s=self.config.webhook_timeout_s)
        self._unposted = None


class CheckpointSchedule:
    """Runs `Checkpointer.run_once` in a worker thread at start, at every multiple of `interval_s` and at
    shutdown, while the server's event loop runs. Never raises: failures are logged. Each event loop that
    starts it (a test may run two clients on one app, each on its own loop) gets its own task."""

    def __init__(self, checkpointer: Checkpointer) -> None:
        self.checkpointer = checkpointer
        self.interval_s = checkpointer.config.interval_s
        self.runs = 0
        self._running: dict[asyncio.AbstractEventLoop, tuple[asyncio.Event, asyncio.Task[None]]] = {}

    @property
    def running(self) -> int:
        """How many event loops run the schedule now."""
        return len(self._running)

    async def start(self) -> None:
        """Take one checkpoint now (the server starts serving after it), then one every interval."""
        loop = asyncio.get_running_loop()
        if self.interval_s <= 0 or loop in self._running:
            return
        await self.run()
        stop = asyncio.Event()
        self._running[loop] = (stop, asyncio.create_task(self._run(stop), name="collectguard-ledger-checkpoints"))

    async def stop(self) -> None:
        """Stop this loop's task, after one last checkpoint of the head as the server leaves it."""
        entry = self._running.pop(asyncio.get_running_loop(), None)
        if entry is None:
            return
        stop, task = entry
        stop.set()
        await task
        await self.run()

    @asynccontextmanager
    async def during(self) -> AsyncIterator[None]:
        await self.start()
        try:
            yield
        finally:
            await self.stop()

    async def _run(self, stop: asyncio.Event) -> None:
        while True:
            wait = self.interval_s - (time.time() % self.interval_s)  # siblings wake together
            try:
                await asyncio.wait_for(stop.wait(), timeout=wait)
                return
            except TimeoutError:
                await self.run()

    async def run(self) -> None:
        try:
            taken = await asyncio.to_thread(self.checkpointer.run_once)
        except checkpoints.CheckpointRefused as exc:
            log.error("账本检查点被拒绝 ledger checkpoint refused: %s", exc.message_en)
        except CheckpointError as exc:
            log.error("账本检查点失败 ledger checkpoint failed: %s", exc.message_en)
        except Exception as exc:  # the database down: try again at the next interval
            log.warning("账本检查点失败，稍后重试 ledger checkpoint failed (%s); retrying in %ss",
                        type(exc).__name__, self.interval_s)
        else:
            self.runs += 1
            if taken is not None and taken.path is not None:
                log.info("账本检查点 ledger checkpoint: record %d signed (%s)", taken.checkpoint.seq, taken.path.name)


def schedule_for(store: Store, clock: Callable[[], datetime], config: CheckpointConfig | None = None
                 ) -> CheckpointSchedule | None:
    """The server's checkpoint schedule: `config`, else the settings' (COLLECTGUARD_CHECKPOINT_*); None — off —
    when no checkpoint key is configured. A key with nowhere to export to is refused at start."""
    config = config if config is not None else CheckpointConfig.from_settings(Settings.from_env())
    return CheckpointSchedule(Checkpointer(store, config, clock=clock)) if config is not None else None
