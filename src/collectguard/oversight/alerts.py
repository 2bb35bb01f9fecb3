"""义务提醒 Obligation alerts (issue 11, item 5): overdue obligations and those due within N days are sent to the
institution as signed webhooks through the outbox, once per item and day.

`queue_alerts` queues, in the caller's unit of work, one outbox row (`obligation_alert`) per overdue or due item of
the obligations calendar that was not yet queued that local day (the institution's zone, as its deadlines are
counted), and records each in the ledger
(`oversight:obligation-alert:queued`). "Once per item and day" is the database's: the row's `dedupe_key`
(`<institution>:<obligation>:<subject>:<local day>`) is unique and written with INSERT … ON CONFLICT DO NOTHING,
so however many passes run, on however many servers, an item is queued once a day; the next day it is queued
again while it is still due or overdue. Met items never are.

`send_alerts` is one pass over every institution, one transaction each (the CLI's `collectguard obligations
--send`; the server's `AlertPass` every `alert_interval_s`). The outbox's sender (`collectguard notices send`)
delivers the rows to the institution's own endpoint (`PUT /v1/institutions/{id}/alert-endpoint`), signed as stop
notices are (`notices.signing`), with the same retries.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from collectguard.ledger.tags import Tag
from collectguard.notices import outbox
from collectguard.registry.models import Institution
from collectguard.registry.repository import institution_zone
from collectguard.registry.unit import Unit, Units
from collectguard.rulebook.calendar import local_date

log = logging.getLogger("collectguard.alerts")
ALERTED = ("overdue", "due")  # never "met"
DEFAULT_DUE_WITHIN_DAYS = 30


class Item(Protocol):
    """What an alert reads of a calendar item (`oversight.schemas.ObligationOut`); `due_date` or `due_at` (and
    `subject_kind`) are read when present."""

    key: str
    obligation: str
    subject: Any
    status: Any
    title_zh: str
    title_en: str


Obligations = Callable[..., Sequence[Any]]  # (session, institution_id, at, *, due_within_days) -> items


def dedupe_key(institution_id: str, item: Item, day: date) -> str:
    """`<institution>:<OBLIGATION_ID>:<SUBJECT>:<local date>`: one alert per item and local day."""
    return f"{institution_id}:{item.obligation}:{item.subject if item.subject is not None else '-'}:{day.isoformat()}"


def _status(item: Item) -> str:
    return str(getattr(item.status, "value", item.status))


def _within(item: Item, at: datetime, today: date, days: int) -> bool:
    """A due item is alerted when its deadline is within `days`: its last instant (`due_at`) within `days` × 24 h
    of `at`, or its last local day (`due_date`) within `days` days of today; one without a deadline always is
    (as the calendar's `pressing` reads it)."""
    due_at = getattr(item, "due_at", None)
    if isinstance(due_at, datetime):
        return (due_at - at).total_seconds() <= days * 86_400
    due_date = getattr(item, "due_date", None)
    return not isinstance(due_date, date) or (due_date - today).days <= days


def _iso(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, (date, datetime)) else None


def queue_alerts(unit: Unit, institution_id: str, items: Iterable[Item], *, due_within_days: int) -> int:
    """Queue one alert per overdue item, and per due item whose deadline is within `due_within_days` local days,
    not yet queued today; each queued one is recorded in the ledger. Returns how many were queued. Never
    commits."""
    day = local_date(unit.at, institution_zone(unit.session, institution_id))
    queued = 0
    for item in items:
        status = _status(item)
        if status not in ALERTED:
            continue
        if status == "due" and not _within(item, unit.at, day, due_within_days):
            continue
        detail: dict[str, Any] = {
            "key": item.key, "obligation": item.obligation, "subject": item.subject,
            "subject_kind": getattr(item, "subject_kind", None), "status": status,
            "title_zh": item.title_zh, "title_en": item.title_en,
            "due_date": _iso(getattr(item, "due_date", None)), "due_at": _iso(getattr(item, "due_at", None)),
            "day": day.isoformat(), "due_within_days": due_within_days,
        }
        key = dedupe_key(institution_id, item, day)
        notice = outbox.enqueue_alert(unit.session, institution_id=institution_id, dedupe_key=key, reason=status,
                                      payload=detail, at=unit.at)
        if notice is None:  # already queued today
            continue
        unit.record(Tag.OBLIGATION_ALERT_QUEUED, item.key, {**detail, "notice": notice, "dedupe_key": key},
                    institution_id)
        queued += 1
    return queued


def institutions(session: Session) -> list[str]:
    return list(session.execute(select(Institution.id).order_by(Institution.id)).scalars())


def send_alerts(units: Units, at: datetime, due_within_days: int = DEFAULT_DUE_WITHIN_DAYS, *,
                obligations: Obligations | None = None, only: Iterable[str] | None = None) -> int:
    """One alert pass: for every institution (or those in `only`), in one transaction each, compute its
    obligations at `at` (`oversight.calendar.obligations`, or `obligations` if given) and queue the alerts.
    Returns how many were queued. An institution that fails does not stop the others: the pass goes on, then
    raises the first error."""
    if obligations is None:
        # Lazily: the calendar reads every domain, and this module is imported by the server's app.
        from collectguard.oversight.calendar import obligations as calendar

        obligations = calendar
    with units.read() as session:
        ids = institutions(session)
    if only is not None:
        wanted = set(only)
        ids = [i for i in ids if i in wanted]
    total = 0
    failed: list[Exception] = []
    for institution_id in ids:
        try:
            with units.write(at) as unit:
                items = obligations(unit.session, institution_id, at, due_within_days=due_within_days)
                queued = queue_alerts(unit, institution_id, items, due_within_days=due_within_days)
        except Exception as exc:  # noqa: BLE001  (the others still get their alerts)
            log.warning("机构 %s 的义务提醒失败 obligation alerts failed for %s (%s)", institution_id, institution_id,
                        type(exc).__name__)
            failed.append(exc)
            continue
        total += queued
    if failed:
        raise failed[0]
    return total


class AlertPass:
    """The server's alert pass: `send_alerts` in a worker thread every `interval_s` (0 = never) while the server's
    event loop runs, the first one interval after start (an alert is once a day, so a pass at start adds nothing
    an hourly pass misses; and a short-lived app, a test's, never writes one). Never raises: failures are
    logged and tried again at the next interval. Each event loop that starts it gets its own task."""

    def __init__(self, units: Units, clock: Callable[[], datetime], interval_s: float, *,
                 due_within_days: int = DEFAULT_DUE_WITHIN_DAYS, obligations: Obligations | None = None) -> None:
        self.units, self.clock, self.interval_s = units, clock, interval_s
        self.due_within_days = due_within_days
        self.obligations = obligations
        self.passes = 0  # completed passes (tests, diagnostics)
        self.queued = 0  # alerts this server queued
        self._running: dict[asyncio.AbstractEventLoop, tuple[asyncio.Event, asyncio.Task[None]]] = {}

    @property
    def running(self) -> int:
        return len(self._running)

    @asynccontextmanager
    async def during(self) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        if self.interval_s <= 0 or loop in self._running:
            yield
            return
        stop = asyncio.Event()
        self._running[loop] = (stop, asyncio.create_task(self._run(stop), name="collectguard-obligation-alerts"))
        try:
            yield
        finally:
            stop.set()
            _, task = self._running.pop(loop)
            await task  # a pass in hand finishes

    async def _run(self, stop: asyncio.Event) -> None:
        while True:
            try:
                await asyncio.wait_for(stop.wait(), timeout=self.interval_s)
                return
            except TimeoutError:
                await self.run()

    async def run(self) -> int:
        """One pass now, in a worker thread. Never raises."""
        try:
            queued = await asyncio.to_thread(send_alerts, self.units, self.clock(), self.due_within_days,
                                             obligations=self.obligations)
        except Exception as exc:  # noqa: BLE001  (the database down, the calendar failing: next interval)
            log.warning("义务提醒失败，稍后重试 obligation alert pass failed (%s); retrying in %ss",
                        type(exc).__name__, self.interval_s)
            return 0
        self.passes += 1
        self.queued += queued
        if queued:
            log.info("%d 条义务提醒已排队 obligation alerts queued", queued)
        return queued
