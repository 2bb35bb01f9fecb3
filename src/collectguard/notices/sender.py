"""Deliver the outbox: claim due notices, POST them signed, record the result, retry with back-off.

A stop notice goes to the agency's endpoint for the institution (`agency_endpoints`), an obligation alert to
the institution's own (`institution_endpoints`); both are signed, retried and recorded the same way.

Delivery is at least once. A claim is a lease, taken and committed in a short transaction (rows locked
`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite's `BEGIN IMMEDIATE` already admits one writer): the
row's `attempts` is bumped and `next_attempt_at` moved to the end of the lease. The HTTP call runs
outside any transaction, so the gate is never blocked by a slow agency. If the sender dies mid-flight,
the lease runs out and another sender sends the notice again; the notice id (`X-CollectGuard-Delivery`)
lets the agency deduplicate. A notice marked delivered is never claimed again, and at most one
successful delivery is ever recorded per notice.
"""

from __future__ import annotations

import json
import logging
import random
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from collectguard.config import Settings
from collectguard.db.store import Store
from collectguard.errors import CollectGuardError
from collectguard.ledger.tags import Tag
from collectguard.notices import signing
from collectguard.notices.models import (
    NO_ALERT_ENDPOINT,
    NO_ENDPOINT,
    AgencyEndpoint,
    InstitutionEndpoint,
    NoticeKind,
    NoticeStatus,
    OutboxRow,
)
from collectguard.notices.outbox import body as notice_body
from collectguard.privacy.redact import redact
from collectguard.registry.service import Registry

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Policy:
    """Retry policy: delay before attempt n+1 is min(cap, base·2^(n−1)), scaled by a jitter in [½, 1]."""

    max_attempts: int = 10
    base_delay_s: float = 30.0
    max_delay_s: float = 3600.0
    timeout_s: float = 10.0
    lease_s: float | None = None  # how long a claim is exclusive; default timeout_s + 30

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.lease_s if self.lease_s is not None else self.timeout_s + 30.0)

    def delay(self, attempt: int, rng: random.Random) -> timedelta:
        raw = min(self.max_delay_s, self.base_delay_s * 2 ** max(attempt - 1, 0))
        return timedelta(seconds=raw * (0.5 + 0.5 * rng.random()))


class Outcome(StrEnum):
    DELIVERED = "delivered"  # 2xx, recorded now
    RETRY = "retry"  # failed, scheduled again
    FAILED = "failed"  # failed for the last time: gave up
    STALE = "stale"  # the result came after another sender took over (or after a recorded delivery)


@dataclass(frozen=True)
class Claim:
    id: str
    attempt: int
    url: str
    secret: str
    body: bytes


@dataclass(frozen=True)
class Result:
    id: str
    attempt: int
    outcome: Outcome
    error: str | None = None
    next_attempt_at: datetime | None = None


@dataclass
class Sender:
    """Sends due notices. `client` and `clock` are injected for tests; `rng` drives the jitter."""

    store: Store
    client: httpx.Client | None = None
    clock: Clock = utcnow
    policy: Policy = field(default_factory=Policy)
    rng: random.Random = field(default_factory=random.Random)
    algorithm: str = "sm3"

    def __post_init__(self) -> None:
        self._own_client = self.client is None
        self.http = self.client or httpx.Client(timeout=self.policy.timeout_s, follow_redirects=False)

    def close(self) -> None:
        if self._own_client:
            self.http.close()

    # -- one round -------------------------------------------------------------------------------
    def run_once(self, limit: int = 100) -> list[Result]:
        """Claim up to `limit` due notices and try each once."""
        results, claims = self.claim(limit)
        for c in claims:
            results.append(self.deliver(c))
        return results

    def run_forever(self, stop: threading.Event, interval: float = 5.0, limit: int = 100) -> Counter[str]:
        """Send until `stop` is set, sleeping `interval` seconds whenever nothing more is due. Returns how
        many attempts ended in each outcome."""
        counts: Counter[str] = Counter()
        while not stop.is_set():
            try:
                results = self.run_once(limit)
            except CollectGuardError as exc:  # e.g. the database is briefly unavailable
                log.warning("发送停催通知失败，稍后重试 / stop-notice round failed, retrying: %s", exc)
                results = []
            counts.update(r.outcome.value for r in results)
            if len(results) < limit:
                stop.wait(interval)
        return counts

    # -- steps -----------------------------------------------------------------------------------
    def claim(self, limit: int) -> tuple[list[Result], list[Claim]]:
        """Lease due notices in one short transaction. Notices without an active endpoint fail this
        attempt at once (and are retried later: the institution may configure one)."""
        now = self.clock()
        claims: list[Claim] = []
        results: list[Result] = []
        stmt = (
            select(OutboxRow)
            .where(OutboxRow.status == NoticeStatus.PENDING, OutboxRow.next_attempt_at <= now)
            .order_by(OutboxRow.next_attempt_at, OutboxRow.id)
            .limit(limit)
        )
        with self.store.transaction() as session:
            if self.store.dialect == "postgresql":
                stmt = stmt.with_for_update(skip_locked=True)
            for row in session.execute(stmt).scalars().all():
                row.attempts += 1
                endpoint = _endpoint(session, row)
                if endpoint is None or not endpoint.active:
                    missing = NO_ALERT_ENDPOINT if row.kind == NoticeKind.OBLIGATION_ALERT else NO_ENDPOINT
                    results.append(self._failed(session, row, now, missing))
                    continue
                row.next_attempt_at = now + self.policy.lease
                payload = json.dumps(notice_body(row), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
                claims.append(Claim(row.id, row.attempts, endpoint.url, endpoint.secret, payload.encode("utf-8")))
        return results, claims

    def post(self, c: Claim) -> str | None:
        """POST one claim; None on a 2xx, else the error."""
        timestamp = int(self.clock().timestamp())
        try:
            response = self.http.post(
                c.url, content=c.body, headers=signing.headers(c.secret, timestamp, c.body, c.id, c.attempt),
                timeout=self.policy.timeout_s,
            )
        except httpx.TimeoutException as exc:
            return f"超时 timeout: {type(exc).__name__}"
        except httpx.HTTPError as exc:
            return f"连接错误 transport error: {type(exc).__name__}: {exc}"
        if 200 <= response.status_code < 300:
            return None
        return f"HTTP {response.status_code}: {response.text[:200]}"

    def deliver(self, c: Claim) -> Result:
        error = self.post(c)
        return self.record(c, error)

    def record(self, c: Claim, error: str | None) -> Result:
        """Record the result of one attempt, under the row's lock."""
        now = self.clock()
        with self.store.transaction() as session:
            self.store.lock(session, OutboxRow.id, c.id)
            row = session.get(OutboxRow, c.id, populate_existing=True)
            assert row is not None
            if error is None:
                if row.delivered_at is not None:
                    return Result(c.id, c.attempt, Outcome.STALE)
                row.status = NoticeStatus.DELIVERED
                row.delivered_at = now
                row.next_attempt_at = None
                row.last_error = None
                self._ledger(session, now).record(
                    Tag.NOTICE_DELIVERED, row.id, {**_what(row), "reason": row.reason, "attempts": c.attempt},
                    row.institution_id,
                )
                return Result(c.id, c.attempt, Outcome.DELIVERED)
            if row.status != NoticeStatus.PENDING or row.attempts != c.attempt:
                return Result(c.id, c.attempt, Outcome.STALE, error)
            return self._failed(session, row, now, error)

    def _failed(self, session: Session, row: OutboxRow, now: datetime, error: str) -> Result:
        # The agency's answer is kept (and, on giving up, put in the append-only ledger): masked, in case it
        # echoes personal data.
        row.last_error = redact(error)[:2000]
        if row.attempts >= self.policy.max_attempts:
            row.status = NoticeStatus.FAILED
            row.next_attempt_at = None
            self._ledger(session, now).record(
                Tag.NOTICE_FAILED, row.id, {**_what(row), "attempts": row.attempts, "error": row.last_error},
                row.institution_id,
            )
            log.error("通知送达失败 / %s %s gave up after %d attempts: %s", row.kind, row.id, row.attempts, error)
            return Result(row.id, row.attempts, Outcome.FAILED, error)
        row.next_attempt_at = now + self.policy.delay(row.attempts, self.rng)
        return Result(row.id, row.attempts, Outcome.RETRY, error, row.next_attempt_at)

    def _ledger(self, session: Session, now: datetime) -> Registry:
        return Registry(session, at=now, algorithm=self.algorithm)


def _endpoint(session: Session, row: OutboxRow) -> AgencyEndpoint | InstitutionEndpoint | None:
    """Where a row goes: an alert to its institution's own endpoint, a stop notice to the agency's."""
    if row.kind == NoticeKind.OBLIGATION_ALERT:
        return session.get(InstitutionEndpoint, row.institution_id)
    return session.get(AgencyEndpoint, (row.institution_id, row.agency_id))


def _what(row: OutboxRow) -> dict[str, object]:
    """What a delivery record says the row was: a stop notice its agency and debt (as before alerts existed),
    an alert its kind and key."""
    if row.kind == NoticeKind.OBLIGATION_ALERT:
        return {"kind": row.kind, "key": row.dedupe_key}
    return {"agency": row.agency_id, "debt": row.debt_id}


def send_pending(
    url: str,
    *,
    limit: int = 100,
    policy: Policy | None = None,
    forever: bool = False,
    interval: float = 5.0,
    stop: threading.Event | None = None,
    client: httpx.Client | None = None,
    clock: Clock = utcnow,
    algorithm: str | None = None,
    max_rounds: int = 10_000,
) -> dict[str, int]:
    """Send what is due on the database at `url`: until nothing is due (default), or until `stop` is
    set (`forever`). Returns how many attempts ended in each outcome (for `collectguard notices send`)."""
    store = Store(url)
    sender = Sender(store, client=client, clock=clock, policy=policy or Policy(), rng=random.Random(),
                    algorithm=algorithm or Settings.from_env().ledger_hash)
    counts: Counter[str] = Counter()
    try:
        if forever:
            counts = sender.run_forever(stop or threading.Event(), interval=interval, limit=limit)
        else:
            for _ in range(max_rounds):
                results = sender.run_once(limit)
                counts.update(r.outcome.value for r in results)
                if not results:
                    break
    finally:
        sender.close()
        store.dispose()
    return {o.value: counts.get(o.value, 0) for o in Outcome}
